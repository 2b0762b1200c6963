internal import RPC
internal import Messages
internal import CertificateFiles
internal import Foundation

/// One CertificatesZIP call: the records (the ids given, or every record matching the
/// filter, a page at a time), each one's certificate as the caller may download it, streamed
/// from cert-store (a `Bundle` call per batch of records) into the ZIP piece by piece, and
/// `manifest.csv` at the end. Memory holds one page of records, the pieces of a file the RPC
/// client has received and not yet taken, and a few manifest lines: the manifest waits in
/// export-service's database until the end. The next batch's look-ups (stats-service, when
/// the records are named by id) run while the current batch's files stream.
///
/// Not Sendable: the handler task that made it is its only user.
final class CertificateBundle {
    typealias Stats = Certportal_Stats_V1_Stats
    typealias Certificates = Certportal_Certificates_V1_Certificates

    let service: ExportService
    let request: Certportal_Export_V1_ZIPRequest
    let stream: ExportStream
    let context: ExportCaller
    let principal: Principal
    let exportID: Int64
    private var zip: ZIPBuilder?
    private var folders: [String: String] = [:]
    private var names: [String: SafeFileName.UniqueNames] = [:]
    /// Manifest lines not yet in the database, the lines written and their bytes.
    private var manifest: [[UInt8]] = []
    private var manifestLines = 0
    private var manifestBytes = 0
    private var progressAt: (files: UInt64, bytes: UInt64) = (0, 0)

    /// The most record ids one call may name.
    static let maxRecordIDs = 10_000
    /// A progress message at least every this many files or bytes.
    static let progressFiles: UInt64 = 20
    static let progressBytes: UInt64 = 1 << 20
    static let manifestBatch = 200
    /// Records per cert-store `Bundle` call (one audit transaction each).
    static let bundleBatch = 250
    /// Records named by id looked up in stats-service at once.
    static let lookAhead = 16
    static let manifestHeader = ["Record", "Booking ID", "Contact Name", "Course Name", "Version", "File", "Size", "BLAKE2b-256", "Note"]
    // Each file's digest is checked as it streams into the ZIP against the one cert-store stored.

    init(service: ExportService, request: Certportal_Export_V1_ZIPRequest, stream: ExportStream, context: ExportCaller, principal: Principal,
         exportID: Int64) {
        self.service = service
        self.request = request
        self.stream = stream
        self.context = context
        self.principal = principal
        self.exportID = exportID
    }

    func run() async throws -> ExportOutcome {
        let zip = try ZIPBuilder()
        self.zip = zip
        try await addManifestLine(Self.manifestHeader)
        var records = 0 as UInt64
        if request.recordIds.isEmpty {
            var page = Certportal_Stats_V1_ListRecordsRequest()
            page.filter = request.filter ?? .init()
            page.pageSize = ExportService.pageSize
            // The first page before anything is sent: a bad filter is the call's error.
            var answer = try await service.stats.unary(Stats.listRecords, page, options: service.downstream(context))
            try await header(total: answer.total)
            while true {
                try await addAll(answer.records.map(Target.row))
                records += UInt64(answer.records.count)
                guard !answer.nextCursor.isEmpty, !answer.records.isEmpty else { break }
                page.cursor = answer.nextCursor
                answer = try await service.stats.unary(Stats.listRecords, page, options: service.downstream(context))
            }
        } else {
            var seen = Set<UInt64>()
            let ids = request.recordIds.filter { seen.insert($0).inserted }
            guard ids.count <= Self.maxRecordIDs else {
                throw RPCError(.invalidArgument, "record_ids: at most \(Self.maxRecordIDs) records in one ZIP; found \(ids.count)")
            }
            try await header(total: UInt64(ids.count))
            try await addAll(ids.map(Target.id))
            records = UInt64(ids.count)
        }
        try await writeManifest()
        try await send(zip.finish())
        try await stream.progress(rows: records)
        return stream.outcome(rows: records)
    }

    private func addManifestLine(_ cells: [String]) async throws {
        var line: [UInt8] = []
        ReportCSV.appendRow(cells, to: &line)
        manifest.append(line)
        manifestBytes += line.count
        if manifest.count >= Self.manifestBatch { try await flushManifest() }
    }

    private func flushManifest() async throws {
        try await service.store.appendManifest(exportID, from: manifestLines, manifest)
        manifestLines += manifest.count
        manifest.removeAll(keepingCapacity: true)
    }

    /// manifest.csv, read back from the database a batch at a time.
    private func writeManifest() async throws {
        guard let zip else { return }
        try await flushManifest()
        try await send(zip.begin(name: "manifest.csv", modified: Date(), size: Int64(ReportCSV.byteOrderMark.count + manifestBytes), compress: true))
        try await send(zip.write(ReportCSV.byteOrderMark))
        var last = -1
        while true {
            let lines = try await service.store.manifest(exportID, after: last, limit: 1000)
            guard let end = lines.last?.number else { break }
            try await send(zip.write(Array(lines.map(\.line).joined())))
            last = end
        }
    }

