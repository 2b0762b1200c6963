public import RPC
public import Records
internal import Messages
internal import Foundation

/// export-service's settings.
public struct ExportSettings: Sendable {
    /// Today (pinnable for tests and demos) in the provider's time zone.
    public var clock = StatusClock()
    public var jobs = ExportJobSettings()

    public init() {}

    var currentDate: CalendarDate { clock.today }
}

/// `certportal.export.v1.Exports`: the records report and the training matrix as CSV, and
/// certificates as one ZIP, streamed as they are made or made as a job (ExportJobs). Every
/// call passes the caller's principal on to stats-service and cert-store, which decide what
/// the caller may see.
public struct ExportService: RPCService {
    typealias Service = Certportal_Export_V1_Exports
    typealias Stats = Certportal_Stats_V1_Stats

    let stats: RPCClient
    let certificates: RPCClient
    let store: ExportStore
    let settings: ExportSettings
    let jobs: ExportJobs

    /// Rows asked of stats-service at a time: a CSV holds at most two pages of them in memory.
    static let pageSize: UInt32 = 1000
    /// The most bytes in one data chunk sent to the caller.
    static let chunkBytes = 256 * 1024

    public init(stats: RPCClient, certificates: RPCClient, store: ExportStore, settings: ExportSettings) {
        self.stats = stats
        self.certificates = certificates
        self.store = store
        self.settings = settings
        jobs = ExportJobs(store: store, settings: settings.jobs)
    }

    /// Starts the jobs: those a stopped process left queued or running first.
    public func resumeJobs() async throws {
        try await jobs.resume(self)
    }

    public func register(into router: inout RPCRouter) {
        router.serverStreaming(Service.recordsCSV) { request, writer, context in
            try await export("records_csv", writer, context) { stream, _, _ in try await recordsCSV(request, stream, context) }
        }
        router.serverStreaming(Service.matrixCSV) { request, writer, context in
            try await export("matrix_csv", writer, context) { stream, _, _ in try await matrixCSV(request, stream, context) }
        }
        router.serverStreaming(Service.certificatesZIP) { request, writer, context in
            try await export("certificates_zip", writer, context) { stream, id, principal in
                try await CertificateBundle(service: self, request: request, stream: stream, context: .call(context), principal: principal, exportID: id).run()
            }
        }
        router.unary(Service.startZIPJob) { request, context in try await jobs.start(request, context) }
        router.unary(Service.getJob) { request, context in try await jobs.get(request.jobId, context) }
        router.unary(Service.listJobs) { _, context in
            var list = Certportal_Export_V1_JobList()
            list.jobs = try await jobs.list(context)
            return list
        }
        router.unary(Service.cancelJob) { request, context in try await jobs.cancel(request.jobId, context) }
        router.serverStreaming(Service.downloadJob) { request, writer, context in try await downloadJob(request, writer, context) }
    }

    /// Runs one export, noted in the database from its start to how it ended.
    func export(_ kind: String, _ writer: MessageWriter<Certportal_Export_V1_ExportChunk>, _ context: ServerContext,
                _ body: (ExportStream, Int64, Principal) async throws -> ExportOutcome) async throws {
        let principal = try context.requirePrincipal()
        let stream = ExportStream(writer)
        let id = try await store.begin(kind: kind, principal: principal)
        do {
            await store.finish(id, try await body(stream, id, principal), failed: false)
        } catch {
            await store.finish(id, stream.outcome(rows: 0), failed: true)
            throw error
        }
    }

    /// Options for a call to stats-service or cert-store on the caller's behalf.
    func downstream(_ context: ServerContext) -> CallOptions {
        context.downstreamOptions(timeout: .seconds(30))
    }

    /// The same for a call's export or a job's (its owner's principal, no caller waiting).
    func downstream(_ caller: ExportCaller) -> CallOptions {
        switch caller {
        case .call(let context):
            return downstream(context)
        case .job(let id, let principal, let actor):
            var options = CallOptions(timeout: .seconds(30))
            options.metadata[MetadataKey.requestID] = "job-\(id)"
            options.metadata[MetadataKey.principal] = principal.description
            if !actor.isEmpty { options.metadata[MetadataKey.actor] = actor }
            return options
        }
    }

    /// A done job's ZIP as CertificatesZIP streams one: the header, its bytes, the progress.
    func downloadJob(_ request: Certportal_Export_V1_JobRequest, _ writer: MessageWriter<Certportal_Export_V1_ExportChunk>,
                     _ context: ServerContext) async throws {
        let (job, file) = try await jobs.openDownload(request.jobId, context)
        let stream = ExportStream(writer)
        try await stream.header(fileName: job.fileName, mediaType: "application/zip", total: job.filesTotal)
        while true {
            let bytes = try await file.read(upTo: Self.chunkBytes)
            guard !bytes.isEmpty else { break }
            try await stream.data(bytes)
        }
        stream.files = job.filesDone
        stream.skipped = job.skipped
        try await stream.progress()
    }

    // MARK: CSV

