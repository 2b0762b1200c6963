public import Storage
public import Messages
public import Foundation

public typealias FeedEvent = Certportal_Feed_V1_FeedEvent

/// A service's change feed kept in its own database: every write appends events in the
/// same transaction as the change, numbered by a growing sequence (the events table's
/// rowid, never reused because the table is AUTOINCREMENT).
public enum FeedLog {
    /// The tables, as a migration to list among the service's own.
    public static func migration(version: Int) -> Migration {
        Migration(version: version, sql: """
            CREATE TABLE feed_events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                at_ms INTEGER NOT NULL,
                body BLOB NOT NULL
            );
            CREATE TABLE feed_meta (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) WITHOUT ROWID;
            INSERT INTO feed_meta(key, value) VALUES ('feed_id', lower(hex(randomblob(16))));
            """)
    }

    /// Appends `change` inside the caller's transaction; returns its sequence number.
    @discardableResult
    public static func append(_ change: FeedEvent.Change, at instant: Date = Date(), in db: Database) throws -> UInt64 {
        var event = FeedEvent()
        event.atMs = Int64((instant.timeIntervalSince1970 * 1000).rounded())
        event.change = change
        let statement = try db.cachedStatement("INSERT INTO feed_events(at_ms, body) VALUES (?, ?)")
        try statement.bind([event.atMs, event.serializedBytes()])
        _ = try statement.step()
        try statement.reset()
        return UInt64(db.lastInsertRowID)
    }

    /// Up to `limit` events after `seq`, oldest first.
    public static func events(after seq: UInt64, limit: Int, in db: Database) throws -> [FeedEvent] {
        try db.fetch("SELECT seq, body FROM feed_events WHERE seq > ? ORDER BY seq LIMIT ?",
                     [Int64(clamping: seq), limit]) { row in
            let bytes = row.blob(at: 1) ?? []
            var event = try bytes.withUnsafeBytes { try FeedEvent(serializedBytes: $0) }
            event.seq = UInt64(row.int64(at: 0) ?? 0)
            return event
        }
    }

    /// The newest sequence number written (0 before any).
    public static func head(in db: Database) throws -> UInt64 {
        UInt64(try db.scalar("SELECT coalesce(max(seq), 0) FROM feed_events")?.int64 ?? 0)
    }

    /// This feed's identity: made when the database was created.
    public static func feedID(in db: Database) throws -> String {
        try db.scalar("SELECT value FROM feed_meta WHERE key = 'feed_id'")?.string ?? ""
    }
}
