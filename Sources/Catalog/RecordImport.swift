internal import Storage
internal import CSV
internal import ChangeFeed
internal import Messages
internal import Foundation

/// A row that passed every check, with the entities it names that no earlier row of the
/// file named (those are the ones to write).
struct CheckedRow: Sendable {
    var row: ImportRow
    var fresh: [(EntityKind, String, [DatabaseValue])]
    /// The record's snapshot encoded beside the writer, but for its id and booking page
    /// (only the writer knows them): see `FeedLog.recordEvent`.
    var snapshotFields: [UInt8]
}

/// The checking half of an import: parses the file's chunks and checks every row, alone
/// and against the file's earlier rows. It never touches the database, so it runs beside
/// the writer (pipelined: the next chunk is checked while the last is written). After
/// the first problem it still checks the rest, so one answer lists every bad row.
///
/// Used by one import's task only, one call at a time (hence `@unchecked Sendable`).
final class ImportCheck: @unchecked Sendable {
    /// Problems listed in the answer; more are counted but not listed.
    static let problemLimit = 1_000

    private var reader = CSVReader()
    private var layout: [(ImportColumn, Int)]?
    private var width = 0
    private(set) var problems: [RowProblem] = []
    private(set) var problemsTotal = 0
    private(set) var rows = 0
    /// A CSV error: the rest of the file cannot be read.
    private(set) var stopped = false

    /// What this file said of each entity, to hold it to one version per file.
    private var seen: [EntityKind: [String: (values: [DatabaseValue], line: Int)]] = [:]
    /// Each record this file names (booking, contact, schedule), with its line.
    private var recordLines: [RecordKey: Int] = [:]

    private struct RecordKey: Hashable {
        var bookingID, contactID, scheduleID: String
    }

    var isClean: Bool { problemsTotal == 0 }

    /// The rows of `bytes` that are good (none once the file has a problem: nothing more
    /// will be written, but every row is still checked).
    func feed(_ bytes: [UInt8]) -> [CheckedRow] {
        guard !stopped else { return [] }
        var checked: [CheckedRow] = []
        do {
            try reader.feed(bytes) { record in if let row = check(record) { checked.append(row) } }
        } catch {
            stop(error)
        }
        return isClean ? checked : []
    }

    /// The end of the file: its last row, if it had no final newline.
    func finish() -> [CheckedRow] {
        var checked: [CheckedRow] = []
        if !stopped {
            do {
                try reader.finish { record in if let row = check(record) { checked.append(row) } }
            } catch {
                stop(error)
            }
        }
        if layout == nil && problemsTotal == 0 {
            add(RowProblem(line: 0, column: "", reason: "the file is empty: it needs a header row"))
        }
        return isClean ? checked : []
    }

    private func stop(_ error: any Error) {
        stopped = true
        if let error = error as? CSVError {
            add(RowProblem(line: error.line, column: columnName(atField: error.column), reason: error.reason))
        } else {
            add(RowProblem(line: 0, column: "", reason: "\(error)"))
        }
    }

    private func add(_ problem: RowProblem) {
        problemsTotal += 1
        if problems.count < Self.problemLimit { problems.append(problem) }
    }

    private func columnName(atField field: Int) -> String {
        layout?.first(where: { $0.1 == field - 1 })?.0.rawValue ?? ""
    }

    // MARK: Rows

    private func check(_ record: CSVRecord) -> CheckedRow? {
        guard let layout else {
            readHeader(record)
            return nil
        }
        rows += 1
        var rowProblems: [RowProblem] = []
        let row = ImportRow(line: record.line, fields: record.fields, layout: layout, width: width, problems: &rowProblems)
        guard rowProblems.isEmpty else {
            rowProblems.forEach(add)
            return nil
        }
        // Consistency with earlier rows of this file is checked even after a problem, so
        // every bad row is listed; writing stops at the first problem.
        let entities = entityValues(of: row)
        var fresh: [(EntityKind, String, [DatabaseValue])] = []
        for (kind, id, values) in entities {
            if let earlier = seen[kind]?[id] {
                if earlier.values != values {
                    let column = kind.firstDifferingColumn(earlier.values, values)
                    add(RowProblem(line: row.line, column: column.rawValue,
                                   reason: "\(kind.noun) \(id) has another \(column.rawValue) on line \(earlier.line) (\(earlier.values.describe(kind.index(of: column))))"))
                    return nil
                }
            } else {
                fresh.append((kind, id, values))
            }
        }
        for (kind, id, values) in fresh { seen[kind, default: [:]][id] = (values, row.line) }
        let record = RecordKey(bookingID: row.bookingID, contactID: row.contactID, scheduleID: row.scheduleID)
        if let firstLine = recordLines[record] {
            add(RowProblem(line: row.line, column: ImportColumn.contactID.rawValue,
                           reason: "repeats line \(firstLine): the same booking_id, contact_id and schedule_id"))
            return nil
        }
        recordLines[record] = row.line
        return CheckedRow(row: row, fresh: fresh, snapshotFields: Self.snapshotFields(of: row))
    }

