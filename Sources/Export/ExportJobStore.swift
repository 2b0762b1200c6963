internal import Storage
internal import RPC
internal import Messages

/// An export job as export-service keeps it: what was asked, for whom, and how far it got.
struct StoredJob: Sendable {
    var job: Certportal_Export_V1_Job
    var principal: Principal
    /// The person behind the principal (cp-actor), for cert-store's audit; empty: none given.
    var actor: String
    var request: Certportal_Export_V1_ZIPRequest
}

/// The jobs' table (migration 2): one row per job, its request as protobuf, its progress
/// written as it goes, so that a job left queued or running by a stopped process can start
/// again and a done one can be found until it expires.
extension ExportStore {
    static let jobsSchema = """
        -- state: queued, running, done, failed, cancelled, expired. The file: DIR/jobs/<id>.zip.
        CREATE TABLE export_jobs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            principal TEXT NOT NULL,
            actor TEXT NOT NULL DEFAULT '',
            request BLOB NOT NULL,
            state TEXT NOT NULL,
            files_done INTEGER NOT NULL DEFAULT 0,
            files_total INTEGER NOT NULL DEFAULT 0,
            bytes INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            file_name TEXT NOT NULL DEFAULT '',
            error TEXT NOT NULL DEFAULT '',
            created_at_ms INTEGER NOT NULL,
            finished_at_ms INTEGER NOT NULL DEFAULT 0,
            expires_at_ms INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX export_jobs_by_principal ON export_jobs (principal, created_at_ms);
        CREATE INDEX export_jobs_by_state ON export_jobs (state, created_at_ms);
        """

    static let jobColumns = """
        id, kind, principal, actor, request, state, files_done, files_total, bytes, skipped, file_name, error, created_at_ms, \
        finished_at_ms, expires_at_ms
        """

    static func storedJob(_ row: Row) throws -> StoredJob {
        var job = Certportal_Export_V1_Job()
        job.jobId = row.string(at: 0) ?? ""
        job.kind = row.string(at: 1) ?? ""
        job.state = row.string(at: 5) ?? ""
        job.filesDone = UInt64(max(0, row.int64(at: 6) ?? 0))
        job.filesTotal = UInt64(max(0, row.int64(at: 7) ?? 0))
        job.bytes = UInt64(max(0, row.int64(at: 8) ?? 0))
        job.skipped = UInt64(max(0, row.int64(at: 9) ?? 0))
        job.fileName = row.string(at: 10) ?? ""
        job.error = row.string(at: 11) ?? ""
        job.createdAtMs = row.int64(at: 12) ?? 0
        job.finishedAtMs = row.int64(at: 13) ?? 0
        job.expiresAtMs = row.int64(at: 14) ?? 0
        guard let principal = Principal(row.string(at: 2) ?? "") else {
            throw RPCError(.dataLoss, "export job \(job.jobId): its principal \"\(row.string(at: 2) ?? "")\" is not one")
        }
        let request = try Certportal_Export_V1_ZIPRequest(serializedBytes: row.blob(at: 4) ?? [])
        return StoredJob(job: job, principal: principal, actor: row.string(at: 3) ?? "", request: request)
    }

    func insertJob(_ stored: StoredJob) async throws {
        let job = stored.job
        let values: Bindings = [job.jobId, job.kind, stored.principal.description, stored.actor, stored.request.serializedBytes(),
                                job.state, Int64(clamping: job.filesTotal), job.createdAtMs]
        try await queue.write { db in
            _ = try db.run("INSERT INTO export_jobs (id, kind, principal, actor, request, state, files_total, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           values)
        }
    }

    func job(_ id: String) async throws -> StoredJob? {
        try await queue.read { db in
            try db.fetch("SELECT \(Self.jobColumns) FROM export_jobs WHERE id = ?", [id], Self.storedJob).first
        }
    }

    /// The principal's jobs, newest first (at most `limit`).
    func jobs(of principal: Principal, limit: Int) async throws -> [StoredJob] {
        try await queue.read { db in
            try db.fetch("SELECT \(Self.jobColumns) FROM export_jobs WHERE principal = ? ORDER BY created_at_ms DESC, id LIMIT ?",
                         [principal.description, limit], Self.storedJob)
        }
    }

    /// The oldest queued job not in `excluding`.
    func nextQueuedJob(excluding: Set<String>) async throws -> StoredJob? {
        try await queue.read { db in
            var found: StoredJob?
            try db.query("SELECT \(Self.jobColumns) FROM export_jobs WHERE state = 'queued' ORDER BY created_at_ms, id") { row in
                guard found == nil, let id = row.string(at: 0), !excluding.contains(id) else { return }
                found = try Self.storedJob(row)
            }
            return found
        }
    }

    /// Moves a job from one of `from` to `to`; false when it was in none of them (nothing changed).
    @discardableResult
    func moveJob(_ id: String, from: [String], to state: String, finishedAtMs: Int64 = 0, expiresAtMs: Int64 = 0,
                 error: String = "") async throws -> Bool {
        let placeholders = from.map { _ in "?" }.joined(separator: ", ")
        let bindings = Bindings([state, finishedAtMs, expiresAtMs, error, id] + from.map { $0 as (any Bindable)? })
        return try await queue.write { db in
            try db.run("UPDATE export_jobs SET state = ?, finished_at_ms = ?, expires_at_ms = ?, error = ? WHERE id = ? AND state IN (\(placeholders))",
                       bindings).changes == 1
        }
    }

    /// A running job's header (file name, records to bundle) and progress so far.
    func noteJobProgress(_ id: String, fileName: String? = nil, total: UInt64? = nil, files: UInt64, bytes: UInt64, skipped: UInt64) async throws {
        let values: Bindings = [Int64(clamping: files), Int64(clamping: bytes), Int64(clamping: skipped), fileName, total.map { Int64(clamping: $0) }, id]
        try await queue.write { db in
            _ = try db.run("""
                UPDATE export_jobs SET files_done = ?, bytes = ?, skipped = ?, file_name = coalesce(?, file_name),
                files_total = coalesce(?, files_total) WHERE id = ? AND state = 'running'
                """, values)
        }
    }

    /// Jobs a stopped process left queued or running: queued again, their progress reset.
    func requeueUnfinishedJobs() async throws -> Int {
        try await queue.write { db in
            try db.run("""
                UPDATE export_jobs SET state = 'queued', files_done = 0, files_total = 0, bytes = 0, skipped = 0
                WHERE state IN ('queued', 'running')
                """).changes
        }
    }

    /// Done jobs keep their files for `ttlMs` from when they finished, as configured now.
    func applyJobTTL(_ ttlMs: Int64) async throws {
        try await queue.write { db in
            _ = try db.run("UPDATE export_jobs SET expires_at_ms = finished_at_ms + ? WHERE state = 'done'", [ttlMs])
        }
    }

    /// Done jobs whose time is up, marked expired; their ids (whose files are to go).
    func expireJobs(nowMs: Int64) async throws -> [String] {
        try await queue.write { db in
            let ids = try db.fetch("SELECT id FROM export_jobs WHERE state = 'done' AND expires_at_ms <= ?", [nowMs]) { $0.string(at: 0) ?? "" }
            try db.run("UPDATE export_jobs SET state = 'expired' WHERE state = 'done' AND expires_at_ms <= ?", [nowMs])
            return ids
        }
    }

    /// The ids of the jobs whose files are kept (done ones).
    func doneJobIDs() async throws -> Set<String> {
        Set(try await queue.read { db in
            try db.fetch("SELECT id FROM export_jobs WHERE state = 'done'") { $0.string(at: 0) ?? "" }
        })
    }
}
