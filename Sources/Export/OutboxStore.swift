internal import Storage
internal import Messages
internal import Foundation

/// One e-mail in the outbox, as stored.
struct OutboxRow: Sendable, Equatable {
    var id: Int64
    var kind: String
    var recordID: UInt64
    var version: UInt32
    var recipients: [Recipient]
    var subject: String
    var body: String
    var state: String
    var attempts: Int
    var lastError: String
    var createdAtMs: Int64
    var nextAttemptAtMs: Int64
    var sentAtMs: Int64
    var requestedBy: String
    var serverReply: String

    /// Stable across attempts, so a receiver can tell a repeat from a new message.
    func messageID(domain: String) -> String { "<outbox-\(id).\(createdAtMs)@\(domain)>" }

    func message(domain: String) -> Certportal_Export_V1_OutboxMessage {
        var message = Certportal_Export_V1_OutboxMessage()
        message.id = UInt64(id)
        message.kind = kind
        message.recordId = recordID
        message.version = version
        message.recipients = recipients.map(\.description)
        message.subject = subject
        message.state = state
        message.attempts = UInt32(clamping: attempts)
        message.lastError = lastError
        message.createdAtMs = createdAtMs
        message.nextAttemptAtMs = state == "queued" ? nextAttemptAtMs : 0
        message.sentAtMs = sentAtMs
        message.requestedBy = requestedBy
        message.serverReply = serverReply
        message.messageId = messageID(domain: domain)
        return message
    }
}

/// A recipient: an address and the name to greet.
struct Recipient: Sendable, Equatable, CustomStringConvertible {
    var address: String
    var name: String

    var description: String { name.isEmpty ? address : "\(name) <\(address)>" }

    /// One per line, `address<TAB>name`: neither may hold a tab or a line break.
    static func encode(_ recipients: [Recipient]) -> String {
        recipients.map { "\($0.address)\t\($0.name)" }.joined(separator: "\n")
    }

    static func decode(_ text: String) -> [Recipient] {
        text.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            return Recipient(address: String(parts[0]), name: parts.count > 1 ? String(parts[1]) : "")
        }
    }
}

/// A message to queue: the key makes asking twice the same request.
struct OutboxDraft: Sendable {
    var key: String?
    var kind: String
    var recordID: UInt64 = 0
    var version: UInt32 = 0
    var recipients: [Recipient]
    var subject: String
    var body: String
    var requestedBy: String
    /// Queued as `failed` with this reason (a request that can never be sent, kept so it is seen).
    var refusal: String?
    /// Why it waits, when it cannot be tried yet (no SMTP server configured).
    var waiting: String = ""
}

/// The outbox's tables in export-service's database (synchronous=FULL: an acknowledged
/// request survives a killed process and a lost machine alike).
extension ExportStore {
    static let outboxMigration = Migration(version: 3, sql: """
        -- state: queued (waiting for next_attempt_at_ms), sending, sent, failed, cancelled.
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            request_key TEXT UNIQUE,
            kind TEXT NOT NULL,
            record_id INTEGER NOT NULL DEFAULT 0,
            version INTEGER NOT NULL DEFAULT 0,
            recipients TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            created_at_ms INTEGER NOT NULL,
            next_attempt_at_ms INTEGER NOT NULL,
            sent_at_ms INTEGER NOT NULL DEFAULT 0,
            requested_by TEXT NOT NULL,
            server_reply TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX outbox_due ON outbox(state, next_attempt_at_ms);
        CREATE INDEX outbox_by_record ON outbox(record_id, id);
        -- Edited e-mail templates; a name without a row reads as its default.
        CREATE TABLE email_templates (
            name TEXT PRIMARY KEY,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            revision INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            updated_by TEXT NOT NULL
        ) WITHOUT ROWID;
        -- Each certificate's reminder for one threshold, once: kept with the digest that named it.
        CREATE TABLE reminders_sent (
            record_id INTEGER NOT NULL,
            expiry TEXT NOT NULL,
            threshold_days INTEGER NOT NULL,
            outbox_id INTEGER NOT NULL,
            PRIMARY KEY (record_id, expiry, threshold_days)
        ) WITHOUT ROWID;
        -- The days the daily reminders ran.
        CREATE TABLE reminder_runs (
            day TEXT PRIMARY KEY,
            at_ms INTEGER NOT NULL,
            digests INTEGER NOT NULL,
            certificates INTEGER NOT NULL
        ) WITHOUT ROWID;
        """)

