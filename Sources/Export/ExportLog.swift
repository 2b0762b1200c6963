internal import Storage
internal import RPC
internal import Foundation

/// export-service's database (DIR/export.sqlite): for now one row per finished export
/// (who, what, how much); export jobs and the e-mail outbox come with the e-mail issue.
public final class ExportLog: Sendable {
    let queue: DatabaseQueue

    static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE exports (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                principal TEXT NOT NULL,
                finished_at_ms INTEGER NOT NULL,
                rows INTEGER NOT NULL,
                files INTEGER NOT NULL,
                skipped INTEGER NOT NULL,
                bytes INTEGER NOT NULL
            );
            """),
    ]

    public static func open(path: String) async throws -> ExportLog {
        ExportLog(queue: try await DatabaseQueue.open(path: path, migrations: migrations, threadName: "export.db"))
    }

    private init(queue: DatabaseQueue) {
        self.queue = queue
    }

    /// Notes a finished export; a failure to note it does not fail the export.
    func record(kind: String, principal: Principal, _ outcome: ExportOutcome) async {
        let at = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        let values: Bindings = [kind, principal.description, at, Int64(clamping: outcome.rows), Int64(clamping: outcome.files),
                                Int64(clamping: outcome.skipped), Int64(clamping: outcome.bytes)]
        _ = try? await queue.write { db in
            try db.run("INSERT INTO exports (kind, principal, finished_at_ms, rows, files, skipped, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)", values)
        }
    }
}