    func recordsCSV(_ request: Certportal_Export_V1_CSVRequest, _ stream: ExportStream, _ context: ServerContext) async throws -> ExportOutcome {
        var page = Certportal_Stats_V1_ListRecordsRequest()
        page.filter = request.filter ?? .init()
        page.sort = request.sort
        page.pageSize = Self.pageSize
        // The first page before anything is sent: a bad filter or sort is the call's error.
        // Pages come as wire bytes, written into CSV cells without decoding them into rows.
        let listRecords = Stats.listRecords.encodedResponse
        var answer = try await stats.unary(listRecords, page, options: downstream(context))
        var info = try RecordPageInfo(answer)
        try await stream.header(fileName: "records-\(settings.currentDate).csv", mediaType: "text/csv; charset=utf-8", total: info.total)
        var buffer = ReportCSV.byteOrderMark
        ReportCSV.appendRow(ReportCSV.recordsHeader, to: &buffer)
        var rows: UInt64 = 0
        let stats = stats, options = downstream(context)
        while true {
            // The next page is asked for before this one is written, so stats-service reads it
            // while this one is encoded and sent: two pages in memory at most.
            var next: Task<EncodedMessage<Certportal_Stats_V1_RecordPage>, any Error>?
            if !info.nextCursor.isEmpty, info.rows > 0 {
                page.cursor = info.nextCursor
                let request = page
                next = Task { try await stats.unary(listRecords, request, options: options) }
            }
            do {
                try ReportCSV.appendRecords(ofPage: answer, to: &buffer)
                rows += UInt64(info.rows)
                try await stream.data(buffer)
                buffer.removeAll(keepingCapacity: true)
                try await stream.progress(rows: rows)
            } catch {
                next?.cancel()
                throw error
            }
            guard let pending = next else { break }
            answer = try await withTaskCancellationHandler { try await pending.value } onCancel: { pending.cancel() }
            info = try RecordPageInfo(answer)
        }
        return stream.outcome(rows: rows)
    }

    func matrixCSV(_ request: Certportal_Export_V1_MatrixCSVRequest, _ stream: ExportStream, _ context: ServerContext) async throws -> ExportOutcome {
        var query = Certportal_Stats_V1_MatrixRequest()
        query.organisationId = request.organisationId
        query.minCatalogSeq = request.minCatalogSeq
        query.minCertificateSeq = request.minCertificateSeq
        let matrix = try await stats.unary(Stats.matrix, query, options: downstream(context))
        // stats-service shows a matrix of so many contacts at most: a report must not leave some out unsaid.
        guard !matrix.truncated else {
            throw RPCError(.failedPrecondition, "organisation_id: the training matrix has more contacts than one report holds (\(matrix.rows.count)); choose an organisation")
        }
        try await stream.header(fileName: "training-matrix-\(settings.currentDate).csv", mediaType: "text/csv; charset=utf-8",
                                total: UInt64(matrix.rows.count))
        var buffer = ReportCSV.byteOrderMark
        for row in ReportCSV.matrixRows(matrix) {
            ReportCSV.appendRow(row, to: &buffer)
            if buffer.count >= Self.chunkBytes {
                try await stream.data(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try await stream.data(buffer)
        try await stream.progress(rows: UInt64(matrix.rows.count))
        return stream.outcome(rows: UInt64(matrix.rows.count))
    }
}

/// On whose behalf an export calls stats-service and cert-store.
enum ExportCaller: Sendable {
    /// A call's: its principal, request id and deadline.
    case call(ServerContext)
    /// A job's: its owner (and the person behind it, for cert-store's audit).
    case job(id: String, principal: Principal, actor: String)
}

/// What an export sent, for the log.
public struct ExportOutcome: Sendable {
    var rows: UInt64 = 0
    var files: UInt64 = 0
    var skipped: UInt64 = 0
    var bytes: UInt64 = 0
}

/// Where an export's chunks go: the caller's stream, or a job's file (JobSink).
protocol ExportSink {
    func write(_ chunk: Certportal_Export_V1_ExportChunk) async throws
}

extension MessageWriter: ExportSink where Message == Certportal_Export_V1_ExportChunk {}

/// The caller's end of an export: the header, the file's bytes in chunks of at most
/// `ExportService.chunkBytes`, and progress. Not Sendable: the handler task that made it
/// is its only user.
final class ExportStream {
    typealias Chunk = Certportal_Export_V1_ExportChunk
    let writer: any ExportSink
    private(set) var bytes: UInt64 = 0
    var files: UInt64 = 0
    var skipped: UInt64 = 0

    init(_ writer: any ExportSink) {
        self.writer = writer
    }

    func header(fileName: String, mediaType: String, total: UInt64) async throws {
        var header = Certportal_Export_V1_ExportHeader()
        header.fileName = fileName
        header.mediaType = mediaType
        header.totalRows = total
        var chunk = Chunk()
        chunk.part = .header(header)
        try await writer.write(chunk)
    }

    func data(_ bytes: [UInt8]) async throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + ExportService.chunkBytes)
            var chunk = Chunk()
            chunk.part = .data(Array(bytes[offset..<end]))
            try await writer.write(chunk)
            offset = end
        }
        self.bytes += UInt64(bytes.count)
    }

    func progress(rows: UInt64 = 0) async throws {
        var progress = Certportal_Export_V1_ExportProgress()
        progress.rows = rows
        progress.files = files
        progress.bytes = bytes
        progress.skipped = skipped
        var chunk = Chunk()
        chunk.part = .progress(progress)
        try await writer.write(chunk)
    }

    func skip(_ recordID: UInt64, _ reason: String) async throws {
        skipped += 1
        var skippedRecord = Certportal_Export_V1_ExportSkipped()
        skippedRecord.recordId = recordID
        skippedRecord.reason = reason
        var chunk = Chunk()
        chunk.part = .skipped(skippedRecord)
        try await writer.write(chunk)
    }

    func outcome(rows: UInt64) -> ExportOutcome {
        ExportOutcome(rows: rows, files: files, skipped: skipped, bytes: bytes)
    }
}