    static let outboxColumns = """
        id, kind, record_id, version, recipients, subject, body, state, attempts, last_error, created_at_ms,
        next_attempt_at_ms, sent_at_ms, requested_by, server_reply
        """

    static func outboxRow(_ row: Row) -> OutboxRow {
        OutboxRow(id: row.int64(at: 0) ?? 0, kind: row.string(at: 1) ?? "", recordID: UInt64(row.int64(at: 2) ?? 0),
                  version: UInt32(clamping: row.int64(at: 3) ?? 0), recipients: Recipient.decode(row.string(at: 4) ?? ""),
                  subject: row.string(at: 5) ?? "", body: row.string(at: 6) ?? "", state: row.string(at: 7) ?? "",
                  attempts: row.int(at: 8) ?? 0, lastError: row.string(at: 9) ?? "", createdAtMs: row.int64(at: 10) ?? 0,
                  nextAttemptAtMs: row.int64(at: 11) ?? 0, sentAtMs: row.int64(at: 12) ?? 0, requestedBy: row.string(at: 13) ?? "",
                  serverReply: row.string(at: 14) ?? "")
    }

    /// A process that stopped while sending cannot know whether the server took the message;
    /// it is tried again (with the same Message-ID).
    func recoverOutbox() async throws {
        try await queue.write { db in
            try db.run("""
                UPDATE outbox SET state = 'queued', last_error = 'export-service stopped during delivery; trying again'
                WHERE state = 'sending'
                """)
        }
    }

    /// Queues the drafts in one transaction; a draft whose key is known answers with the
    /// message queued the first time.
    func enqueue(_ drafts: [OutboxDraft], now: Int64 = ExportStore.nowMs) async throws -> [OutboxRow] {
        try await queue.write { db in try Self.enqueue(drafts, now: now, db) }
    }

