public import Storage
public import RPC
public import ChangeFeed
public import Messages
internal import Foundation

public typealias ImportResult = Certportal_Catalog_V1_ImportResult

/// catalog-service's data: the records and the accounts in one SQLite database, every
/// write gated so that an import's transaction spans its chunks alone, and every write
/// announced to the feed's followers after it commits.
public final class CatalogStore: Sendable {
    public let pool: DatabasePool
    public let notifier: FeedNotifier
    let gate = WriteGate()
    /// Password hashing takes ~0.1 s of CPU: on a thread of its own, not the cooperative pool.
    let hasher = ThreadExecutor(name: "catalog.hash")
    let policy: AccountPolicy

    public static func open(path: String, policy: AccountPolicy = AccountPolicy()) async throws -> CatalogStore {
        let pool = try await DatabasePool.open(path: path, migrations: CatalogSchema.migrations, readerCount: 2)
        // An import of a million rows is one transaction: a large page cache keeps its
        // pages in memory until the commit instead of spilling them to the WAL early.
        try await pool.writer.writeWithoutTransaction { db in try db.execute("PRAGMA cache_size = -131072") }
        let head = try await pool.read { db in try FeedLog.head(in: db) }
        return CatalogStore(pool: pool, notifier: FeedNotifier(head: head), policy: policy)
    }

    private init(pool: DatabasePool, notifier: FeedNotifier, policy: AccountPolicy) {
        self.pool = pool
        self.notifier = notifier
        self.policy = policy
    }

    deinit { hasher.stop() }

