public import RPC
public import Records
internal import Storage
internal import Messages
internal import CertificatePDF
internal import CertificateFiles
internal import Synchronization
internal import Foundation

/// cert-store's settings.
public struct CertStoreSettings: Sendable {
    /// Where the public verification page is: QR codes point at `<publicURL>/verify/<code>`.
    public var publicURL = "http://127.0.0.1:8080"
    public var providerName = "CertPortal Training"
    /// Today (pinnable for tests and demos) in the provider's time zone.
    public var clock = StatusClock()
    /// Threads that render PDFs (one per core).
    public var renderThreads = 2
    /// The executable whose `check-pdf` mode checks an uploaded PDF in a child process with
    /// hard memory and CPU limits (cert-store: its own, `/proc/self/exe`); nil: in this process.
    public var pdfCheckExecutable: String?

    public init() {}

    var currentDate: CalendarDate { clock.today }
}

/// Threads of their own for CPU-heavy work (PDF rendering, file checks), taken in turn,
/// so it never runs on the cooperative pool.
final class WorkThreads: Sendable {
    private let executors: [ThreadExecutor]
    private let next = Atomic<Int>(0)

    init(count: Int, name: String) {
        executors = (0..<max(1, count)).map { ThreadExecutor(name: "\(name).\($0)") }
    }

    var count: Int { executors.count }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> sending T) async throws -> T {
        try await executors[pick()].run(body)
    }

    /// A thread's index, taken in turn as `run` takes them.
    func pick() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue % executors.count }

    /// `run` on thread `index` (modulo their count), after what `submit` queued there.
    func run<T: Sendable>(on index: Int, _ body: @escaping @Sendable () throws -> sending T) async throws -> T {
        try await executors[index % executors.count].run(body)
    }

    /// Queues `body` on thread `index` (modulo their count) without waiting for it: for work
    /// done in order in many steps, each such line of work on a thread of its own.
    func submit(on index: Int, _ body: @escaping @Sendable () -> Void) {
        executors[index % executors.count].submit(body)
    }

    deinit { for executor in executors { executor.stop() } }
}

/// `certportal.certificates.v1.Certificates`. Every call but Verify names its caller; the
/// record is looked up in catalog-service with the caller's principal, so one outside
/// the caller's scope is NOT_FOUND exactly as one that does not exist.
public struct CertStoreService: RPCService {
    typealias Service = Certportal_Certificates_V1_Certificates
    typealias Catalog = Certportal_Catalog_V1_Catalog

    let store: CertificateStore
    let catalog: RPCClient
    let settings: CertStoreSettings
    let work: WorkThreads
    static let chunkSize = 1 << 20
    static let maxBatch = 1000

    public init(store: CertificateStore, catalog: RPCClient, settings: CertStoreSettings) {
        self.store = store
        self.catalog = catalog
        self.settings = settings
        work = WorkThreads(count: settings.renderThreads, name: "cert-store.work")
    }

    /// Uploaded PDFs are checked in a child process when the settings name an executable for it.
    var pdfCheck: IsolatedPDFCheck? { settings.pdfCheckExecutable.map { IsolatedPDFCheck(executable: $0) } }

