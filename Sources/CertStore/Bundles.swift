internal import RPC
internal import Messages
internal import Storage

/// `Bundle`: the files of many records in one call, for export-service's ZIPs. Each record
/// is scoped exactly as `Download` scopes it (catalog-service's record with the caller's
/// principal, then the certificate as the caller may see it); the look-ups run a few records
/// ahead of the file being sent, and the files are read a piece at a time as their turn
/// comes, so memory holds one piece. The downloads are audited in one transaction at the end (one
/// fsync per batch, not per file), those sent before a failure too.
extension CertStoreService {
    typealias BundleChunk = Certportal_Certificates_V1_BundleChunk

    /// The most records one Bundle call may name.
    static let maxBundle = 1000
    /// Records looked up ahead of the one whose files are being sent.
    static let bundleLookAhead = 16

    func registerBundle(into router: inout RPCRouter) {
        router.serverStreaming(Service.bundle) { request, writer, context in
            try await bundle(request, writer, context)
        }
    }

    func bundle(_ request: Certportal_Certificates_V1_BundleRequest, _ writer: MessageWriter<BundleChunk>, _ context: ServerContext) async throws {
        let principal = try context.requirePrincipal()
        let ids = request.recordIds
        guard ids.count <= Self.maxBundle else {
            throw RPCError(.invalidArgument, "record_ids: at most \(Self.maxBundle) records in one bundle; found \(ids.count)")
        }
        var sent: [DownloadedFile] = []
        do {
            var pending: [Task<StoredCertificate?, any Error>] = []
            defer { for task in pending { task.cancel() } }
            var nextIndex = 0
            func lookAhead() {
                while pending.count < Self.bundleLookAhead, nextIndex < ids.count {
                    pending.append(bundleLookUp(ids[nextIndex], principal, context))
                    nextIndex += 1
                }
            }
            lookAhead()
            for id in ids {
                let task = pending.removeFirst()
                lookAhead()
                let found = try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
                var record = Certportal_Certificates_V1_BundleRecord()
                record.recordId = id
                if let found { record.certificate = found.message(forAdmin: principal == .admin, publicURL: settings.publicURL) }
                var chunk = BundleChunk()
                chunk.part = .record(record)
                try await writer.write(chunk)
                guard let found else { continue }
                // Download's choice: admins any version, everyone else the current one.
                let versions = request.allVersions && principal == .admin ? found.versions : found.current.map { [$0] } ?? []
                for version in versions {
                    // Gone since the look-up (a version is never deleted, so only with its record): nothing of it is sent.
                    guard let file = try await store.openFile(id, version: version.number) else { continue }
                    try await sendBundleFile(file, version, to: writer)
                    sent.append(DownloadedFile(recordID: id, version: version.number))
                }
            }
        } catch {
            try? await store.recordDownloads(sent, actor: actor(context))
            throw error
        }
        try await store.recordDownloads(sent, actor: actor(context))
    }

    /// The record's certificate as `Download` would let the caller have it; nil when the
    /// record is outside the caller's scope (or does not exist) or the certificate is not
    /// theirs to see.
    private func bundleLookUp(_ id: UInt64, _ principal: Principal, _ context: ServerContext) -> Task<StoredCertificate?, any Error> {
        Task {
            do {
                _ = try await record(id, context)
                return try await visibleCertificate(id, principal)
            } catch let error as RPCError where error.code == .notFound {
                return nil
            }
        }
    }

    private func sendBundleFile(_ file: FileReader, _ version: StoredVersion, to writer: MessageWriter<BundleChunk>) async throws {
        var header = Certportal_Certificates_V1_FileHeader()
        header.fileName = version.fileName
        header.mediaType = version.mediaType
        header.size = UInt64(file.size)
        header.version = UInt32(version.number)
        var chunk = BundleChunk()
        chunk.part = .file(header)
        try await writer.write(chunk)
        var offset = 0
        while offset < file.size {
            let data = try await file.piece(at: offset, maxBytes: Self.chunkSize)
            guard !data.isEmpty else { throw RPCError(.internalError, "the file ended at \(offset) of its \(file.size) bytes") }
            chunk.part = .data(data)
            try await writer.write(chunk)
            offset += data.count
        }
    }
}

/// A file sent by a bundle, to audit as a download.
struct DownloadedFile: Sendable {
    var recordID: UInt64
    var version: Int
}

extension CertificateStore {
    /// Audits many downloads in one transaction.
    func recordDownloads(_ files: [DownloadedFile], actor: String) async throws {
        guard !files.isEmpty else { return }
        _ = try await pool.write { db in
            for file in files { try Self.audit(file.recordID, actor, "downloaded", version: file.version, db) }
        }
    }
}
