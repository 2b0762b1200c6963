internal import RPC
internal import Messages
internal import Sodium
internal import Storage
internal import Foundation

/// How export jobs run: where their files go, how many at once, how long a done one's file
/// is kept.
public struct ExportJobSettings: Sendable {
    /// DIR/jobs: `<id>.zip.part` while a job runs, `<id>.zip` once done.
    public var directory = "jobs"
    /// Jobs running at once; the rest wait, oldest first.
    public var maxRunning = 2
    /// How long a done job's file is kept.
    public var ttl: Duration = .seconds(24 * 3600)

    public init() {}
}

/// Export jobs: ZIPs made in the background, each by CertificateBundle with its owner's
/// principal (so cert-store scopes it as it scopes a streamed one), into
/// `<id>.zip.part`, fsynced and renamed to `<id>.zip` when done. Every step is in
/// export.sqlite first: a job a stopped process left queued or running starts again at
/// start-up, and a done one is found until it expires (a sweep deletes its file).
///
/// On a thread of its own: its file-system calls never run on the cooperative pool.
public actor ExportJobs {
    typealias Job = Certportal_Export_V1_Job

    let store: ExportStore
    let settings: ExportJobSettings
    private let executor: ThreadExecutor
    private var service: ExportService?
    private var running: [String: Task<Void, Never>] = [:]
    private var scheduling = false
    private var rescan = false
    private var sweeper: Task<Void, Never>?

    static let kind = "certificates_zip"
    /// The most jobs ListJobs answers.
    static let listLimit = 100

    nonisolated public var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    init(store: ExportStore, settings: ExportJobSettings) {
        self.store = store
        self.settings = settings
        executor = ThreadExecutor(name: "export.jobs")
    }

    isolated deinit {
        sweeper?.cancel()
        executor.stop()
    }

    nonisolated func partPath(_ id: String) -> String { (settings.directory as NSString).appendingPathComponent("\(id).zip.part") }
    nonisolated func filePath(_ id: String) -> String { (settings.directory as NSString).appendingPathComponent("\(id).zip") }

    var ttlMs: Int64 {
        let (seconds, attoseconds) = settings.ttl.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Starts running jobs: those a stopped process left first, then the sweep, every half
    /// TTL (at most a minute apart). The TTL given now applies to the done jobs kept.
    func resume(_ service: ExportService) async throws {
        guard self.service == nil else { return }
        try FileManager.default.createDirectory(atPath: settings.directory, withIntermediateDirectories: true)
        self.service = service
        _ = try await store.requeueUnfinishedJobs()
        try await store.applyJobTTL(ttlMs)
        try await sweep()
        let interval = max(min(settings.ttl / 2, .seconds(60)), .milliseconds(50))
        sweeper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                try? await self?.sweep()
            }
        }
        await schedule()
    }

    // MARK: Calls

    func start(_ request: Certportal_Export_V1_ZIPRequest, _ context: ServerContext) async throws -> Job {
        let principal = try context.requirePrincipal()
        guard let service else { throw RPCError(.unavailable, "export jobs are not running yet; try again") }
        var seen = Set<UInt64>()
        let ids = request.recordIds.filter { seen.insert($0).inserted }
        guard ids.count <= CertificateBundle.maxRecordIDs else {
            throw RPCError(.invalidArgument, "record_ids: at most \(CertificateBundle.maxRecordIDs) records in one ZIP; found \(ids.count)")
        }
        var job = Job()
        job.jobId = Sodium.randomBytes(16).map { String(format: "%02x", $0) }.joined()
        job.kind = Self.kind
        job.state = "queued"
        job.createdAtMs = ExportStore.nowMs
        job.filesTotal = UInt64(ids.count)
        if ids.isEmpty {
            // A bad filter is this call's error, before there is a job.
            var page = Certportal_Stats_V1_ListRecordsRequest()
            page.filter = request.filter ?? .init()
            page.pageSize = 1
            job.filesTotal = try await service.stats.unary(Certportal_Stats_V1_Stats.listRecords, page, options: service.downstream(context)).total
        }
        let actor = context.requestMetadata[MetadataKey.actor] ?? ""
        try await store.insertJob(StoredJob(job: job, principal: principal, actor: actor.utf8.count <= 254 ? actor : "", request: request))
        await schedule()
        return try await visible(job.jobId, principal).job
    }

    func get(_ id: String, _ context: ServerContext) async throws -> Job {
        let principal = try context.requirePrincipal()
        try await expireDue()
        return try await visible(id, principal).job
    }

    /// The caller's own jobs, newest first.
    func list(_ context: ServerContext) async throws -> [Job] {
        let principal = try context.requirePrincipal()
        try await expireDue()
        return try await store.jobs(of: principal, limit: Self.listLimit).map(\.job)
    }

    func cancel(_ id: String, _ context: ServerContext) async throws -> Job {
        let principal = try context.requirePrincipal()
        var stored = try await visible(id, principal)
        if stored.job.state == "queued" || stored.job.state == "running" {
            if try await store.moveJob(id, from: ["queued", "running"], to: "cancelled", finishedAtMs: ExportStore.nowMs) {
                // The run stops at its next step and deletes its file: gone when this answers.
                if let task = running[id] {
                    task.cancel()
                    await task.value
                }
            }
            stored = try await visible(id, principal)
        }
        guard stored.job.state == "cancelled" else {
            throw RPCError(.failedPrecondition, "job_id: the job is \(stored.job.state); only a queued or running one can be cancelled")
        }
        return stored.job
    }

    /// A done job's file for DownloadJob: the job, and its file open for reading.
    func openDownload(_ id: String, _ context: ServerContext) async throws -> (Job, DurableFile) {
        let principal = try context.requirePrincipal()
        try await expireDue()
        let job = try await visible(id, principal).job
        guard job.state == "done" else {
            let reason = switch job.state {
            case "queued", "running": "is not done yet"
            case "expired": "has expired: its file is deleted; start it again"
            default: "is \(job.state): it has no file"
            }
            throw RPCError(.failedPrecondition, "job_id: the job \(reason)")
        }
        let file = DurableFile(path: filePath(id))
        do {
            try await file.openForReading()
        } catch {
            throw RPCError(.dataLoss, "job_id: the job's file is missing (\(error.localizedDescription))")
        }
        return (job, file)
    }

    /// The job when the principal may see it: its owner's, or any for an admin.
    private func visible(_ id: String, _ principal: Principal) async throws -> StoredJob {
        guard id.utf8.count == 32, id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw RPCError(.invalidArgument, "job_id: must be 32 lower-case hex digits; found \"\(id.prefix(40))\"")
        }
        guard let stored = try await store.job(id), principal == .admin || stored.principal == principal else {
            throw RPCError(.notFound, "job_id: no such job")
        }
        return stored
    }

    // MARK: Running

    /// Starts queued jobs, oldest first, while fewer than `maxRunning` run.
    private func schedule() async {
        guard let service else { return }
        if scheduling {
            rescan = true
            return
        }
        scheduling = true
        defer { scheduling = false }
        repeat {
            rescan = false
            while running.count < settings.maxRunning {
                guard let next = try? await store.nextQueuedJob(excluding: Set(running.keys)) else { break }
                running[next.job.jobId] = Task { await self.run(next, service) }
            }
        } while rescan
    }

    private func finished(_ id: String) async {
        running[id] = nil
        await schedule()
    }

    private func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// One job from start to end: done (its file in place), failed or cancelled.
    private nonisolated func run(_ stored: StoredJob, _ service: ExportService) async {
        let id = stored.job.jobId
        do {
            // Cancelled while it waited: nothing to do.
            if try await store.moveJob(id, from: ["queued"], to: "running") {
                let outcome = try await make(stored, service)
                let now = ExportStore.nowMs
                try await store.noteJobProgress(id, files: outcome.files, bytes: outcome.bytes, skipped: outcome.skipped)
                let ttl = await ttlMs
                if try await !store.moveJob(id, from: ["running"], to: "done", finishedAtMs: now, expiresAtMs: now + ttl) {
                    await remove(filePath(id)) // cancelled at the last moment
                }
            }
        } catch {
            let now = ExportStore.nowMs
            if error is CancellationError || Task.isCancelled {
                _ = try? await store.moveJob(id, from: ["queued", "running"], to: "cancelled", finishedAtMs: now)
            } else {
                let message = (error as? RPCError)?.message ?? "\(error)"
                _ = try? await store.moveJob(id, from: ["running"], to: "failed", finishedAtMs: now, error: message)
            }
        }
        await finished(id)
    }

    /// The ZIP into `<id>.zip.part`, then fsynced and renamed; noted among the exports too.
    private nonisolated func make(_ stored: StoredJob, _ service: ExportService) async throws -> ExportOutcome {
        let id = stored.job.jobId
        let file = DurableFile(path: partPath(id))
        try await file.create()
        let stream = ExportStream(JobSink(store: store, id: id, file: file))
        let exportID = try await store.begin(kind: "certificates_zip_job", principal: stored.principal)
        do {
            let bundle = CertificateBundle(service: service, request: stored.request, stream: stream,
                                           context: .job(id: id, principal: stored.principal, actor: stored.actor),
                                           principal: stored.principal, exportID: exportID)
            let outcome = try await bundle.run()
            try Task.checkCancellation()
            try await file.finish(renamingTo: filePath(id))
            await store.finish(exportID, outcome, failed: false)
            return outcome
        } catch {
            await file.discard()
            await store.finish(exportID, stream.outcome(rows: 0), failed: true)
            throw error
        }
    }

    // MARK: Expiry

    /// Done jobs past their time: marked expired, then their files deleted.
    private func expireDue() async throws {
        for id in try await store.expireJobs(nowMs: ExportStore.nowMs) { remove(filePath(id)) }
    }

    /// Expires what is due and deletes any file that is neither a done job's nor a running
    /// one's (left by a process stopped between two steps).
    func sweep() async throws {
        try await expireDue()
        let kept = try await store.doneJobIDs()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: settings.directory)) ?? [] {
            let id = String(name.prefix { $0 != "." })
            guard running[id] == nil, !(kept.contains(id) && name == "\(id).zip") else { continue }
            remove((settings.directory as NSString).appendingPathComponent(name))
        }
    }
}

/// An export's chunks into a job: the bytes into its file, the header and progress into its
/// row. Stops at the next chunk once the job is cancelled.
final class JobSink: ExportSink {
    let store: ExportStore
    let id: String
    let file: DurableFile

    init(store: ExportStore, id: String, file: DurableFile) {
        self.store = store
        self.id = id
        self.file = file
    }

    func write(_ chunk: Certportal_Export_V1_ExportChunk) async throws {
        try Task.checkCancellation()
        switch chunk.part {
        case .header(let header)?:
            try await store.noteJobProgress(id, fileName: header.fileName, total: header.totalRows, files: 0, bytes: 0, skipped: 0)
        case .data(let bytes)?:
            try await file.write(bytes)
        case .progress(let progress)?:
            try await store.noteJobProgress(id, files: progress.files, bytes: progress.bytes, skipped: progress.skipped)
        case .skipped?, nil:
            break
        }
    }
}