    /// Runs `body` in a write transaction, then wakes the feed's followers. Returns the
    /// body's result and the feed's head after it.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> (T, UInt64) {
        let (result, head) = try await gate.withGate {
            try await pool.write { db in (try body(db), try FeedLog.head(in: db)) }
        }
        notifier.publish(head)
        return (result, head)
    }

    // MARK: Import

    /// How many checked chunks an import lets wait for the writer.
    static let writesAhead = 3

    /// Imports one records file arriving as `chunks`: all of it, or (when any row is bad,
    /// or the stream fails) none of it. Chunks are checked on this task while the writer
    /// thread writes the previous chunk's rows, inside one transaction.
    public func importRecords<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks) async throws -> ImportResult
    where Chunks.Element == [UInt8] {
        let check = ImportCheck()
        let write = ImportWrite()
        let writer = pool.writer
        let (accepted, head) = try await gate.withGate {
            // Each row's organisation, booker, contact, course, schedule and booking are
            // written before its attendee, so the foreign keys hold by construction:
            // checking them costs three or four index look-ups a row, so the import skips it.
            try await writer.writeWithoutTransaction { db in try db.execute("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE") }
            // Up to `writesAhead` chunks wait for the writer, so that a chunk slow to check
            // does not leave it idle. Each write waits for the one before (tasks reach the
            // writer in no set order). The rows are held here too, so that their last
            // reference goes (and their strings are freed) on this task, not on the writer.
            var writing: Task<Void, any Error>?
            var inFlight: [(write: Task<Void, any Error>, rows: [CheckedRow])] = []
            do {
                for try await chunk in chunks where !check.stopped {
                    let rows = check.feed(chunk)
                    if inFlight.count == Self.writesAhead {
                        try await inFlight.removeFirst().write.value
                    }
                    guard !rows.isEmpty else { continue }
                    let previous = writing
                    let next = Task {
                        try await previous?.value
                        try await writer.writeWithoutTransaction { db in try write.write(rows, db: db) }
                    }
                    writing = next
                    inFlight.append((next, rows))
                }
                try await writing?.value
                inFlight.removeAll()
                let last = check.finish()
                return try await writer.writeWithoutTransaction { db in
                    let accepted = check.isClean
                    if accepted {
                        try write.write(last, db: db)
                        try write.finish(db: db)
                    }
                    // The commit is durable once the WAL is synced; folding the import's
                    // hundreds of megabytes of WAL into the database file (the automatic
                    // checkpoint a commit runs) is left to a job of its own, after the answer.
                    let checkpointPages = try db.scalar("PRAGMA wal_autocheckpoint")?.int64 ?? 1000
                    try db.execute("PRAGMA wal_autocheckpoint = 0")
                    defer { try? db.execute("PRAGMA wal_autocheckpoint = \(checkpointPages)") }
                    try db.execute(accepted ? "COMMIT" : "ROLLBACK")
                    try db.execute("PRAGMA foreign_keys = ON")
                    return (accepted, try FeedLog.head(in: db))
                }
            } catch {
                _ = try? await writing?.value
                try? await writer.writeWithoutTransaction { db in
                    if db.isInTransaction { try db.execute("ROLLBACK") }
                    try db.execute("PRAGMA foreign_keys = ON")
                }
                throw error
            }
        }
        if accepted {
            notifier.publish(head)
            // Readers go on reading the WAL meanwhile (a passive checkpoint waits for no one).
            Task { try? await writer.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(PASSIVE)") } }
        }
        var result = ImportResult()
        result.accepted = accepted
        result.rows = UInt64(check.rows)
        if accepted {
            result.inserted = UInt64(write.inserted)
            result.updated = UInt64(write.updated)
            result.unchanged = UInt64(write.unchanged)
        }
        result.problems = check.problems.map { problem in
            var message = Certportal_Catalog_V1_ImportProblem()
            message.line = UInt64(problem.line)
            message.column = problem.column
            message.reason = problem.reason
            return message
        }
        result.problemsTotal = UInt64(check.problemsTotal)
        result.seq = head
        return result
    }

    // MARK: Records

    /// The record, if the principal may see it; NOT_FOUND otherwise, exactly as when it
    /// does not exist.
    public func record(_ id: UInt64, for principal: Principal) async throws -> CatalogRecord {
        let record = try await pool.read { db in try CatalogRecords.snapshot(id: id, db: db) }
        guard let record, principal.canSee(record) else { throw RPCError.recordNotFound(id) }
        return record
    }

    public func recordResult(_ id: UInt64, result: String, by principal: Principal) async throws -> UInt64 {
        _ = try await record(id, for: principal)
        try principal.requireAdmin("record results")
        guard result == "" || result == "pass" || result == "fail" else {
            throw RPCError(.invalidArgument, "result: must be pass, fail or empty; found \"\(result.clipped)\"")
        }
        let (_, head) = try await write { db in
            guard try db.run("UPDATE attendees SET result = ? WHERE id = ? AND result <> ?", [result, Int64(id), result]).changes > 0,
                  let record = try CatalogRecords.snapshot(id: id, db: db) else { return }
            try FeedLog.append(.record(record), in: db)
        }
        return head
    }

    public func rebookSchedules(for id: UInt64, by principal: Principal) async throws -> [Certportal_Catalog_V1_Schedule] {
        let record = try await record(id, for: principal)
        return try await pool.read { db in
            try db.fetch("""
                SELECT id, course_id, start, end FROM schedules
                WHERE course_id = ? AND start > ? AND id NOT IN (SELECT schedule_id FROM attendees WHERE contact_id = ?)
                ORDER BY start LIMIT 100
                """, [record.courseId, record.scheduleStart, record.contactId]) { row in
                var schedule = Certportal_Catalog_V1_Schedule()
                schedule.scheduleId = row.string(at: 0) ?? ""
                schedule.courseId = row.string(at: 1) ?? ""
                schedule.start = row.string(at: 2) ?? ""
                schedule.end = row.string(at: 3) ?? ""
                return schedule
            }
        }
    }

    /// Books the record's delegate onto a later schedule of the same course, in a new
    /// booking of the same organisation and booker.
    public func rebook(_ id: UInt64, onto scheduleID: String, bookingID requested: String,
                       by principal: Principal) async throws -> (CatalogRecord, UInt64) {
        let original = try await record(id, for: principal)
        try principal.requireAdmin("re-book onto a schedule (bookers and org reps use the course's booking page)")
        if let problem = ImportRow.idProblem(requested), !requested.isEmpty {
            throw RPCError(.invalidArgument, "booking_id: \(problem)")
        }
        return try await write { db in
            guard let schedule = try db.fetch("SELECT course_id, start FROM schedules WHERE id = ?", [scheduleID], {
                ($0.string(at: 0) ?? "", $0.string(at: 1) ?? "")
            }).first else {
                throw RPCError(.notFound, "schedule_id: there is no schedule \(scheduleID.clipped)")
            }
            guard schedule.0 == original.courseId else {
                throw RPCError(.invalidArgument, "schedule_id: schedule \(scheduleID) is of course \(schedule.0), not \(original.courseId)")
            }
            guard schedule.1 > original.scheduleStart else {
                throw RPCError(.invalidArgument, "schedule_id: schedule \(scheduleID) starts \(schedule.1), not after this record's schedule (\(original.scheduleStart))")
            }
            if try db.scalar("SELECT 1 FROM attendees WHERE contact_id = ? AND schedule_id = ?", [original.contactId, scheduleID]) != nil {
                throw RPCError(.alreadyExists, "schedule_id: \(original.contactName) is already booked on schedule \(scheduleID)")
            }
            let bookingID = requested.isEmpty ? "RB-\(id)-\(scheduleID)" : requested
            if try db.scalar("SELECT 1 FROM bookings WHERE id = ?", [bookingID]) != nil {
                throw RPCError(.alreadyExists, "booking_id: booking \(bookingID.clipped) exists already")
            }
            _ = try db.run("INSERT INTO bookings(id, organisation_id, booker_id, outstanding) VALUES (?, ?, ?, '')",
                           [bookingID, original.organisationId, original.bookerId])
            _ = try db.run("INSERT INTO attendees(booking_id, contact_id, schedule_id) VALUES (?, ?, ?)",
                           [bookingID, original.contactId, scheduleID])
            guard let record = try CatalogRecords.snapshot(id: UInt64(db.lastInsertRowID), db: db) else {
                throw RPCError(.internalError, "the new booking could not be read back")
            }
            try FeedLog.append(.record(record), in: db)
            return record
        }
    }

    public func updateCourse(_ request: Certportal_Catalog_V1_UpdateCourseRequest,
                             by principal: Principal) async throws -> Certportal_Catalog_V1_Course {
        try principal.requireAdmin("change courses")
        let url = request.bookingUrl.trimmingWhitespace()
        if !url.isEmpty {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw RPCError(.invalidArgument, "booking_url: must be an http or https address; found \"\(url.clipped)\"")
            }
        }
        if let problem = ImportRow.textProblem(request.templateId) {
            throw RPCError(.invalidArgument, "template_id: \(problem)")
        }
        let courseID = request.courseId
        let templateID = request.templateId
        let (course, _) = try await write { db in
            guard try db.run("UPDATE courses SET booking_url = ?, template_id = ? WHERE id = ?", [url, templateID, courseID]).changes > 0 else {
                throw RPCError(.notFound, "course_id: there is no course \(courseID.clipped)")
            }
            for record in try CatalogRecords.snapshots(where: "s.course_id = ?", [courseID], db: db) {
                try FeedLog.append(.record(record), in: db)
            }
            return try db.fetch("SELECT id, name, validity_months, booking_url, template_id FROM courses WHERE id = ?", [courseID]) { row in
                var course = Certportal_Catalog_V1_Course()
                course.courseId = row.string(at: 0) ?? ""
                course.name = row.string(at: 1) ?? ""
                course.validityMonths = UInt32(row.int64(at: 2) ?? 0)
                course.bookingUrl = row.string(at: 3) ?? ""
                course.templateId = row.string(at: 4) ?? ""
                return course
            }[0]
        }
        return course
    }
}

extension Principal {
    /// Admins see every record; an org rep their organisation's; a booker their bookings'.
    public func canSee(_ record: CatalogRecord) -> Bool {
        switch self {
        case .admin: true
        case .orgrep(let organisationID): record.organisationId == organisationID
        case .booker(let bookerID): record.bookerId == bookerID
        }
    }

    func requireAdmin(_ action: String) throws(RPCError) {
        guard self == .admin else { throw RPCError(.permissionDenied, "only admins may \(action)") }
    }
}

extension RPCError {
    static func recordNotFound(_ id: UInt64) -> RPCError {
        RPCError(.notFound, "record_id: there is no record \(id)")
    }
}
