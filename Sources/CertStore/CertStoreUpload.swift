internal import RPC
internal import Storage
internal import Records
internal import Messages
internal import CertificateFiles
internal import Sodium
internal import Synchronization

/// Uploads (External certificates): the file streamed in and, while its pieces arrive,
/// hashed, checked (a PNG piece by piece) and, from 1 MiB on, written to the file directory
/// on threads of their own, the record looked up meanwhile; then the version committed in
/// one small transaction. A refusal removes what was written.
extension CertStoreService {
    static let emailRecipients: Set<String> = ["booker", "delegate", "both"]

    func upload(_ requests: MessageStream<Certportal_Certificates_V1_UploadChunk>, _ context: ServerContext) async throws
        -> Certportal_Certificates_V1_CertificateWrite {
        var header: Certportal_Certificates_V1_UploadHeader?
        var received = 0
        var recordLookup: Task<Certportal_Feed_V1_CatalogRecord, any Error>? = nil
        defer { recordLookup?.cancel() }
        let pieces = UploadPieces(work: work)
        defer { pieces.cancel() }
        do {
            for try await chunk in requests {
                switch chunk.part {
                case .header(let value)?:
                    guard header == nil else { throw RPCError(.invalidArgument, "header: sent twice") }
                    header = value
                    let id = value.recordId
                    recordLookup = Task { () async throws -> Certportal_Feed_V1_CatalogRecord in try await self.record(id, context) }
                case .data(let data)?:
                    guard let header else { throw RPCError(.invalidArgument, "header: the upload must start with its header") }
                    guard received + data.count <= CertificateFileCheck.maxBytes else {
                        throw RPCError(.invalidArgument, "file: the file is over \(CertificateFileCheck.maxBytes / (1024 * 1024)) MB, the limit")
                    }
                    received += data.count
                    try await pieces.add(data, recordID: header.recordId, files: store.files)
                case nil: break
                }
            }
            guard let header, let lookup = recordLookup else { throw RPCError(.invalidArgument, "header: the upload sent no header") }
            let record: Certportal_Feed_V1_CatalogRecord = try await lookup.value
            var expiry = Self.courseExpiry(record)
            if !header.expiryDate.isEmpty {
                guard let date = CalendarDate(iso: header.expiryDate) else {
                    throw RPCError(.invalidArgument, "expiry_date: must be an ISO date such as 2027-03-02; found \"\(header.expiryDate.prefix(40))\"")
                }
                expiry = date.description
            }
            guard header.emailTo.isEmpty || Self.emailRecipients.contains(header.emailTo) else {
                throw RPCError(.invalidArgument, "email_to: must be booker, delegate or both; found \"\(header.emailTo.prefix(40))\"")
            }
            if header.emailTo == "delegate" || header.emailTo == "both", record.contactEmail.isEmpty {
                throw RPCError(.invalidArgument, "email_to: \(record.contactName) has no e-mail address")
            }
            let file = try await pieces.finish(checkingPDFsWith: pdfCheck)
            let date = Self.completion(of: record)?.description ?? ""
            var version = NewVersion(bytes: file.bytes, kind: "external", mediaType: file.kind.mediaType, expiry: expiry,
                                     fileName: SafeFileName.make(contact: record.contactName, course: record.courseName, date: date,
                                                                 fileExtension: file.kind.fileExtension),
                                     replaces: header.replaceVersion == 0 ? nil : Int(header.replaceVersion),
                                     originalName: header.originalName)
            version.digest = file.digest
            version.stored = file.stored.map { ($0.name, received) }
            let (certificate, seq, email) = try await store.addVersion(header.recordId, version, year: settings.currentDate.year,
                                                                       actor: actor(context), share: header.share ? true : nil,
                                                                       emailTo: header.emailTo.isEmpty ? nil : header.emailTo)
            file.stored?.readIntoMemory()
            return write(certificate, seq, email: email)
        } catch {
            // Nothing of a refused or failed upload stays (a version committed never gets here).
            await pieces.discard()
            throw error
        }
    }
}

/// An upload's pieces as they arrive: the first bytes sniffed (what is plainly no
/// certificate is refused at once), every piece hashed, a PNG checked piece by piece, and
/// from `FileDirectory.fromBytes` on the pieces written to an incoming file; each of these
/// in order on a thread of its own, while the next pieces are still on their way.
final class UploadPieces: @unchecked Sendable {
    // @unchecked Sendable: the mutable state is touched only by the upload's own task,
    // one call at a time (add, then finish or discard); the stages are Sendable.
    private let work: WorkThreads
    private let hasher = LockedHasher()
    private let digest: ThreadStage
    private var start: [UInt8] = []
    private var kind: CertificateFileKind?
    private var check: ThreadStage?
    private var pngCheck: PNGStreamCheck?
    /// The pieces while they are needed: below the directory's threshold (stored in the
    /// database), or for a file checked whole (a PDF or JPEG).
    private var kept: [[UInt8]] = []
    private var keptBytes = 0
    private var incoming: IncomingFile?

    /// The work thread that hashes; the next one checks.
    private let lane: Int

    init(work: WorkThreads) {
        self.work = work
        lane = work.pick()
        let hasher = hasher
        digest = ThreadStage(on: lane, of: work) { piece in hasher.update(piece) }
    }