    public func register(into router: inout RPCRouter) {
        router.unary(Service.listTemplates) { _, context in
            try requireAdmin(context)
            var list = Certportal_Certificates_V1_TemplateList()
            list.templates = try await store.pool.read { db in try Templates.list(db) }
            list.placeholders = CertificateRenderer.placeholders.map { "{\($0)}" }
            return list
        }
        router.unary(Service.getTemplate) { request, context in
            try requireAdmin(context)
            guard let template = try await store.pool.read({ db in try Templates.get(request.templateId, db) }) else {
                throw RPCError(.notFound, "template_id: there is no template \"\(request.templateId.prefix(64))\"")
            }
            return template
        }
        router.unary(Service.putTemplate) { request, context in
            try requireAdmin(context)
            let template = request.template ?? .init()
            return try await store.write { db in try Templates.put(template, by: actor(context), db) }.0
        }
        router.serverStreaming(Service.previewTemplate) { request, writer, context in
            try requireAdmin(context)
            let template = try Templates.rendering(request.template ?? .init())
            let content = request.recordId == 0 ? sampleContent : try await content(for: record(request.recordId, context), number: "CP-0000-000000", code: "preview")
            let pdf = try await render(template, content)
            try await send(pdf, fileName: "Preview - \(template.name).pdf", mediaType: "application/pdf", version: 0, to: writer)
        }
        router.unary(Service.getCertificate) { request, context in
            let principal = try context.requirePrincipal()
            _ = try await record(request.recordId, context)
            let certificate = try await visibleCertificate(request.recordId, principal)
            return certificate.message(forAdmin: principal == .admin, publicURL: settings.publicURL)
        }
        router.unary(Service.issue) { request, context in
            try requireAdmin(context)
            return try await issue(request.recordId, share: request.share, context)
        }
        router.serverStreaming(Service.issueBatch) { request, writer, context in
            try requireAdmin(context)
            try await issueBatch(request, writer, context)
        }
        router.clientStreaming(Service.upload) { requests, context in
            try requireAdmin(context)
            return try await upload(requests, context)
        }
        router.serverStreaming(Service.download) { request, writer, context in
            let principal = try context.requirePrincipal()
            _ = try await record(request.recordId, context)
            let certificate = try await visibleCertificate(request.recordId, principal)
            let number = request.version == 0 ? certificate.current?.number : Int(request.version)
            guard let number, let version = certificate.versions.first(where: { $0.number == number }),
                  principal == .admin || version.number == certificate.current?.number else {
                throw RPCError(.notFound, "version: the certificate has no such version")
            }
            guard let file = try await store.openFile(request.recordId, version: number) else {
                throw RPCError(.notFound, "version: the certificate has no such version")
            }
            // The header goes at once, each chunk as soon as it is read.
            try await send(size: file.size, fileName: version.fileName, mediaType: version.mediaType, version: number, to: writer) { offset in
                try await file.piece(at: offset, maxBytes: Self.chunkSize)
            }
            try await store.recordDownload(request.recordId, version: number, actor: actor(context))
        }
        registerBundle(into: &router)
        router.unary(Service.share) { request, context in
            try requireAdmin(context)
            _ = try await record(request.recordId, context)
            let (certificate, seq) = try await store.setShared(request.recordId, request.shared, actor: actor(context))
            return write(certificate, seq)
        }
        router.unary(Service.revoke) { request, context in
            try requireAdmin(context)
            _ = try await record(request.recordId, context)
            let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard reason.utf8.count <= 500 else { throw RPCError(.invalidArgument, "reason: at most 500 bytes") }
            let (certificate, seq) = try await store.revoke(request.recordId, version: Int(request.version), reason: reason, actor: actor(context))
            return write(certificate, seq)
        }
        router.unary(Service.getHistory) { request, context in
            try requireAdmin(context)
            _ = try await record(request.recordId, context)
            guard let certificate = try await store.certificate(request.recordId) else {
                throw RPCError(.notFound, "record_id: record \(request.recordId) has no certificate yet")
            }
            var history = Certportal_Certificates_V1_History()
            history.certificate = certificate.message(forAdmin: true, publicURL: settings.publicURL)
            history.audit = try await store.audit(request.recordId)
            return history
        }
        router.unary(Service.verify) { request, context in
            try await verify(request.code, context)
        }
        registerEmailRequests(into: &router)
    }

    // MARK: Scope

    func requireAdmin(_ context: ServerContext) throws(RPCError) {
        guard try context.requirePrincipal() == .admin else {
            throw RPCError(.permissionDenied, "only a provider admin may \(context.method.split(separator: "/").last.map(String.init) ?? "do this")")
        }
    }

    /// Who acted, for the audit: the user's e-mail (from the gateway) and principal.
    func actor(_ context: ServerContext) -> String {
        let principal = context.principal?.description ?? "unknown"
        if let email = context.requestMetadata[MetadataKey.actor], !email.isEmpty, email.utf8.count <= 254 { return "\(email) (\(principal))" }
        return principal
    }

    /// The record as the caller may see it: catalog-service answers NOT_FOUND outside scope.
    func record(_ id: UInt64, _ context: ServerContext) async throws -> Certportal_Feed_V1_CatalogRecord {
        var request = Certportal_Catalog_V1_GetRecordRequest()
        request.recordId = id
        do {
            return try await catalog.unary(Catalog.getRecord, request, options: context.downstreamOptions(timeout: .seconds(10)))
        } catch let error as RPCError where error.code == .notFound {
            throw RPCError(.notFound, "record_id: there is no record \(id)")
        }
    }