    /// The row's `CatalogRecord` without `record_id` and `booking_url`, encoded by hand
    /// the way the generated encoder does it (fields in number order, defaults left out;
    /// numbers from feed.proto): a test checks the two give the same bytes.
    static func snapshotFields(of row: ImportRow) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + row.organisationName.utf8.count + row.bookerName.utf8.count + row.bookerEmail.utf8.count
                              + row.contactName.utf8.count + row.contactEmail.utf8.count + row.courseName.utf8.count
                              + row.bookingID.utf8.count + row.organisationID.utf8.count + row.bookerID.utf8.count
                              + row.contactID.utf8.count + row.courseID.utf8.count + row.scheduleID.utf8.count
                              + row.scheduleStart.utf8.count + row.scheduleEnd.utf8.count + row.outstanding.utf8.count)
        FeedLog.appendField(2, row.bookingID, into: &bytes)
        FeedLog.appendField(3, row.organisationID, into: &bytes)
        FeedLog.appendField(4, row.organisationName, into: &bytes)
        FeedLog.appendField(5, row.bookerID, into: &bytes)
        FeedLog.appendField(6, row.bookerName, into: &bytes)
        FeedLog.appendField(7, row.bookerEmail, into: &bytes)
        FeedLog.appendField(8, row.contactID, into: &bytes)
        FeedLog.appendField(9, row.contactName, into: &bytes)
        FeedLog.appendField(10, row.contactEmail, into: &bytes)
        FeedLog.appendField(11, row.courseID, into: &bytes)
        FeedLog.appendField(12, row.courseName, into: &bytes)
        FeedLog.appendField(13, UInt64(UInt32(row.validityMonths)), into: &bytes)
        FeedLog.appendField(14, row.scheduleID, into: &bytes)
        FeedLog.appendField(15, row.scheduleStart, into: &bytes)
        FeedLog.appendField(16, row.scheduleEnd, into: &bytes)
        FeedLog.appendField(17, row.result, into: &bytes)
        FeedLog.appendField(18, row.outstanding, into: &bytes)
        return bytes
    }

    /// The same, by the generated encoder (what the test compares with).
    static func generatedSnapshotFields(of row: ImportRow) -> [UInt8] {
        var record = Certportal_Feed_V1_CatalogRecord()
        record.bookingId = row.bookingID
        record.organisationId = row.organisationID
        record.organisationName = row.organisationName
        record.bookerId = row.bookerID
        record.bookerName = row.bookerName
        record.bookerEmail = row.bookerEmail
        record.contactId = row.contactID
        record.contactName = row.contactName
        record.contactEmail = row.contactEmail
        record.courseId = row.courseID
        record.courseName = row.courseName
        record.validityMonths = UInt32(row.validityMonths)
        record.scheduleId = row.scheduleID
        record.scheduleStart = row.scheduleStart
        record.scheduleEnd = row.scheduleEnd
        record.result = row.result
        record.outstanding = row.outstanding
        return record.serializedBytes()
    }

    private func readHeader(_ record: CSVRecord) {
        var layout: [(ImportColumn, Int)] = []
        var named: Set<ImportColumn> = []
        for (index, raw) in record.fields.enumerated() {
            let name = raw.trimmingWhitespace().lowercased()
            guard let column = ImportColumn(rawValue: name) else {
                add(RowProblem(line: record.line, column: raw.clipped,
                               reason: "unknown column \"\(raw.clipped)\"; the columns are \(ImportColumn.allCases.map(\.rawValue).joined(separator: ", "))"))
                continue
            }
            guard named.insert(column).inserted else {
                add(RowProblem(line: record.line, column: column.rawValue, reason: "the column appears twice in the header"))
                continue
            }
            layout.append((column, index))
        }
        for column in ImportColumn.allCases where column.isRequired && !named.contains(column) {
            add(RowProblem(line: record.line, column: column.rawValue, reason: "the header lacks this required column"))
        }
        self.layout = layout
        width = record.fields.count
    }

    private func entityValues(of row: ImportRow) -> [(EntityKind, String, [DatabaseValue])] {
        [
            (.organisation, row.organisationID, [.text(row.organisationName)]),
            (.booker, row.bookerID, [.text(row.bookerName), .text(row.bookerEmail)]),
            (.contact, row.contactID, [.text(row.contactName), .text(row.contactEmail)]),
            (.course, row.courseID, [.text(row.courseName), .integer(Int64(row.validityMonths))]),
            (.schedule, row.scheduleID, [.text(row.courseID), .text(row.scheduleStart), .text(row.scheduleEnd)]),
            (.booking, row.bookingID, [.text(row.organisationID), .text(row.bookerID), .text(row.outstanding)]),
        ]
    }

}

