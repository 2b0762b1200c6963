internal import RPC
internal import Records
internal import Messages
internal import CertificateFiles
internal import Sodium
internal import Synchronization
internal import Dispatch

/// Uploads (External certificates): the file streamed in, hashed on a work thread while
/// its chunks arrive, the record looked up meanwhile; then checked by its content and
/// stored in one transaction.
extension CertStoreService {
    static let emailRecipients: Set<String> = ["booker", "delegate", "both"]

    func upload(_ requests: MessageStream<Certportal_Certificates_V1_UploadChunk>, _ context: ServerContext) async throws
        -> Certportal_Certificates_V1_CertificateWrite {
        var header: Certportal_Certificates_V1_UploadHeader?
        // The pieces as they came, joined once at the end (no regrowing copy after copy).
        var pieces: [[UInt8]] = []
        var received = 0
        var start: [UInt8] = []
        var recordLookup: Task<Certportal_Feed_V1_CatalogRecord, any Error>? = nil
        defer { recordLookup?.cancel() }
        let digest = StreamingDigest(work: work)
        defer { digest.cancel() }
        for try await chunk in requests {
            switch chunk.part {
            case .header(let value)?:
                guard header == nil else { throw RPCError(.invalidArgument, "header: sent twice") }
                header = value
                let id = value.recordId
                recordLookup = Task { () async throws -> Certportal_Feed_V1_CatalogRecord in try await self.record(id, context) }
            case .data(let data)?:
                guard header != nil else { throw RPCError(.invalidArgument, "header: the upload must start with its header") }
                guard received + data.count <= CertificateFileCheck.maxBytes else {
                    throw RPCError(.invalidArgument, "file: the file is over \(CertificateFileCheck.maxBytes / (1024 * 1024)) MB, the limit")
                }
                received += data.count
                pieces.append(data)
                // Refuse what is plainly no certificate at its first bytes, before the rest arrives.
                let sniff = CertificateFileCheck.sniffLength
                if start.count < sniff {
                    start += data.prefix(sniff - start.count)
                    if start.count == sniff && CertificateFileCheck.sniff(start) == nil {
                        throw RPCError(.invalidArgument, "file: the file is not a PDF, PNG or JPEG")
                    }
                }
                digest.add(data)
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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(received)
        for piece in pieces { bytes += piece }
        pieces = []
        let file = bytes
        let kind: CertificateFileKind
        var confirm: (@Sendable () throws -> Void)?
        if let image = CertificateFileCheck.sniff(Array(file.prefix(CertificateFileCheck.sniffLength))), image != .pdf {
            // An image is decoded while its version is written; the commit waits for the
            // verdict, and a refusal rolls the write back. (Decoding takes about a millisecond
            // a megabyte, as long as the write; qpdf's check of a PDF can take far longer, so a
            // PDF is checked first, never with the writer waiting on it.)
            let check = CheckInProgress()
            Task { [work] in try? await work.run { check.finish(Result { () throws(FileRefusal) in try CertificateFileCheck.inspect(file) }) } }
            kind = image
            confirm = { try check.verdict() }
        } else {
            do {
                kind = try await work.run { try CertificateFileCheck.inspect(file) }
            } catch let refusal as FileRefusal {
                throw RPCError(.invalidArgument, "file: \(refusal.reason)")
            }
        }
        let date = Self.completion(of: record)?.description ?? ""
        var version = NewVersion(bytes: file, kind: "external", mediaType: kind.mediaType, expiry: expiry,
                                 fileName: SafeFileName.make(contact: record.contactName, course: record.courseName, date: date,
                                                             fileExtension: kind.fileExtension),
                                 replaces: header.replaceVersion == 0 ? nil : Int(header.replaceVersion),
                                 originalName: header.originalName)
        version.digest = try await digest.finish()
        let (certificate, seq, email) = try await store.addVersion(header.recordId, version, year: settings.currentDate.year,
                                                                   actor: actor(context), share: header.share ? true : nil,
                                                                   emailTo: header.emailTo.isEmpty ? nil : header.emailTo,
                                                                   confirm: confirm)
        return write(certificate, seq, email: email)
    }
}

/// A file check running on a work thread, and its verdict for whoever waits for it.
final class CheckInProgress: Sendable {
    private let outcome = Mutex<Result<CertificateFileKind, FileRefusal>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func finish(_ result: Result<CertificateFileKind, FileRefusal>) {
        outcome.withLock { $0 = result }
        done.signal()
    }

    /// Waits for the check (blocking: call it from a thread of its own, such as the
    /// database writer's); throws the refusal as cert-store answers it.
    func verdict() throws {
        done.wait()
        done.signal()
        if case .failure(let refusal)? = outcome.withLock({ $0 }) {
            throw RPCError(.invalidArgument, "file: \(refusal.reason)")
        }
    }
}

/// BLAKE2b of a file fed in pieces as they arrive: each piece is hashed on a work thread,
/// in order, while the next ones are still on their way.
final class StreamingDigest: Sendable {
    private let pieces: AsyncStream<[UInt8]>.Continuation
    private let hashing: Task<[UInt8], any Error>

    init(work: WorkThreads) {
        let (stream, pieces) = AsyncStream.makeStream(of: [UInt8].self)
        self.pieces = pieces
        hashing = Task {
            let hasher = LockedHasher()
            for await piece in stream {
                try await work.run { hasher.update(piece) }
            }
            return hasher.finish()
        }
    }

    func add(_ piece: [UInt8]) {
        pieces.yield(piece)
    }

    /// The digest of every piece added.
    func finish() async throws -> [UInt8] {
        pieces.finish()
        return try await hashing.value
    }

    /// Stops hashing (the upload ended early).
    func cancel() {
        pieces.finish()
        hashing.cancel()
    }
}

/// A hasher handed from thread to thread, one piece at a time.
private final class LockedHasher: Sendable {
    private let hasher = Mutex(GenericHasher())

    func update(_ bytes: [UInt8]) { hasher.withLock { $0.update(bytes) } }
    func finish() -> [UInt8] { hasher.withLock { $0.finish() } }
}
