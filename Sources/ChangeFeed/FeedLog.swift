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

    /// Appends an event already encoded (a `FeedEvent` without `seq`) inside the caller's
    /// transaction; returns its sequence number.
    @discardableResult
    public static func append(encoded body: [UInt8], atMs: Int64, in db: Database, using prepared: Statement? = nil) throws -> UInt64 {
        let statement = try prepared ?? db.cachedStatement(insertSQL)
        try statement.bind(atMs, at: 1)
        try statement.bind(body, at: 2)
        _ = try statement.step()
        try statement.reset()
        return UInt64(db.lastInsertRowID)
    }

    /// The insert the appends run; a writer appending many events prepares it once.
    public static let insertSQL = "INSERT INTO feed_events(at_ms, body) VALUES (?, ?)"

    /// A record event from a `CatalogRecord` encoded without `record_id` and
    /// `booking_url` (`fields`, made where there is time to spare, e.g. beside a busy
    /// writer) and those two: protobuf lets a message's fields come in any order, so the
    /// pieces are joined, not re-encoded. Field numbers are feed.proto's; a test checks
    /// the result decodes as the event built field by field.
    public static func recordEvent(atMs: Int64, recordID: UInt64, bookingURL: String, fields: [UInt8]) -> [UInt8] {
        var event: [UInt8] = []
        appendRecordEvent(atMs: atMs, recordID: recordID, bookingURL: bookingURL, fields: fields, into: &event)
        return event
    }

    /// `recordEvent`, appended to `event` (a writer appending many reuses one buffer).
    public static func appendRecordEvent(atMs: Int64, recordID: UInt64, bookingURL: String, fields: [UInt8],
                                         into event: inout [UInt8]) {
        let urlBytes = bookingURL.utf8.count
        var recordLength = fields.count
        if recordID != 0 { recordLength += 1 + ProtoWire.varintLength(recordID) }
        if urlBytes > 0 { recordLength += 2 + ProtoWire.varintLength(UInt64(urlBytes)) + urlBytes }
        event.reserveCapacity(event.count + recordLength + 24)
        if atMs != 0 {
            ProtoWire.key(field: 2, type: .varint, into: &event)          // FeedEvent.at_ms
            ProtoWire.varint(UInt64(bitPattern: atMs), into: &event)
        }
        ProtoWire.key(field: 3, type: .lengthDelimited, into: &event)     // FeedEvent.record
        ProtoWire.varint(UInt64(recordLength), into: &event)
        if recordID != 0 {
            ProtoWire.key(field: 1, type: .varint, into: &event)          // CatalogRecord.record_id
            ProtoWire.varint(recordID, into: &event)
        }
        event.append(contentsOf: fields)
        if urlBytes > 0 {
            ProtoWire.key(field: 19, type: .lengthDelimited, into: &event) // CatalogRecord.booking_url
            ProtoWire.varint(UInt64(urlBytes), into: &event)
            event.append(contentsOf: bookingURL.utf8)
        }
    }

    /// Appends a proto3 string field (nothing when empty, as the generated encoder does).
    public static func appendField(_ field: UInt64, _ text: String, into bytes: inout [UInt8]) {
        let utf8 = text.utf8
        guard !utf8.isEmpty else { return }
        ProtoWire.key(field: field, type: .lengthDelimited, into: &bytes)
        ProtoWire.varint(UInt64(utf8.count), into: &bytes)
        if utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: utf8)
        }
    }

    /// Appends a proto3 varint field (nothing when 0, as the generated encoder does).
    public static func appendField(_ field: UInt64, _ value: UInt64, into bytes: inout [UInt8]) {
        ProtoWire.appendField(field, value, into: &bytes)
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