/// The writing half of an import: writes checked rows inside the transaction the caller
/// opened, appending a feed event for every record it adds or changes.
///
/// Confined to the catalog's writer thread: used only inside `DatabaseQueue` closures of
/// one import (hence `@unchecked Sendable`).
final class ImportWrite: @unchecked Sendable {
    private(set) var inserted = 0
    private(set) var updated = 0
    private(set) var unchanged = 0
    private var courseURLs: [String: String] = [:]
    /// Entities whose stored values this file changed: their other records get new snapshots.
    private var changedEntities: [(EntityKind, String)] = []
    /// Attendees written by this file.
    private var attendeesWritten = RecordIDSet()
    /// Attendees whose snapshot this import appended to the feed.
    private var emitted = RecordIDSet()
    private let now = Date()

    func write(_ rows: [CheckedRow], db: Database) throws {
        // Rows are read in place (a buffer's elements are borrowed, where a for-in loop
        // would copy each row and its twenty-odd references).
        try rows.withUnsafeBufferPointer { rows in
            for index in rows.indices {
                for entity in rows[index].fresh.indices {
                    let (kind, id, values) = rows[index].fresh[entity]
                    switch try upsert(kind, id: id, values: values, db: db) {
                    case .updated: changedEntities.append((kind, id))
                    case .inserted, .unchanged: break
                    }
                }
                try writeAttendee(rows[index], db: db)
            }
        }
        try appendPendingEvents(db: db)
    }

    /// After the last row: new snapshots for records of entities the file changed.
    func finish(db: Database) throws {
        try appendPendingEvents(db: db)
        try emitSnapshotsOfChangedEntities(db: db)
    }

    private enum Change { case inserted, updated, unchanged }

    /// Each kind's statements, prepared once per import (the SQL is built from the kind).
    private var entityStatements: [EntityKind: (insert: Statement, select: Statement, update: Statement)] = [:]

    private func statements(_ kind: EntityKind, db: Database) throws -> (insert: Statement, select: Statement, update: Statement) {
        if let prepared = entityStatements[kind] { return prepared }
        let prepared = (try db.prepare(kind.insertSQL), try db.prepare(kind.selectSQL), try db.prepare(kind.updateSQL))
        entityStatements[kind] = prepared
        return prepared
    }

    /// Inserts the entity, or (when it exists) updates it if its values differ. Most rows
    /// of a first import are new, so the insert is tried first.
    private func upsert(_ kind: EntityKind, id: String, values: [DatabaseValue], db: Database) throws -> Change {
        let (insert, select, update) = try statements(kind, db: db)
        try insert.bind(id, at: 1)
        for (index, value) in values.enumerated() { try insert.bind(value, at: index + 2) }
        _ = try insert.step()
        try insert.reset()
        if db.changes > 0 { return .inserted }
        try select.bind(id, at: 1)
        var stored: [DatabaseValue] = []
        if try select.step() {
            let row = select.row
            stored = (0..<values.count).map { row[$0] }
        }
        try select.reset()
        if stored == values { return .unchanged }
        try update.bind(id, at: 1)
        for (index, value) in values.enumerated() { try update.bind(value, at: index + 2) }
        _ = try update.step()
        try update.reset()
        return .updated
    }

