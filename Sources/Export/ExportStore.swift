internal import Storage
internal import RPC
internal import Foundation

/// export-service's database (DIR/export.sqlite), on a thread of its own: one row per export
/// (who, what, how much, how it ended) and the manifest lines of the ZIPs being made, kept
/// here rather than in memory so a ZIP of any number of files needs the same memory; export
/// jobs (ExportJobStore.swift); and the e-mail outbox, its templates and the reminders sent
/// (OutboxStore.swift).
public final class ExportStore: Sendable {
    let queue: DatabaseQueue

    static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            -- status: running, done, failed, interrupted (the process stopped first).
            CREATE TABLE exports (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                principal TEXT NOT NULL,
                started_at_ms INTEGER NOT NULL,
                finished_at_ms INTEGER,
                status TEXT NOT NULL,
                rows INTEGER NOT NULL DEFAULT 0,
                files INTEGER NOT NULL DEFAULT 0,
                skipped INTEGER NOT NULL DEFAULT 0,
                bytes INTEGER NOT NULL DEFAULT 0
            );
            -- A ZIP's manifest.csv, one CSV line each, until the ZIP ends.
            CREATE TABLE manifest_lines (
                export_id INTEGER NOT NULL,
                line_no INTEGER NOT NULL,
                line BLOB NOT NULL,
                PRIMARY KEY (export_id, line_no)
            ) WITHOUT ROWID;
            """),
        Migration(version: 2, sql: ExportStore.jobsSchema),
        outboxMigration,
    ]

    public static func open(path: String) async throws -> ExportStore {
        let queue = try await DatabaseQueue.open(path: path, migrations: migrations, threadName: "export.db")
        // What a stopped process left: its manifests are of no use, its exports did not finish.
        try await queue.write { db in
            try db.run("DELETE FROM manifest_lines")
            try db.run("UPDATE exports SET status = 'interrupted' WHERE status = 'running'")
        }
        return ExportStore(queue: queue)
    }

    private init(queue: DatabaseQueue) {
        self.queue = queue
    }

    static var nowMs: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// Notes an export that starts; its id.
    func begin(kind: String, principal: Principal) async throws -> Int64 {
        let values: Bindings = [kind, principal.description, Self.nowMs]
        return try await queue.write { db in
            try db.run("INSERT INTO exports (kind, principal, started_at_ms, status) VALUES (?, ?, ?, 'running')", values).lastInsertRowID
        }
    }

    /// Notes how it ended and drops its manifest lines.
    func finish(_ id: Int64, _ outcome: ExportOutcome, failed: Bool) async {
        let values: Bindings = [Self.nowMs, failed ? "failed" : "done", Int64(clamping: outcome.rows), Int64(clamping: outcome.files),
                                Int64(clamping: outcome.skipped), Int64(clamping: outcome.bytes), id]
        // A failure to note it does not fail the export.
        _ = try? await queue.write { db in
            try db.run("UPDATE exports SET finished_at_ms = ?, status = ?, rows = ?, files = ?, skipped = ?, bytes = ? WHERE id = ?", values)
            try db.run("DELETE FROM manifest_lines WHERE export_id = ?", [id])
        }
    }

    func appendManifest(_ id: Int64, from lineNumber: Int, _ lines: [[UInt8]]) async throws {
        guard !lines.isEmpty else { return }
        try await queue.write { db in
            for (offset, line) in lines.enumerated() {
                try db.run("INSERT INTO manifest_lines (export_id, line_no, line) VALUES (?, ?, ?)", [id, lineNumber + offset, line])
            }
        }
    }

    /// Up to `limit` lines after `lineNumber`, in order.
    func manifest(_ id: Int64, after lineNumber: Int, limit: Int) async throws -> [(number: Int, line: [UInt8])] {
        try await queue.read { db in
            try db.fetch("SELECT line_no, line FROM manifest_lines WHERE export_id = ? AND line_no > ? ORDER BY line_no LIMIT ?",
                         [id, lineNumber, limit]) { row in
                (number: row.int(at: 0) ?? 0, line: row.blob(at: 1) ?? [])
            }
        }
    }
}
