public import Storage
public import Messages
internal import ChangeFeed
internal import Synchronization

/// Which feed a batch came from.
public enum FeedName: String, Sendable, CaseIterable {
    case catalog
    case certificates
}

/// The read model: applies feed batches (each in one transaction, with the position it
/// reached, so a restart resumes exactly) and tells waiting queries when it has caught up.
public final class ReadModel: Sendable {
    public let pool: DatabasePool
    /// Positions applied, per feed; queries wait on these for read-your-writes.
    let catalogApplied: FeedNotifier
    let certificatesApplied: FeedNotifier

    public static func open(path: String) async throws -> ReadModel {
        // The read model is rebuilt from the feeds, so a commit need not reach the disk
        // before the call returns (synchronous=NORMAL keeps it consistent, if not durable).
        var options = Database.Options()
        options.synchronous = .normal
        let pool = try await DatabasePool.open(path: path, options: options, migrations: ReadModelSchema.migrations, readerCount: 3)
        let positions = try await pool.read { db in try Self.positions(db) }
        return ReadModel(pool: pool, positions: positions)
    }

    private init(pool: DatabasePool, positions: [FeedName: (id: String, seq: UInt64)]) {
        self.pool = pool
        catalogApplied = FeedNotifier(head: positions[.catalog]?.seq ?? 0)
        certificatesApplied = FeedNotifier(head: positions[.certificates]?.seq ?? 0)
    }

    func notifier(_ feed: FeedName) -> FeedNotifier {
        feed == .catalog ? catalogApplied : certificatesApplied
    }

    /// Where each feed has been applied to, and that feed's identity.
    public func position(_ feed: FeedName) async throws -> (feedID: String, seq: UInt64) {
        let positions = try await pool.read { db in try Self.positions(db) }
        return (positions[feed]?.id ?? "", positions[feed]?.seq ?? 0)
    }

    static func positions(_ db: Database) throws -> [FeedName: (id: String, seq: UInt64)] {
        var positions: [FeedName: (id: String, seq: UInt64)] = [:]
        try db.query("SELECT feed, feed_id, seq FROM feed_positions") { row in
            if let feed = FeedName(rawValue: row.string(at: 0) ?? "") {
                positions[feed] = (row.string(at: 1) ?? "", UInt64(row.int64(at: 2) ?? 0))
            }
        }
        return positions
    }

    /// Applies a batch of `feed` (events in order). A batch from another history of the
    /// feed (its database was made anew) first drops what came from the old one.
    public func apply(_ batch: Certportal_Feed_V1_EventBatch, from feed: FeedName) async throws {
        let reached = try await pool.write { db -> UInt64 in
            let stored = try Self.positions(db)[feed]
            if let stored, stored.id != batch.feedId {
                try Self.reset(feed, db)
            }
            var applier = BatchApplier(db: db)
            for event in batch.events {
                switch event.change {
                case .record(let record)?: try applier.apply(record)
                case .certificate(let state)?: try applier.apply(state)
                case nil: break
                }
            }
            try applier.finish()
            let seq = batch.events.last?.seq ?? (stored?.id == batch.feedId ? stored?.seq ?? 0 : 0)
            _ = try db.run("INSERT INTO feed_positions(feed, feed_id, seq) VALUES (?, ?, ?) ON CONFLICT(feed) DO UPDATE SET feed_id = excluded.feed_id, seq = excluded.seq",
                           [feed.rawValue, batch.feedId, Int64(seq)])
            return seq
        }
        notifier(feed).publish(reached)
    }

    private static func reset(_ feed: FeedName, _ db: Database) throws {
        switch feed {
        case .catalog: try db.execute("DELETE FROM records")
        case .certificates:
            try db.execute("DELETE FROM certificates")
            try db.execute("UPDATE records SET has_certificate = 0, expiry = NULL, cert_type = '', certificate_updated = 0, shared = 0")
        }
        _ = try db.run("DELETE FROM feed_positions WHERE feed = ?", [feed.rawValue])
    }
}

/// Applies one batch's events inside its transaction; the re-booked flags of the
/// (contact, course) groups it touched are worked out once, at the end.
struct BatchApplier {
    let db: Database
    private var groups: Set<Group> = []

    private struct Group: Hashable {
        var contactID: String
        var courseID: String
    }

    init(db: Database) {
        self.db = db
    }

