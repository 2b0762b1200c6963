internal import Records
internal import RPC
internal import Storage
public import Messages
internal import Foundation

public typealias RecordFilter = Certportal_Stats_V1_RecordFilter
public typealias RecordRow = Certportal_Stats_V1_RecordRow


/// A filter turned into SQL over the records table, scoped to a principal. Values are
/// bound, never spliced, except today and the horizon (checked ISO dates).
struct RecordQuery {
    var conditions: [String] = []
    var bindings: [(any Bindable)?] = []
    /// The filter's status, applied apart from the rest so the stats bar can ignore it.
    var status: RecordStatus?
    let statusSQL: String

    init(filter: RecordFilter, principal: Principal, today: CalendarDate, horizon: ExpiryHorizon) throws(RPCError) {
        statusSQL = RecordStatus.sqlCase(today: "'\(today)'", horizon: "'\(horizon.date(today: today))'")
        switch principal {
        case .admin: break
        case .orgrep(let organisationID): add("organisation_id = ?", organisationID)
        case .booker(let bookerID): add("booker_id = ?", bookerID)
        }
        let dateColumn: String
        switch filter.dateField {
        case "", "completion": dateColumn = "completion"
        case "expiry": dateColumn = "expiry"
        default: throw RPCError(.invalidArgument, "date_field: must be completion or expiry; found \"\(filter.dateField.prefix(40))\"")
        }
        let from = try Self.date(filter.from, field: "from")
        let to = try Self.date(filter.to, field: "to")
        if let from, let to, to < from {
            throw RPCError(.invalidArgument, "to: \(to) is before from (\(from))")
        }
        if let from { add("\(dateColumn) >= ?", from.description) }
        if let to { add("\(dateColumn) <= ?", to.description) }
        if !filter.courseId.isEmpty { add("course_id = ?", filter.courseId) }
        if !filter.organisationId.isEmpty { add("organisation_id = ?", filter.organisationId) }
        if !filter.bookerId.isEmpty { add("booker_id = ?", filter.bookerId) }
        if !filter.status.isEmpty {
            guard let status = RecordStatus(rawValue: filter.status.lowercased()) else {
                throw RPCError(.invalidArgument, "status: must be one of \(RecordStatus.allCases.map(\.rawValue).joined(separator: ", ")); found \"\(filter.status.prefix(40))\"")
            }
            self.status = status
        }
        let text = filter.query.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty {
            guard text.utf8.count <= 200 else { throw RPCError(.invalidArgument, "q: at most 200 bytes") }
            let pattern = "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            let columns = ["contact_name", "contact_email", "organisation_name", "booker_name", "course_name", "booking_id", "schedule_id", "contact_id"]
            conditions.append("(" + columns.map { "\($0) LIKE ? ESCAPE '\\'" }.joined(separator: " OR ") + ")")
            bindings.append(contentsOf: Array(repeating: pattern, count: columns.count))
        }
    }

    private mutating func add(_ condition: String, _ value: String) {
        conditions.append(condition)
        bindings.append(value)
    }

    static func date(_ text: String, field: String) throws(RPCError) -> CalendarDate? {
        if text.isEmpty { return nil }
        guard let date = CalendarDate(iso: text), (1900...2199).contains(date.year) else {
            throw RPCError(.invalidArgument, "\(field): must be an ISO date such as 2026-03-02; found \"\(text.prefix(40))\"")
        }
        return date
    }

    /// What identifies the stats bar of this filter and scope on one day: its SQL and its
    /// values, each length-prefixed so no two filters share a key.
    var summaryKey: String {
        var key = statusSQL + whereClause(includingStatus: false)
        for value in bindings {
            let text = value.map { String(describing: $0) } ?? "NULL"
            key += "\u{1F}\(text.utf8.count):" + text
        }
        return key
    }

    /// `WHERE …` over the filter, with or without its status.
    func whereClause(includingStatus: Bool) -> String {
        var all = conditions
        if includingStatus, let status { all.append("(\(statusSQL)) = '\(status.rawValue)'") }
        return all.isEmpty ? "" : " WHERE " + all.joined(separator: " AND ")
    }

    /// The filter's values in order, then `extra` (for conditions appended after it).
    func bind(_ statement: Statement, extra: [(any Bindable)?] = []) throws {
        for (index, value) in (bindings + extra).enumerated() { try statement.bind(value, at: index + 1) }
    }
}