    private var attendeeInsert: Statement?
    private lazy var atMs = Int64((now.timeIntervalSince1970 * 1000).rounded())

    private func writeAttendee(_ checked: CheckedRow, db: Database) throws {
        // Tried as an insert first: most rows of a first import are new.
        let insert = try attendeeInsert ?? db.prepare(
            "INSERT OR IGNORE INTO attendees(booking_id, contact_id, schedule_id, result) VALUES (?, ?, ?, ?)")
        attendeeInsert = insert
        try insert.bind(checked.row.bookingID, at: 1)
        try insert.bind(checked.row.contactID, at: 2)
        try insert.bind(checked.row.scheduleID, at: 3)
        try insert.bind(checked.row.result, at: 4)
        _ = try insert.step()
        try insert.reset()
        var existing: (id: Int64, result: String)?
        if db.changes == 0 {
            let select = try db.cachedStatement(
                "SELECT id, result FROM attendees WHERE booking_id = ? AND contact_id = ? AND schedule_id = ?")
            try select.bind([checked.row.bookingID, checked.row.contactID, checked.row.scheduleID])
            if try select.step() {
                existing = (select.row.int64(at: 0) ?? 0, select.row.string(at: 1) ?? "")
            }
            try select.reset()
        }

        let id: Int64
        switch existing {
        case nil:
            id = db.lastInsertRowID
            inserted += 1
        case let (existingID, result)?:
            id = existingID
            if result != checked.row.result {
                _ = try db.run("UPDATE attendees SET result = ? WHERE id = ?", [checked.row.result, id])
                updated += 1
            } else {
                unchanged += 1
                attendeesWritten.insert(id)
                return
            }
        }
        attendeesWritten.insert(id)
        FeedLog.appendRecordEvent(atMs: atMs, recordID: UInt64(id), bookingURL: try courseURL(checked.row.courseID, db: db),
                                  fields: checked.snapshotFields, into: &pendingEvents)
        pendingEventEnds.append(pendingEvents.count)
        if pendingEventEnds.count == Self.eventBatch { try appendPendingEvents(db: db) }
        emitted.insert(id)
    }

    /// Feed events are appended `eventBatch` to a statement: one multi-row insert runs the
    /// statement (and AUTOINCREMENT's update of `sqlite_sequence`) once for all of them, and
    /// the rows still get their sequence numbers in order.
    private static let eventBatch = 64
    /// The events waiting for a batch, one after another in one reused buffer, and where
    /// each ends; they are bound straight from it (no copy), since it outlives the step.
    private var pendingEvents: [UInt8] = []
    private var pendingEventEnds: [Int] = []
    private var eventInsert: Statement?
    private var eventBatchInsert: Statement?

    /// Appends the events waiting for a batch, in order; before anything else appends.
    private func appendPendingEvents(db: Database) throws {
        guard !pendingEventEnds.isEmpty else { return }
        defer {
            pendingEvents.removeAll(keepingCapacity: true)
            pendingEventEnds.removeAll(keepingCapacity: true)
        }
        let batch = pendingEventEnds.count == Self.eventBatch
        let insert: Statement
        if batch {
            insert = try eventBatchInsert ?? db.prepare(
                "INSERT INTO feed_events(at_ms, body) VALUES " + Array(repeating: "(?, ?)", count: Self.eventBatch).joined(separator: ", "))
            eventBatchInsert = insert
        } else {
            insert = try eventInsert ?? db.prepare(FeedLog.insertSQL)
            eventInsert = insert
        }
        try pendingEvents.withUnsafeBytes { buffer in
            // Unbound before the buffer lends its bytes to anyone else.
            defer { try? insert.clearBindings() }
            var start = 0
            for (index, end) in pendingEventEnds.enumerated() {
                let event = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
                start = end
                let parameter = batch ? 2 * index + 1 : 1
                try insert.bind(atMs, at: parameter)
                try insert.bindBorrowedBlob(event, at: parameter + 1)
                if !batch {
                    _ = try insert.step()
                    try insert.reset()
                }
            }
            if batch {
                _ = try insert.step()
                try insert.reset()
            }
        }
    }

    private func courseURL(_ courseID: String, db: Database) throws -> String {
        if let url = courseURLs[courseID] { return url }
        let url = try db.scalar("SELECT booking_url FROM courses WHERE id = ?", [courseID])?.string ?? ""
        courseURLs[courseID] = url
        return url
    }