    func add(_ piece: [UInt8], recordID: UInt64, files: FileDirectory) async throws {
        let sniff = CertificateFileCheck.sniffLength
        if start.count < sniff {
            start += piece.prefix(sniff - start.count)
            if start.count == sniff {
                kind = CertificateFileCheck.sniff(start)
                guard let kind else { throw RPCError(.invalidArgument, "file: the file is not a PDF, PNG or JPEG") }
                if kind == .png {
                    let png = PNGStreamCheck()
                    pngCheck = png
                    check = ThreadStage(on: lane + 1, of: work) { piece in try png.feed(piece) }
                    for earlier in kept { check?.add(earlier) }
                }
            }
        }
        digest.add(piece)
        if let check {
            check.add(piece)
            // A PNG found damaged is refused now, not after the rest of it arrives.
            if check.hasFailed { try await finishCheck() }
        }
        incoming?.add(piece)
        if incoming == nil || check == nil {
            kept.append(piece)
            keptBytes += piece.count
        }
        if incoming == nil, keptBytes >= FileDirectory.fromBytes {
            let file = try await files.create(for: recordID)
            incoming = file
            for earlier in kept { file.add(earlier) }
        }
        // A PNG in the file directory is checked as it goes: its pieces need not stay.
        if incoming != nil && check != nil {
            kept = []
            keptBytes = 0
        }
    }

    /// The file once every piece is in: its kind (refused with the reason when it is no
    /// certificate file), digest, and either its bytes or its incoming file, finished (on
    /// disk, under its final name).
    func finish(checkingPDFsWith pdfCheck: IsolatedPDFCheck?) async throws -> (kind: CertificateFileKind, digest: [UInt8], bytes: [UInt8], stored: IncomingFile?) {
        let hasher = hasher
        let digest = digest
        async let digestDone: Void = digest.finish()
        let incoming = incoming
        async let fileDone: Void? = incoming?.finish()
        // Whole: to keep in the database, or to check (a PDF or JPEG).
        var whole: [UInt8] = []
        if incoming == nil || check == nil {
            whole.reserveCapacity(keptBytes)
            for piece in kept { whole += piece }
        }
        kept = []
        let kind: CertificateFileKind
        if check != nil, let sniffed = self.kind {
            try await finishCheck()
            kind = sniffed
        } else {
            let bytes = whole
            do {
                // A failure to check at all (IsolatedPDFCheck.Failure) is no refusal: logged, UNKNOWN.
                kind = try await work.run { try CertificateFileCheck.inspect(bytes, checkingPDFsWith: pdfCheck) }
            } catch let refusal as FileRefusal {
                throw RPCError(.invalidArgument, "file: \(refusal.reason)")
            }
        }
        try await digestDone
        do {
            try await fileDone
        } catch let error as FileError {
            // The disk's reason (full, failing), said as the upload's; the file is removed.
            throw RPCError(error.isNoSpace ? .resourceExhausted : .unavailable,
                           "file: cert-store cannot store it now: \(error.reason)")
        }
        return (kind, hasher.finish(), incoming == nil ? whole : [], incoming)
    }

    private func finishCheck() async throws {
        do {
            try await check?.finish()
            let png = pngCheck
            try await work.run { try png?.finish() }
        } catch let refusal as FileRefusal {
            throw RPCError(.invalidArgument, "file: \(refusal.reason)")
        }
    }

    /// Drops the pieces the stages have not taken yet (the upload ended early).
    func cancel() {
        digest.cancel()
        check?.cancel()
    }

    /// Stops every stage and removes the incoming file, if any.
    func discard() async {
        cancel()
        await incoming?.discard()
    }
}

/// Pieces handed to `consume` one at a time, in order, on one of the work threads, queued
/// straight onto it as they arrive (no task switch for each); after a failure the rest are
/// dropped: `hasFailed` tells so at once, `finish` throws the failure.
final class ThreadStage: Sendable {
    private let work: WorkThreads
    private let thread: Int
    private let consume: @Sendable ([UInt8]) throws -> Void
    private let failure = Mutex<(any Error)?>(nil)
    private let stopped = Atomic<Bool>(false)

    init(on thread: Int, of work: WorkThreads, _ consume: @escaping @Sendable ([UInt8]) throws -> Void) {
        self.work = work
        self.thread = thread
        self.consume = consume
    }

    func add(_ piece: [UInt8]) {
        work.submit(on: thread) { [self] in
            guard !stopped.load(ordering: .acquiring), failure.withLock({ $0 == nil }) else { return }
            do {
                try consume(piece)
            } catch {
                failure.withLock { $0 = error }
            }
        }
    }

    var hasFailed: Bool { failure.withLock { $0 != nil } }

    /// Waits until every piece added is consumed; throws the first failure.
    func finish() async throws {
        try await work.run(on: thread) { [self] in
            if let error = failure.withLock({ $0 }) { throw error }
        }
    }

    /// The pieces still queued are dropped.
    func cancel() { stopped.store(true, ordering: .releasing) }
}

/// A hasher handed from thread to thread, one piece at a time.
private final class LockedHasher: Sendable {
    private let hasher = Mutex(GenericHasher())

    func update(_ bytes: [UInt8]) { hasher.withLock { $0.update(bytes) } }
    func finish() -> [UInt8] { hasher.withLock { $0.finish() } }
}