    private func header(total: UInt64) async throws {
        try await stream.header(fileName: "certificates-\(service.settings.currentDate).zip", mediaType: "application/zip", total: total)
    }

    private func send(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await stream.data(bytes)
        if stream.files - progressAt.files >= Self.progressFiles || stream.bytes - progressAt.bytes >= Self.progressBytes {
            progressAt = (stream.files, stream.bytes)
            try await stream.progress()
        }
    }

    private func skip(_ recordID: UInt64, _ row: Certportal_Stats_V1_RecordRow?, _ reason: String) async throws {
        try await addManifestLine(["\(recordID)", row?.bookingId ?? "", row?.contactName ?? "", row?.courseName ?? "", "", "", "", "",
                                   "skipped: \(reason)"])
        try await stream.skip(recordID, reason)
    }

    /// A record to bundle: named by id (looked up in stats-service) or a row of a page.
    enum Target: Sendable {
        case id(UInt64)
        case row(Certportal_Stats_V1_RecordRow)
    }

    /// What stats-service said of a target: its row, or nil when there is no such record in
    /// the caller's scope.
    struct Lookup: Sendable {
        var id: UInt64
        var row: Certportal_Stats_V1_RecordRow?
    }

    /// The targets a batch at a time, each batch's files in one cert-store `Bundle` call; the
    /// next batch's look-ups run while this one's files stream.
    private func addAll(_ targets: [Target]) async throws {
        guard !targets.isEmpty else { return }
        let batches = stride(from: 0, to: targets.count, by: Self.bundleBatch).map { Array(targets[$0..<min(targets.count, $0 + Self.bundleBatch)]) }
        var next = lookUp(batches[0])
        defer { next.cancel() }
        for index in batches.indices {
            let pending = next
            // The look-ups are a task of their own: a cancelled export cancels them too.
            let found = try await withTaskCancellationHandler { try await pending.value } onCancel: { pending.cancel() }
            if index + 1 < batches.count { next = lookUp(batches[index + 1]) }
            try await add(found)
        }
    }

    /// The batch's rows: those of a page as they are, those named by id from stats-service,
    /// `lookAhead` at a time, in order.
    private func lookUp(_ targets: [Target]) -> Task<[Lookup], any Error> {
        let service = service, options = service.downstream(context), filter = request.filter ?? .init()
        return Task { try await CertificateBundle.lookUp(targets, service, options, filter) }
    }

    private static func lookUp(_ targets: [Target], _ service: ExportService, _ options: CallOptions,
                               _ filter: Certportal_Stats_V1_RecordFilter) async throws -> [Lookup] {
        try await withThrowingTaskGroup(of: (Int, Lookup).self) { group in
            var found = [Lookup?](repeating: nil, count: targets.count)
            for (index, target) in targets.enumerated() {
                if index >= lookAhead, let done = try await group.next() { found[done.0] = done.1 }
                group.addTask { (index, try await lookUp(target, service, options, filter)) }
            }
            while let done = try await group.next() { found[done.0] = done.1 }
            return found.compactMap { $0 }
        }
    }

    private static func lookUp(_ target: Target, _ service: ExportService, _ options: CallOptions,
                                _ filter: Certportal_Stats_V1_RecordFilter) async throws -> Lookup {
        switch target {
        case .row(let row):
            return Lookup(id: row.recordId, row: row)
        case .id(let id):
            var get = Certportal_Stats_V1_GetRecordRequest()
            get.recordId = id
            get.minCatalogSeq = filter.minCatalogSeq
            get.minCertificateSeq = filter.minCertificateSeq
            do {
                return Lookup(id: id, row: try await service.stats.unary(Stats.getRecord, get, options: options))
            } catch let error as RPCError where error.code == .notFound {
                return Lookup(id: id, row: nil)
            }
        }
    }

    /// A batch in order: the records without a certificate skipped here, the files of the
    /// rest streamed from one cert-store `Bundle` call into the ZIP as their pieces arrive.
    private func add(_ batch: [Lookup]) async throws {
        let asked = batch.compactMap { $0.row?.hasCertificate == true ? $0.id : nil }
        guard !asked.isEmpty else {
            for found in batch { try await skipWithoutCertificate(found) }
            return
        }
        var bundle = Certportal_Certificates_V1_BundleRequest()
        bundle.recordIds = asked
        bundle.allVersions = request.allVersions
        try await service.certificates.serverStreaming(Certificates.bundle, bundle, options: service.downstream(context)) { chunks in
            var parts = BundleParts(chunks.makeAsyncIterator())
            for found in batch {
                guard let row = found.row, row.hasCertificate else {
                    try await skipWithoutCertificate(found)
                    continue
                }
                guard case .record(let record)? = try await parts.next(), record.recordId == row.recordId else {
                    throw RPCError(.internalError, "cert-store's bundle did not go on with record \(row.recordId)")
                }
                guard let certificate = record.certificate else {
                    try await skip(row.recordId, row, principal == .admin ? "no certificate yet" : "no shared certificate")
                    continue
                }
                var added = 0
                while case .file(let header)? = try await parts.peek() {
                    _ = try await parts.next()
                    guard let version = certificate.versions.first(where: { $0.number == header.version }) else {
                        throw RPCError(.internalError, "cert-store sent version \(header.version) of record \(row.recordId), which its certificate does not list")
                    }
                    try await add(row, version, header, from: &parts, numbered: request.allVersions)
                    added += 1
                }
                if added == 0 {
                    try await skip(row.recordId, row, certificate.currentVersion == 0 ? "no current certificate (every version is revoked)"
                                                                                     : "no certificate you may download")
                }
            }
            guard try await parts.next() == nil else { throw RPCError(.internalError, "cert-store's bundle sent more than was asked") }
        }
    }

