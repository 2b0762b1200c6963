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
    /// Counts applied batches (after their commit): a snapshot taken after reading it
    /// holds at least that many, so answers computed on it may be kept under it.
    let version = Atomic<UInt64>(0)

    public static func open(path: String) async throws -> ReadModel {
        // The read model is rebuilt from the feeds, so a commit need not reach the disk
        // before the call returns (synchronous=NORMAL keeps it consistent, if not durable).
        var options = Database.Options()
        options.synchronous = .normal
        // Queries and index builds scan hundreds of megabytes: read them mapped.
        options.mmapSize = 1 << 30
        let pool = try await DatabasePool.open(path: path, options: options, migrations: ReadModelSchema.migrations, readerCount: 3)
        // A rebuild writes a million rows into six indexes: a large page cache keeps their
        // pages in memory between commits instead of writing and re-reading them.
        try await pool.writer.writeWithoutTransaction { db in try db.execute("PRAGMA cache_size = -262144") }
        let positions = try await pool.read { db in try Self.positions(db) }
        let model = ReadModel(pool: pool, positions: positions)
        // A rebuild cut off before its end left the indexes out: finish it now.
        if try await pool.read({ db in try Self.isBulkLoading(db) }) { try await model.endBulkLoad() }
        return model
    }

    private init(pool: DatabasePool, positions: [FeedName: (id: String, seq: UInt64)]) {
        self.pool = pool
        catalogApplied = FeedNotifier(head: positions[.catalog]?.seq ?? 0)
        certificatesApplied = FeedNotifier(head: positions[.certificates]?.seq ?? 0)
    }

    /// True while a rebuild applies events without the secondary indexes.
    let bulkLoading = Atomic<Bool>(false)

    /// Drops the secondary indexes for a rebuild of many events; `endBulkLoad` makes them
    /// again and works out the re-booked flags in one pass.
    public func beginBulkLoad() async throws {
        guard !bulkLoading.load(ordering: .relaxed) else { return }
        try await pool.write { db in
            for name in ReadModelSchema.indexNames { try db.execute("DROP INDEX IF EXISTS \(name)") }
            _ = try db.run("INSERT OR REPLACE INTO read_model_state(key, value) VALUES ('bulk_load', 1)")
        }
        bulkLoading.store(true, ordering: .relaxed)
    }

    public func endBulkLoad() async throws {
        try await pool.write { db in
            try db.execute("CREATE INDEX IF NOT EXISTS records_by_contact_course ON records(contact_id, course_id, start)")
            try db.execute("""
                UPDATE OR IGNORE records SET rebooked = 1 - rebooked
                WHERE rebooked <> EXISTS (
                    SELECT 1 FROM records later
                    WHERE later.contact_id = records.contact_id AND later.course_id = records.course_id AND later.start > records.start)
                """)
            try db.execute(ReadModelSchema.indexes)
            _ = try db.run("DELETE FROM read_model_state WHERE key = 'bulk_load'")
        }
        bulkLoading.store(false, ordering: .relaxed)
    }

    static func isBulkLoading(_ db: Database) throws -> Bool {
        try db.scalar("SELECT value FROM read_model_state WHERE key = 'bulk_load'")?.int64 == 1
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
        try await apply([batch], from: feed)
    }

    /// Applies consecutive batches of one feed history in one transaction (a rebuild
    /// catching up applies tens of thousands of events at a time).
    public func apply(_ batches: [Certportal_Feed_V1_EventBatch], from feed: FeedName) async throws {
        guard let feedID = batches.last?.feedId else { return }
        let bulk = bulkLoading.load(ordering: .relaxed)
        let reached = try await pool.write { db -> UInt64 in
            let stored = try Self.positions(db)[feed]
            if let stored, stored.id != feedID {
                try Self.reset(feed, db)
            }
            var applier = try BatchApplier(db: db, bulk: bulk)
            for batch in batches {
                for event in batch.events {
                    switch event.change {
                    case .record(let record)?: try applier.apply(record)
                    case .certificate(let state)?: try applier.apply(state)
                    case nil: break
                    }
                }
            }
            try applier.finish()
            let last = batches.last(where: { !$0.events.isEmpty })?.events.last?.seq
            let seq = last ?? (stored?.id == feedID ? stored?.seq ?? 0 : 0)
            _ = try db.run("INSERT INTO feed_positions(feed, feed_id, seq) VALUES (?, ?, ?) ON CONFLICT(feed) DO UPDATE SET feed_id = excluded.feed_id, seq = excluded.seq",
                           [feed.rawValue, feedID, Int64(seq)])
            return seq
        }
        version.add(1, ordering: .releasing)
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
    /// During a bulk load the re-booked flags are left for `endBulkLoad`.
    let bulk: Bool
    // Prepared once per batch: a rebuild runs them a million times.
    private let previous: Statement
    private let update: Statement
    private let insert: Statement
    private let certificate: Statement
    /// No certificate has arrived yet (a catalog rebuild before cert-store's feed): new
    /// records need not look one up.
    private let noCertificates: Bool

    private struct Group: Hashable {
        var contactID: String
        var courseID: String
    }

    init(db: Database, bulk: Bool) throws {
        self.db = db
        self.bulk = bulk
        previous = try db.cachedStatement("SELECT contact_id, course_id FROM records WHERE id = ?")
        // An update, else an insert, both OR IGNORE: statements that cannot abort half-way
        // need no statement journal, which inside a large transaction would copy every
        // page they touch.
        update = try db.cachedStatement("""
            UPDATE OR IGNORE records SET booking_id = ?2, contact_id = ?3, contact_name = ?4, contact_email = ?5,
                organisation_id = ?6, organisation_name = ?7, booker_id = ?8, booker_name = ?9, booker_email = ?10,
                course_id = ?11, course_name = ?12, validity_months = ?13, schedule_id = ?14, start = ?15,
                completion = ?16, result = ?17, outstanding = ?18, booking_url = ?19
            WHERE id = ?1
            """)
        insert = try db.cachedStatement("""
            INSERT OR IGNORE INTO records(id, booking_id, contact_id, contact_name, contact_email, organisation_id,
                organisation_name, booker_id, booker_name, booker_email, course_id, course_name, validity_months,
                schedule_id, start, completion, result, outstanding, booking_url,
                has_certificate, expiry, cert_type, certificate_updated, shared)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        certificate = try db.cachedStatement(
            "SELECT has_current, expiry, cert_type, updated, shared FROM certificates WHERE record_id = ?")
        noCertificates = try db.scalar("SELECT NOT EXISTS (SELECT 1 FROM certificates)")?.int64 == 1
    }

    mutating func apply(_ record: Certportal_Feed_V1_CatalogRecord) throws {
        let id = Int64(clamping: record.recordId)
        // A record moved to another contact or course leaves its old group too. (A bulk
        // load works the groups out at its end, and tries the insert first: most are new.)
        var exists = false
        if !bulk {
            try previous.bind(id, at: 1)
            exists = try previous.step()
            if exists {
                let group = Group(contactID: previous.row.string(at: 0) ?? "", courseID: previous.row.string(at: 1) ?? "")
                if group.contactID != record.contactId || group.courseID != record.courseId { groups.insert(group) }
            }
            try previous.reset()
        }
        try write(record, id: id, exists: exists)
        if bulk && db.changes == 0 { try write(record, id: id, exists: true) }
        if !bulk { groups.insert(Group(contactID: record.contactId, courseID: record.courseId)) }
    }

    private func write(_ record: Certportal_Feed_V1_CatalogRecord, id: Int64, exists: Bool) throws {
        let statement = exists ? update : insert
        try statement.bind(id, at: 1)
        try statement.bind(record.bookingId, at: 2)
        try statement.bind(record.contactId, at: 3)
        try statement.bind(record.contactName, at: 4)
        try statement.bind(record.contactEmail, at: 5)
        try statement.bind(record.organisationId, at: 6)
        try statement.bind(record.organisationName, at: 7)
        try statement.bind(record.bookerId, at: 8)
        try statement.bind(record.bookerName, at: 9)
        try statement.bind(record.bookerEmail, at: 10)
        try statement.bind(record.courseId, at: 11)
        try statement.bind(record.courseName, at: 12)
        try statement.bind(Int64(record.validityMonths), at: 13)
        try statement.bind(record.scheduleId, at: 14)
        try statement.bind(record.scheduleStart, at: 15)
        try statement.bind(String(record.scheduleEnd.prefix(10)), at: 16)
        try statement.bind(record.result, at: 17)
        try statement.bind(Self.owes(record.outstanding), at: 18)
        try statement.bind(record.bookingUrl, at: 19)
        if !exists {
            // A new record: its certificate may have arrived first.
            var state: [(any Bindable)?] = [false, nil, "", false, false]
            if !noCertificates {
                try certificate.bind(id, at: 1)
                if try certificate.step() {
                    let row = certificate.row
                    state = [row.bool(at: 0) ?? false, row.string(at: 1), row.string(at: 2) ?? "", row.bool(at: 3) ?? false, row.bool(at: 4) ?? false]
                }
                try certificate.reset()
            }
            for (index, value) in state.enumerated() { try statement.bind(value, at: 20 + index) }
        }
        _ = try statement.step()
        try statement.reset()
    }

    mutating func apply(_ state: Certportal_Feed_V1_CertificateState) throws {
        let id = Int64(clamping: state.recordId)
        let expiry: String? = state.hasCurrent && !state.expiryDate.isEmpty ? state.expiryDate : nil
        let certType = state.hasCurrent ? state.certType : ""
        let upsert = try db.cachedStatement("""
            INSERT OR REPLACE INTO certificates(record_id, has_current, expiry, cert_type, updated, shared) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """)
        try upsert.bind([id, state.hasCurrent, expiry, certType, state.updated, state.shared])
        _ = try upsert.step()
        try upsert.reset()
        let update = try db.cachedStatement("""
            UPDATE OR IGNORE records SET has_certificate = ?2, expiry = ?3, cert_type = ?4, certificate_updated = ?5, shared = ?6 WHERE id = ?1
            """)
        try update.bind([id, state.hasCurrent, expiry, certType, state.updated, state.shared])
        _ = try update.step()
        try update.reset()
    }

    /// Sets `rebooked` across each touched group: a record is re-booked when another of
    /// the same contact and course starts after it. Only rows whose flag changes are
    /// written (the flag is in three indexes).
    func finish() throws {
        guard !bulk else { return }
        let update = try db.cachedStatement("""
            UPDATE OR IGNORE records SET rebooked = 1 - rebooked
            WHERE contact_id = ?1 AND course_id = ?2 AND rebooked <> EXISTS (
                SELECT 1 FROM records later
                WHERE later.contact_id = ?1 AND later.course_id = ?2 AND later.start > records.start)
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