    /// The record's certificate, for bookers and org reps only while it is shared.
    func visibleCertificate(_ recordID: UInt64, _ principal: Principal) async throws -> StoredCertificate {
        guard let certificate = try await store.certificate(recordID),
              principal == .admin || (certificate.shared && certificate.current != nil) else {
            throw RPCError(.notFound, "record_id: record \(recordID) has no certificate yet")
        }
        return certificate
    }

    func write(_ certificate: StoredCertificate, _ seq: UInt64, email: String? = nil) -> Certportal_Certificates_V1_CertificateWrite {
        var write = Certportal_Certificates_V1_CertificateWrite()
        write.certificate = certificate.message(forAdmin: true, publicURL: settings.publicURL)
        write.seq = seq
        write.emailRequestId = email ?? ""
        return write
    }

    // MARK: Issuing

    static func completion(of record: Certportal_Feed_V1_CatalogRecord) -> CalendarDate? {
        CalendarDate(iso: record.scheduleEnd.prefix(10))
    }

    /// The course's rule: completion plus its validity in calendar months (the day clamped
    /// to the month's end), or never.
    static func courseExpiry(_ record: Certportal_Feed_V1_CatalogRecord) -> String? {
        guard record.validityMonths > 0, let completion = completion(of: record) else { return nil }
        return completion.adding(months: Int(record.validityMonths)).description
    }

    var sampleContent: CertificateContent {
        CertificateContent(providerName: settings.providerName, contactName: "Zoë Brontë", courseName: "Emergency First Aid at Work",
                           organisationName: "Example Organisation Ltd", completionDate: settings.currentDate.description,
                           expiryDate: settings.currentDate.adding(months: 36).description, certificateNumber: "CP-0000-000000",
                           verificationURL: verificationURL("preview"))
    }

    func verificationURL(_ code: String) -> String {
        settings.publicURL.trimmingSuffix("/") + "/verify/" + code
    }

    func content(for record: Certportal_Feed_V1_CatalogRecord, number: String, code: String) async throws -> CertificateContent {
        CertificateContent(providerName: settings.providerName, contactName: record.contactName, courseName: record.courseName,
                           organisationName: record.organisationName,
                           completionDate: Self.completion(of: record)?.description ?? String(record.scheduleEnd.prefix(10)),
                           expiryDate: Self.courseExpiry(record), certificateNumber: number, verificationURL: verificationURL(code))
    }

    func render(_ template: CertificateTemplate, _ content: CertificateContent) async throws -> [UInt8] {
        do {
            return try await work.run { try CertificateRenderer.render(template, content) }
        } catch let error as RenderError {
            throw RPCError(.failedPrecondition, "template: \(Templates.protoNamed(error.description))")
        }
    }

    /// Issues (renders and stores) a new internal version for a finished, not failed record.
    func issue(_ recordID: UInt64, share: Bool, _ context: ServerContext) async throws -> Certportal_Certificates_V1_CertificateWrite {
        let record = try await record(recordID, context)
        guard record.result != "fail" else {
            throw RPCError(.failedPrecondition, "record_id: \(record.contactName) failed \(record.courseName); no certificate is issued")
        }
        let today = settings.currentDate
        guard let completion = Self.completion(of: record), completion <= today else {
            throw RPCError(.failedPrecondition, "record_id: the course finishes on \(record.scheduleEnd.prefix(10)); issue the certificate after that")
        }
        let (certificate, _) = try await store.write { db in try CertificateStore.ensureCertificate(recordID, year: today.year, db) }
        let templateID = record.templateId.isEmpty ? Templates.standardID : record.templateId
        guard let stored = try await store.pool.read({ db in try Templates.get(templateID, db) ?? Templates.get(Templates.standardID, db) }) else {
            throw RPCError(.failedPrecondition, "template_id: no template \(templateID) and no standard template")
        }
        let pdf = try await render(try Templates.rendering(stored),
                                   try await content(for: record, number: certificate.number, code: certificate.code))
        let version = NewVersion(bytes: pdf, kind: "internal", mediaType: CertificateFileKind.pdf.mediaType, expiry: Self.courseExpiry(record),
                                 fileName: SafeFileName.make(contact: record.contactName, course: record.courseName,
                                                             date: completion.description, fileExtension: "pdf"),
                                 replaces: nil, originalName: "")
        let (issued, seq, _) = try await store.addVersion(recordID, version, year: today.year, actor: actor(context),
                                                          share: share ? true : nil, emailTo: nil)
        return write(issued, seq)
    }