    /// A renamed organisation (say) changes records this file did not name: each gets a
    /// new snapshot too.
    private func emitSnapshotsOfChangedEntities(db: Database) throws {
        for (kind, id) in changedEntities {
            let records = try CatalogRecords.snapshots(where: kind.attendeeFilter, [id], db: db)
            for record in records where !emitted.contains(Int64(record.recordId)) {
                try FeedLog.append(.record(record), at: now, in: db)
                emitted.insert(Int64(record.recordId))
                if attendeesWritten.contains(Int64(record.recordId)) { unchanged -= 1; updated += 1 }
            }
        }
    }
}

/// A set of attendee ids: a bit per id (they are the table's small, dense rowids), with a
/// `Set` for any id too large for that.
struct RecordIDSet {
    private static let bitLimit: Int64 = 1 << 28
    private var words: [UInt64] = []
    private var others: Set<Int64> = []

    mutating func insert(_ id: Int64) {
        guard id >= 0, id < Self.bitLimit else { others.insert(id); return }
        let word = Int(id >> 6)
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: max(word + 1 - words.count, words.count))) }
        words[word] |= 1 << UInt64(id & 63)
    }

    func contains(_ id: Int64) -> Bool {
        guard id >= 0, id < Self.bitLimit else { return others.contains(id) }
        let word = Int(id >> 6)
        return word < words.count && words[word] & (1 << UInt64(id & 63)) != 0
    }
}

/// The things an import row names besides the attendee, each stored once by its id.
enum EntityKind: Hashable, Sendable {
    case organisation, booker, contact, course, schedule, booking

    var noun: String {
        switch self {
        case .organisation: "organisation"
        case .booker: "booker"
        case .contact: "contact"
        case .course: "course"
        case .schedule: "schedule"
        case .booking: "booking"
        }
    }

    /// The import columns of the stored values, in order.
    var columns: [ImportColumn] {
        switch self {
        case .organisation: [.organisationName]
        case .booker: [.bookerName, .bookerEmail]
        case .contact: [.contactName, .contactEmail]
        case .course: [.courseName, .validityMonths]
        case .schedule: [.courseID, .scheduleStart, .scheduleEnd]
        case .booking: [.organisationID, .bookerID, .outstanding]
        }
    }

    private var table: (name: String, columns: [String]) {
        switch self {
        case .organisation: ("organisations", ["name"])
        case .booker: ("bookers", ["name", "email"])
        case .contact: ("contacts", ["name", "email"])
        case .course: ("courses", ["name", "validity_months"])
        case .schedule: ("schedules", ["course_id", "start", "end"])
        case .booking: ("bookings", ["organisation_id", "booker_id", "outstanding"])
        }
    }

    var selectSQL: String { "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) WHERE id = ?" }
    var insertSQL: String {
        // OR IGNORE (not an upsert clause): a statement that cannot abort half-way needs no
        // statement journal, which in an import's one large transaction would copy every page.
        "INSERT OR IGNORE INTO \(table.name)(id, \(table.columns.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: table.columns.count)))"
    }
    var updateSQL: String {
        "UPDATE \(table.name) SET \(table.columns.enumerated().map { "\($1) = ?\($0 + 2)" }.joined(separator: ", ")) WHERE id = ?1"
    }

    /// Selects the attendees whose snapshot shows this entity (one `?`: its id).
    var attendeeFilter: String {
        switch self {
        case .organisation: "b.organisation_id = ?"
        case .booker: "b.booker_id = ?"
        case .contact: "a.contact_id = ?"
        case .course: "s.course_id = ?"
        case .schedule: "a.schedule_id = ?"
        case .booking: "a.booking_id = ?"
        }
    }

    func index(of column: ImportColumn) -> Int { columns.firstIndex(of: column) ?? 0 }

    func firstDifferingColumn(_ a: [DatabaseValue], _ b: [DatabaseValue]) -> ImportColumn {
        for (index, column) in columns.enumerated() where a[index] != b[index] { return column }
        return columns[0]
    }
}

extension [DatabaseValue] {
    func describe(_ index: Int) -> String {
        switch self[index] {
        case .text(let text): text.isEmpty ? "empty" : "\"\(text.clipped)\""
        case .integer(let value): value == 0 ? "empty" : String(value)
        default: "?"
        }
    }
}
