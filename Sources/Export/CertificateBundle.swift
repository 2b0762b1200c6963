internal import RPC
internal import Messages
internal import CertificateFiles
internal import Foundation

/// One CertificatesZIP call: the records (the ids given, or every record matching the
/// filter, a page at a time), each one's certificate as the caller may download it, streamed
/// from cert-store into the ZIP piece by piece, and `manifest.csv` at the end. Memory holds
/// one page of records, one piece of one file and a few manifest lines: the manifest waits
/// in export-service's database until the end. The next record's look-ups (stats-service,
/// cert-store's GetCertificate) run while the current record's file streams; no file's bytes
/// are fetched ahead.
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

    /// What the look-ups found: the row (nil: no such record in the caller's scope) and its
    /// certificate as the caller may see it (nil: none).
    struct Lookup: Sendable {
        var id: UInt64
        var row: Certportal_Stats_V1_RecordRow?
        var certificate: Certportal_Certificates_V1_Certificate?
    }

    /// Each target in order, the next one's look-ups running while this one's files stream.
    private func addAll(_ targets: [Target]) async throws {
        guard !targets.isEmpty else { return }
        var next = lookUp(targets[0])
        defer { next.cancel() }
        for index in targets.indices {
            let pending = next
            // The look-up is a task of its own: a cancelled export cancels it too.
            let found = try await withTaskCancellationHandler { try await pending.value } onCancel: { pending.cancel() }
            if index + 1 < targets.count { next = lookUp(targets[index + 1]) }
            try await add(found)
        }
    }

    private func lookUp(_ target: Target) -> Task<Lookup, any Error> {
        let service = service, options = service.downstream(context), filter = request.filter ?? .init()
        return Task {
            var row: Certportal_Stats_V1_RecordRow
            switch target {
            case .row(let given):
                row = given
            case .id(let id):
                var get = Certportal_Stats_V1_GetRecordRequest()
                get.recordId = id
                get.minCatalogSeq = filter.minCatalogSeq
                get.minCertificateSeq = filter.minCertificateSeq
                do {
                    row = try await service.stats.unary(Stats.getRecord, get, options: options)
                } catch let error as RPCError where error.code == .notFound {
                    return Lookup(id: id, row: nil, certificate: nil)
                }
            }
            guard row.hasCertificate else { return Lookup(id: row.recordId, row: row, certificate: nil) }
            var get = Certportal_Certificates_V1_GetCertificateRequest()
            get.recordId = row.recordId
            do {
                let certificate = try await service.certificates.unary(Certificates.getCertificate, get, options: options)
                return Lookup(id: row.recordId, row: row, certificate: certificate)
            } catch let error as RPCError where error.code == .notFound {
                return Lookup(id: row.recordId, row: row, certificate: nil)
            }
        }
    }

    /// The record's certificate (its current version, or every version the caller may see).
    private func add(_ found: Lookup) async throws {
        guard let row = found.row else { return try await skip(found.id, nil, "there is no such record") }
        guard let certificate = found.certificate else {
            let reason = !row.hasCertificate || principal == .admin ? "no certificate yet" : "no shared certificate"
            return try await skip(row.recordId, row, reason)
        }
        let versions = request.allVersions ? certificate.versions : certificate.versions.filter { $0.number == certificate.currentVersion }
        guard !versions.isEmpty else { return try await skip(row.recordId, row, "no current certificate (every version is revoked)") }
        for version in versions {
            try await add(row, version, numbered: request.allVersions)
        }
    }

    /// One version's file, downloaded from cert-store into the ZIP as its pieces arrive.
    private func add(_ row: Certportal_Stats_V1_RecordRow, _ version: Certportal_Certificates_V1_Version, numbered: Bool) async throws {
        guard let zip else { return }
        let path = entryName(row, version, numbered: numbered)
        var download = Certportal_Certificates_V1_DownloadRequest()
        download.recordId = row.recordId
        download.version = version.number
        let modified = Date(timeIntervalSince1970: Double(version.createdAtMs) / 1000)
        let size: UInt64
        do {
            size = try await service.certificates.serverStreaming(Certificates.download, download, options: service.downstream(context)) { chunks in
                var started = false
                var size: UInt64 = 0
                for try await chunk in chunks {
                    switch chunk.part {
                    case .header(let header)?:
                        guard !started else { throw RPCError(.internalError, "cert-store sent a second header") }
                        started = true
                        size = header.size
                        try await send(zip.begin(name: path, modified: modified, size: Int64(clamping: header.size), compress: false, digest: true))
                    case .data(let bytes)?:
                        guard started else { throw RPCError(.internalError, "cert-store sent data before its header") }
                        try await send(zip.write(bytes))
                    case nil:
                        break
                    }
                }
                guard started else { throw RPCError(.internalError, "cert-store sent no file for record \(row.recordId)") }
                let (bytes, digest) = try await zip.finishEntry()
                // The file as cert-store stored it, or the ZIP is refused (the call fails; its bytes are of no use).
                guard digest == version.digest.lowercased() else {
                    throw RPCError(.dataLoss, "record \(row.recordId) version \(version.number): the file's BLAKE2b-256 is \(digest ?? "-"), cert-store stored \(version.digest)")
                }
                try await send(bytes)
                return size
            }
        } catch let error as RPCError where error.code == .notFound {
            // Unshared or revoked between the look-up and the download: nothing of it was written.
            return try await skip(row.recordId, row, "no certificate you may download")
        }
        stream.files += 1
        try await addManifestLine(["\(row.recordId)", row.bookingId, row.contactName, row.courseName, "\(version.number)", path, "\(size)",
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