    static func enqueue(_ drafts: [OutboxDraft], now: Int64, _ db: Database) throws -> [OutboxRow] {
        try drafts.map { draft in
            if let key = draft.key,
               let known = try db.fetch("SELECT \(outboxColumns) FROM outbox WHERE request_key = ?", [key], outboxRow).first {
                return known
            }
            let values: Bindings = [draft.key, draft.kind, Int64(draft.recordID), Int64(draft.version), Recipient.encode(draft.recipients),
                                    draft.subject, draft.body, draft.refusal == nil ? "queued" : "failed", draft.refusal ?? draft.waiting,
                                    now, now, draft.requestedBy]
            let id = try db.run("""
                INSERT INTO outbox (request_key, kind, record_id, version, recipients, subject, body, state, last_error,
                                    created_at_ms, next_attempt_at_ms, requested_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values).lastInsertRowID
            return try db.fetch("SELECT \(outboxColumns) FROM outbox WHERE id = ?", [id], outboxRow)[0]
        }
    }

    /// Up to `limit` messages due by `now`, marked `sending` (one more attempt) in the same
    /// transaction, so no two deliveries take the same message.
    func claimDue(now: Int64, limit: Int) async throws -> [OutboxRow] {
        try await queue.write { db in
            try db.fetch("""
                UPDATE outbox SET state = 'sending', attempts = attempts + 1
                WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at_ms <= ?
                             ORDER BY next_attempt_at_ms, id LIMIT ?)
                RETURNING \(Self.outboxColumns)
                """, [now, limit], Self.outboxRow).sorted { $0.id < $1.id }
        }
    }

    /// When the next queued message is due; nil: none is queued.
    func nextDue() async throws -> Int64? {
        try await queue.read { db in try db.scalar("SELECT min(next_attempt_at_ms) FROM outbox WHERE state = 'queued'")?.int64 }
    }

    func markSent(_ id: Int64, reply: String, now: Int64 = ExportStore.nowMs) async throws {
        let values: Bindings = [now, String(reply.prefix(500)), id]
        try await queue.write { db in
            try db.run("UPDATE outbox SET state = 'sent', sent_at_ms = ?, server_reply = ?, last_error = '' WHERE id = ? AND state = 'sending'", values)
        }
    }

    /// After a failed attempt: queued again at `retryAt`, or failed for good (nil).
    func markFailedAttempt(_ id: Int64, error: String, reply: String, retryAt: Int64?) async throws {
        let values: Bindings = [retryAt == nil ? "failed" : "queued", String(error.prefix(1000)), String(reply.prefix(500)), retryAt ?? 0, id]
        try await queue.write { db in
            try db.run("""
                UPDATE outbox SET state = ?, last_error = ?, server_reply = ?, next_attempt_at_ms = ?
                WHERE id = ? AND state = 'sending'
                """, values)
        }
    }

    /// A queued or failed message due now (attempts are counted on); nil: no such message.
    /// The row as it is after, and whether it could be changed.
    func retry(_ id: Int64, now: Int64 = ExportStore.nowMs) async throws -> (row: OutboxRow, changed: Bool)? {
        try await queue.write { db in
            let changed = try db.run("UPDATE outbox SET state = 'queued', next_attempt_at_ms = ? WHERE id = ? AND state IN ('queued', 'failed')",
                                     [now, id]).changes > 0
            return try db.fetch("SELECT \(Self.outboxColumns) FROM outbox WHERE id = ?", [id], Self.outboxRow).first.map { ($0, changed) }
        }
    }

    /// A queued or failed message not sent; nil: no such message. The row as it is after,
    /// and whether it could be changed.
    func cancel(_ id: Int64) async throws -> (row: OutboxRow, changed: Bool)? {
        try await queue.write { db in
            let changed = try db.run("UPDATE outbox SET state = 'cancelled' WHERE id = ? AND state IN ('queued', 'failed', 'cancelled')", [id]).changes > 0
            return try db.fetch("SELECT \(Self.outboxColumns) FROM outbox WHERE id = ?", [id], Self.outboxRow).first.map { ($0, changed) }
        }
    }

    /// The messages already queued under these keys.
    func outboxRows(keys: [String]) async throws -> [String: OutboxRow] {
        guard !keys.isEmpty else { return [:] }
        return try await queue.read { db in
            var rows: [String: OutboxRow] = [:]
            for key in keys {
                if let row = try db.fetch("SELECT \(Self.outboxColumns) FROM outbox WHERE request_key = ?", [key], Self.outboxRow).first {
                    rows[key] = row
                }
            }
            return rows
        }
    }

    func outboxMessage(_ id: Int64) async throws -> OutboxRow? {
        try await queue.read { db in try db.fetch("SELECT \(Self.outboxColumns) FROM outbox WHERE id = ?", [id], Self.outboxRow).first }
    }

    /// Newest first: a page of the messages matching, and the counts per state of all.
    func outboxPage(state: String, ids: [Int64], recordID: UInt64, beforeID: Int64, limit: Int) async throws
        -> (rows: [OutboxRow], counts: [String: UInt64]) {
        var conditions = ["id < ?"]
        var values: [(any Bindable)?] = [beforeID == 0 ? Int64.max : beforeID]
        if !state.isEmpty { conditions.append("state = ?"); values.append(state) }
        if recordID != 0 { conditions.append("record_id = ?"); values.append(Int64(recordID)) }
        if !ids.isEmpty {
            conditions.append("id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))")
            for id in ids { values.append(id) }
        }
        values.append(limit)
        let sql = "SELECT \(Self.outboxColumns) FROM outbox WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?"
        let bound = Bindings(values)
        return try await queue.read { db in
            let rows = try db.fetch(sql, bound, Self.outboxRow)
            var counts: [String: UInt64] = [:]
            for (state, count) in try db.fetch("SELECT state, count(*) FROM outbox GROUP BY state", [], { ($0.string(at: 0) ?? "", $0.int64(at: 1) ?? 0) }) {
                counts[state] = UInt64(count)
            }
            return (rows, counts)
        }
    }
}