    mutating func apply(_ record: Certportal_Feed_V1_CatalogRecord) throws {
        let id = Int64(clamping: record.recordId)
        // A record moved to another contact or course leaves its old group too.
        let previous = try db.cachedStatement("SELECT contact_id, course_id FROM records WHERE id = ?")
        try previous.bind(id, at: 1)
        if try previous.step() {
            let group = Group(contactID: previous.row.string(at: 0) ?? "", courseID: previous.row.string(at: 1) ?? "")
            if group.contactID != record.contactId || group.courseID != record.courseId { groups.insert(group) }
        }
        try previous.reset()
        let upsert = try db.cachedStatement("""
            INSERT INTO records(id, booking_id, contact_id, contact_name, contact_email, organisation_id, organisation_name,
                booker_id, booker_name, booker_email, course_id, course_name, validity_months, schedule_id, start, completion,
                result, outstanding, booking_url, has_certificate, expiry, cert_type, certificate_updated, shared)
            SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                coalesce(c.has_current, 0), c.expiry, coalesce(c.cert_type, ''), coalesce(c.updated, 0), coalesce(c.shared, 0)
            FROM (SELECT 1) LEFT JOIN certificates c ON c.record_id = ?1
            WHERE true
            ON CONFLICT(id) DO UPDATE SET booking_id = excluded.booking_id, contact_id = excluded.contact_id,
                contact_name = excluded.contact_name, contact_email = excluded.contact_email,
                organisation_id = excluded.organisation_id, organisation_name = excluded.organisation_name,
                booker_id = excluded.booker_id, booker_name = excluded.booker_name, booker_email = excluded.booker_email,
                course_id = excluded.course_id, course_name = excluded.course_name, validity_months = excluded.validity_months,
                schedule_id = excluded.schedule_id, start = excluded.start, completion = excluded.completion,
                result = excluded.result, outstanding = excluded.outstanding, booking_url = excluded.booking_url
            """)
        try upsert.bind([
            id, record.bookingId, record.contactId, record.contactName, record.contactEmail,
            record.organisationId, record.organisationName, record.bookerId, record.bookerName, record.bookerEmail,
            record.courseId, record.courseName, Int64(record.validityMonths), record.scheduleId, record.scheduleStart,
            String(record.scheduleEnd.prefix(10)), record.result, Self.owes(record.outstanding), record.bookingUrl,
        ])
        _ = try upsert.step()
        try upsert.reset()
        groups.insert(Group(contactID: record.contactId, courseID: record.courseId))
    }

    mutating func apply(_ state: Certportal_Feed_V1_CertificateState) throws {
        let id = Int64(clamping: state.recordId)
        let expiry: String? = state.hasCurrent && !state.expiryDate.isEmpty ? state.expiryDate : nil
        let certType = state.hasCurrent ? state.certType : ""
        let upsert = try db.cachedStatement("""
            INSERT INTO certificates(record_id, has_current, expiry, cert_type, updated, shared) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT(record_id) DO UPDATE SET has_current = ?2, expiry = ?3, cert_type = ?4, updated = ?5, shared = ?6
            """)
        try upsert.bind([id, state.hasCurrent, expiry, certType, state.updated, state.shared])
        _ = try upsert.step()
        try upsert.reset()
        let update = try db.cachedStatement("""
            UPDATE records SET has_certificate = ?2, expiry = ?3, cert_type = ?4, certificate_updated = ?5, shared = ?6 WHERE id = ?1
            """)
        try update.bind([id, state.hasCurrent, expiry, certType, state.updated, state.shared])
        _ = try update.step()
        try update.reset()
    }

    /// Sets `rebooked` across each touched group: a record is re-booked when another of
    /// the same contact and course starts after it.
    func finish() throws {
        let update = try db.cachedStatement("""
            UPDATE records SET rebooked = EXISTS (
                SELECT 1 FROM records later
                WHERE later.contact_id = records.contact_id AND later.course_id = records.course_id AND later.start > records.start)
            WHERE contact_id = ? AND course_id = ?
            """)
        for group in groups {
            try update.bind([group.contactID, group.courseID])
            _ = try update.step()
            try update.reset()
        }
    }

    /// "125.50" owes; "", "0" and "0.00" do not.
    static func owes(_ outstanding: String) -> Bool {
        outstanding.contains(where: { $0 >= "1" && $0 <= "9" })
    }
}
