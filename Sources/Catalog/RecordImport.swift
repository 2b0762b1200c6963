internal import Storage
internal import CSV
internal import ChangeFeed
internal import Messages
internal import Foundation

/// One import of a records file, fed in chunks as they arrive and written inside one
/// transaction that the caller opens before the first chunk and commits (or rolls back)
/// after `finish`. Every row is checked; after the first problem nothing more is written
/// but the rest of the file is still checked, so one answer lists every bad row.
///
/// Confined to the catalog's writer thread: created, fed and finished only inside
/// `DatabaseQueue` closures of one import (hence `@unchecked Sendable`).
final class RecordImport: @unchecked Sendable {
    /// Problems listed in the answer; more are counted but not listed.
    static let problemLimit = 1_000

    private var reader = CSVReader()
    private var layout: [(ImportColumn, Int)]?
    private var width = 0
    private(set) var problems: [RowProblem] = []
    private(set) var problemsTotal = 0
    private(set) var rows = 0
    private(set) var inserted = 0
    private(set) var updated = 0
    private(set) var unchanged = 0

    /// What this file said of each entity, to hold it to one version per file.
    private var seen: [EntityKind: [String: (values: [DatabaseValue], line: Int)]] = [:]
    private var courseURLs: [String: String] = [:]
    /// Entities whose stored values this file changed: their other records get new snapshots.
    private var changedEntities: [(EntityKind, String)] = []
    /// Attendees written by this file, with the line that wrote them.
    private var attendeeLines: [Int64: Int] = [:]
    /// Each record this file names (booking, contact, schedule), with its line: checked
    /// whether or not the file is still being written, so a repeat is listed after any problem.
    private var recordLines: [[String]: Int] = [:]
    private var emitted: Set<Int64> = []

    private let now = Date()

    func feed(_ bytes: [UInt8], db: Database) throws {
        do {
            try reader.feed(bytes) { record in try self.handle(record, db: db) }
        } catch let error as CSVError {
            add(RowProblem(line: error.line, column: columnName(atField: error.column), reason: error.reason))
            throw ImportStop()
        }
    }

    /// Ends the file. Returns true when every row was good and written.
    func finish(db: Database) throws -> Bool {
        do {
            try reader.finish { record in try self.handle(record, db: db) }
        } catch let error as CSVError {
            add(RowProblem(line: error.line, column: columnName(atField: error.column), reason: error.reason))
        }
        if layout == nil && problemsTotal == 0 {
            add(RowProblem(line: 0, column: "", reason: "the file is empty: it needs a header row"))
        }
        guard problemsTotal == 0 else { return false }
        try emitSnapshotsOfChangedEntities(db: db)
        return true
    }

    /// Stops reading after a problem the rest of the file cannot be read past (bad CSV).
    struct ImportStop: Error {}

    private func add(_ problem: RowProblem) {
        problemsTotal += 1
        if problems.count < Self.problemLimit { problems.append(problem) }
    }

    private func columnName(atField field: Int) -> String {
        layout?.first(where: { $0.1 == field - 1 })?.0.rawValue ?? ""
    }

    // MARK: Rows

    private func handle(_ record: CSVRecord, db: Database) throws {
        guard let layout else {
            readHeader(record)
            return
        }
        rows += 1
        var rowProblems: [RowProblem] = []
        let row = ImportRow(line: record.line, fields: record.fields, layout: layout, width: width, problems: &rowProblems)
        guard rowProblems.isEmpty else {
            rowProblems.forEach(add)
            return
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
                    return
                }
            } else {
                fresh.append((kind, id, values))
            }
        }
        for (kind, id, values) in fresh { seen[kind, default: [:]][id] = (values, row.line) }
        let record = [row.bookingID, row.contactID, row.scheduleID]
        if let firstLine = recordLines[record] {
            add(RowProblem(line: row.line, column: ImportColumn.contactID.rawValue,
                           reason: "repeats line \(firstLine): the same booking_id, contact_id and schedule_id"))
            return
        }
        recordLines[record] = row.line
        guard problemsTotal == 0 else { return }

        for (kind, id, values) in fresh {
            switch try upsert(kind, id: id, values: values, db: db) {
            case .updated: changedEntities.append((kind, id))
            case .inserted, .unchanged: break
            }
        }
        try writeAttendee(row, db: db)
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

    private enum Change { case inserted, updated, unchanged }

    private func upsert(_ kind: EntityKind, id: String, values: [DatabaseValue], db: Database) throws -> Change {
        let select = try db.cachedStatement(kind.selectSQL)
        try select.bind(DatabaseValue.text(id), at: 1)
        var stored: [DatabaseValue]?
        if try select.step() {
            let row = select.row
            stored = (0..<values.count).map { row[$0] }
        }
        try select.reset()
        if stored == values { return .unchanged }
        let statement = try db.cachedStatement(stored == nil ? kind.insertSQL : kind.updateSQL)
        try statement.bind(DatabaseValue.text(id), at: 1)
        for (index, value) in values.enumerated() { try statement.bind(value, at: index + 2) }
        _ = try statement.step()
        try statement.reset()
        return stored == nil ? .inserted : .updated
    }

    private func writeAttendee(_ row: ImportRow, db: Database) throws {
        let select = try db.cachedStatement(
            "SELECT id, result FROM attendees WHERE booking_id = ? AND contact_id = ? AND schedule_id = ?")
        try select.bind([row.bookingID, row.contactID, row.scheduleID])
        var existing: (id: Int64, result: String)?
        if try select.step() {
            existing = (select.row.int64(at: 0) ?? 0, select.row.string(at: 1) ?? "")
        }
        try select.reset()

        let id: Int64
        switch existing {
        case nil:
            let insert = try db.cachedStatement(
                "INSERT INTO attendees(booking_id, contact_id, schedule_id, result) VALUES (?, ?, ?, ?)")
            try insert.bind([row.bookingID, row.contactID, row.scheduleID, row.result])
            _ = try insert.step()
            try insert.reset()
            id = db.lastInsertRowID
            inserted += 1
        case let (existingID, result)?:
            id = existingID
            if result != row.result {
                _ = try db.run("UPDATE attendees SET result = ? WHERE id = ?", [row.result, id])
                updated += 1
            } else {
                unchanged += 1
                attendeeLines[id] = row.line
                return
            }
        }
        attendeeLines[id] = row.line
        try FeedLog.append(.record(snapshot(of: row, id: id, db: db)), at: now, in: db)
        emitted.insert(id)
    }

    private func snapshot(of row: ImportRow, id: Int64, db: Database) throws -> Certportal_Feed_V1_CatalogRecord {
        var record = Certportal_Feed_V1_CatalogRecord()
        record.recordId = UInt64(id)
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
        record.bookingUrl = try courseURL(row.courseID, db: db)
        return record
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
                if attendeeLines[Int64(record.recordId)] != nil { unchanged -= 1; updated += 1 }
            }
        }
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
        "INSERT INTO \(table.name)(id, \(table.columns.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: table.columns.count)))"
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