    /// Issues each record of the batch, as many at once as there are render threads, and
    /// reports each one as it is done.
    func issueBatch(_ request: Certportal_Certificates_V1_IssueBatchRequest, _ writer: MessageWriter<Certportal_Certificates_V1_IssueProgress>,
                    _ context: ServerContext) async throws {
        let ids = request.recordIds
        guard !ids.isEmpty else { throw RPCError(.invalidArgument, "record_ids: name at least one record") }
        guard ids.count <= Self.maxBatch else { throw RPCError(.invalidArgument, "record_ids: at most \(Self.maxBatch) in one batch") }
        let total = UInt32(ids.count)
        try await withThrowingTaskGroup(of: Certportal_Certificates_V1_IssueProgress.self) { group in
            var pending = ids.makeIterator()
            func start() {
                guard let id = pending.next() else { return }
                group.addTask {
                    var progress = Certportal_Certificates_V1_IssueProgress()
                    progress.recordId = id
                    do {
                        let written = try await issue(id, share: request.share, context)
                        progress.issued = true
                        progress.certificateNumber = written.certificate?.certificateNumber ?? ""
                        progress.seq = written.seq
                    } catch let error as RPCError {
                        progress.problem = error.message
                    }
                    return progress
                }
            }
            for _ in 0..<work.count { start() }
            var done: UInt32 = 0
            while let progress = try await group.next() {
                done += 1
                var report = progress
                report.done = done
                report.total = total
                try await writer.write(report)
                start()
            }
        }
    }

    // MARK: Files out

    /// A file in one array: its header, then chunks of `chunkSize`.
    func send(_ bytes: [UInt8], fileName: String, mediaType: String, version: Int,
              to writer: MessageWriter<Certportal_Certificates_V1_FileChunk>) async throws {
        try await send(size: bytes.count, fileName: fileName, mediaType: mediaType, version: version, to: writer) { offset in
            Array(bytes[offset..<min(bytes.count, offset + Self.chunkSize)])
        }
    }

    /// A file of `size` bytes: its header, then a chunk for each `chunkSize` piece that
    /// `piece(offset)` gives.
    func send(size: Int, fileName: String, mediaType: String, version: Int,
              to writer: MessageWriter<Certportal_Certificates_V1_FileChunk>,
              piece: (Int) async throws -> [UInt8]) async throws {
        var header = Certportal_Certificates_V1_FileHeader()
        header.fileName = fileName
        header.mediaType = mediaType
        header.size = UInt64(size)
        header.version = UInt32(version)
        var first = Certportal_Certificates_V1_FileChunk()
        first.part = .header(header)
        try await writer.write(first)
        var offset = 0
        while offset < size {
            let data = try await piece(offset)
            guard !data.isEmpty else { throw RPCError(.internalError, "the file ended at \(offset) of its \(size) bytes") }
            var chunk = Certportal_Certificates_V1_FileChunk()
            chunk.part = .data(data)
            try await writer.write(chunk)
            offset += data.count
        }
    }

    // MARK: Verification

    /// The public page's facts, and nothing more. The record is read as the service
    /// itself: the code is the caller's only key.
    func verify(_ code: String, _ context: ServerContext) async throws -> Certportal_Certificates_V1_Verification {
        let trimmed = code.trimmingCharacters(in: .whitespaces)
        guard trimmed.utf8.count <= 64, let certificate = try await store.certificate(code: trimmed) else {
            throw RPCError(.notFound, "code: no certificate has this code")
        }
        var options = CallOptions(timeout: .seconds(5))
        options.metadata[MetadataKey.principal] = "admin"
        options.metadata[MetadataKey.requestID] = context.requestID
        var request = Certportal_Catalog_V1_GetRecordRequest()
        request.recordId = certificate.recordID
        let record = try await catalog.unary(Catalog.getRecord, request, options: options)
        var verification = Certportal_Certificates_V1_Verification()
        verification.holder = record.contactName
        verification.course = record.courseName
        verification.completionDate = Self.completion(of: record)?.description ?? ""
        verification.certificateNumber = certificate.number
        verification.provider = settings.providerName
        if let current = certificate.current {
            verification.expiryDate = current.expiry ?? ""
            let expired = current.expiry.flatMap { CalendarDate(iso: $0) }.map { $0 < settings.currentDate } ?? false
            verification.state = expired ? "expired" : "valid"
        } else {
            verification.expiryDate = certificate.versions.last?.expiry ?? ""
            verification.state = "revoked"
        }
        return verification
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