    private func skipWithoutCertificate(_ found: Lookup) async throws {
        guard let row = found.row else { return try await skip(found.id, nil, "there is no such record") }
        try await skip(row.recordId, row, !row.hasCertificate || principal == .admin ? "no certificate yet" : "no shared certificate")
    }

    /// One version's file, from the bundle into the ZIP as its pieces arrive.
    private func add(_ row: Certportal_Stats_V1_RecordRow, _ version: Certportal_Certificates_V1_Version, _ header: Certportal_Certificates_V1_FileHeader,
                     from parts: inout BundleParts, numbered: Bool) async throws {
        guard let zip else { return }
        let path = entryName(row, version, numbered: numbered)
        let modified = Date(timeIntervalSince1970: Double(version.createdAtMs) / 1000)
        try await send(zip.begin(name: path, modified: modified, size: Int64(clamping: header.size), compress: false, digest: true))
        var received: UInt64 = 0
        while received < header.size {
            guard case .data(let bytes)? = try await parts.next() else {
                throw RPCError(.internalError, "cert-store sent \(received) of the \(header.size) bytes of record \(row.recordId) version \(version.number)")
            }
            received += UInt64(bytes.count)
            try await send(zip.write(bytes))
        }
        let (bytes, digest) = try await zip.finishEntry()
        // The file as cert-store stored it, or the ZIP is refused (the call fails; its bytes are of no use).
        guard digest == version.digest.lowercased() else {
            throw RPCError(.dataLoss, "record \(row.recordId) version \(version.number): the file's BLAKE2b-256 is \(digest ?? "-"), cert-store stored \(version.digest)")
        }
        try await send(bytes)
        stream.files += 1
        try await addManifestLine(["\(row.recordId)", row.bookingId, row.contactName, row.courseName, "\(version.number)", path, "\(header.size)",
                                   version.digest, version.state])
    }

    /// `Organisation/Contact - Course - 2026-03-02.pdf`: each part made safe, the file name unique
    /// within its folder (and the folder among folders, ignoring case as Windows does).
    private func entryName(_ row: Certportal_Stats_V1_RecordRow, _ version: Certportal_Certificates_V1_Version, numbered: Bool) -> String {
        let folderName = SafeFileName.sanitize(row.organisationName.isEmpty ? row.organisationId : row.organisationName, maxBytes: 64)
        let key = folderName.precomposedStringWithCanonicalMapping.lowercased()
        let folder = folders[key] ?? folderName
        folders[key] = folder
        let fileExtension = Self.fileExtension(version)
        let date = row.completionDate.isEmpty ? String(row.start.prefix(10)) : row.completionDate
        // The version goes with the date, which make() keeps whole (it shortens the course, then the contact).
        let name = SafeFileName.make(contact: row.contactName, course: row.courseName,
                                     date: numbered ? "\(date) (version \(version.number))" : date, fileExtension: fileExtension)
        var unique = names[key] ?? SafeFileName.UniqueNames()
        let file = unique.claim(name)
        names[key] = unique
        return folder + "/" + file
    }

    static func fileExtension(_ version: Certportal_Certificates_V1_Version) -> String {
        switch version.mediaType {
        case "application/pdf": "pdf"
        case "image/png": "png"
        case "image/jpeg": "jpg"
        default: version.fileName.split(separator: ".").last.map { String($0).lowercased() } ?? "pdf"
        }
    }
}

/// A bundle's chunks, with one to look at before taking it.
struct BundleParts {
    typealias Chunk = Certportal_Certificates_V1_BundleChunk
    private var chunks: MessageStream<Chunk>.AsyncIterator
    private var peeked: Chunk.Part??

    init(_ chunks: MessageStream<Chunk>.AsyncIterator) {
        self.chunks = chunks
    }

    mutating func peek() async throws -> Chunk.Part? {
        if let peeked { return peeked }
        let part = try await nextPart()
        peeked = .some(part)
        return part
    }

    mutating func next() async throws -> Chunk.Part? {
        if let peeked {
            self.peeked = nil
            return peeked
        }
        return try await nextPart()
    }

    /// The next chunk's part; nil at the end (chunks with no part are passed over).
    private mutating func nextPart() async throws -> Chunk.Part? {
        while let chunk = try await chunks.next() {
            if let part = chunk.part { return part }
        }
        return nil
    }
}
