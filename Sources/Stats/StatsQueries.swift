public import Records
public import RPC
internal import Storage
public import Messages
internal import Foundation

public typealias StatusSummary = Certportal_Stats_V1_StatusSummary
public typealias RecordPage = Certportal_Stats_V1_RecordPage

/// The read model's questions, each scoped to a principal and run on a read connection.
public struct StatsQueries: Sendable {
    public let model: ReadModel
    public let clock: StatusClock
    /// How long a query waits for the read model to reach a write the caller names.
    public var catchUpTimeout: Duration = .seconds(3)
    public static let defaultPageSize = 50
    public static let maxPageSize = 1_000
    let summaries: AnswerCache<StatusSummary>
    let pages: AnswerCache<EncodedMessage<RecordPage>>

    /// `cachingAnswers` false: every query is computed afresh (benchmarks of the queries).
    public init(model: ReadModel, clock: StatusClock, cachingAnswers: Bool = true) {
        self.model = model
        self.clock = clock
        summaries = AnswerCache(capacity: cachingAnswers ? 512 : 0)
        pages = AnswerCache(capacity: cachingAnswers ? 256 : 0)
    }

    /// Read-your-writes: returns once the read model holds both positions, or fails with
    /// UNAVAILABLE after `catchUpTimeout`.
    public func waitFor(catalog: UInt64, certificates: UInt64) async throws {
        for (feed, seq) in [(FeedName.catalog, catalog), (.certificates, certificates)] where seq > 0 {
            let notifier = model.notifier(feed)
            if notifier.head >= seq { continue }
            await notifier.wait(after: seq - 1, timeout: catchUpTimeout)
            guard notifier.head >= seq else {
                throw RPCError(.unavailable, "the records are still being updated (\(feed.rawValue) feed at \(notifier.head), waiting for \(seq)); try again")
            }
        }
    }

    // MARK: Stats bar and table

    public func summary(_ filter: RecordFilter, for principal: Principal) async throws -> StatusSummary {
        try await waitFor(catalog: filter.minCatalogSeq, certificates: filter.minCertificateSeq)
        let query = try makeQuery(filter, principal)
        let version = model.version.load(ordering: .acquiring)
        return try await model.pool.read { db in try cachedSummary(query, db, version: version) }
    }

    /// The stats bar from the cache when the read model has not changed since it was
    /// counted, else counted now (on a snapshot at least as new as `version`) and kept.
    func cachedSummary(_ query: RecordQuery, _ db: Database, version: UInt64, key: String? = nil) throws -> StatusSummary {
        let key = key ?? query.summaryKey
        if let summary = summaries.answer(key, at: version) { return summary }
        let summary = try Self.summary(query, db)
        summaries.store(summary, for: key, at: version)
        return summary
    }

    static func summary(_ query: RecordQuery, _ db: Database) throws -> StatusSummary {
        // Count each distinct combination of the status facts first (in the covering
        // index's order, so without sorting), then apply the rules once per combination
        // rather than once per record: three times faster than the rules per row.
        let statement = try db.cachedStatement("""
            SELECT \(query.statusSQL) AS status, sum(n) FROM (
                SELECT completion, result, has_certificate, expiry, rebooked, count(*) AS n
                FROM records\(query.whereClause(includingStatus: false))
                GROUP BY completion, result, has_certificate, expiry, rebooked)
            GROUP BY status
            """)
        try query.bind(statement)
        var summary = StatusSummary()
        while try statement.step() {
            let count = UInt64(statement.row.int64(at: 1) ?? 0)
            switch RecordStatus(rawValue: statement.row.string(at: 0) ?? "") {
            case .certified: summary.certified = count
            case .expiring: summary.expiring = count
            case .expired: summary.expired = count
            case .pending: summary.pending = count
            case .failed: summary.failed = count
            case .booked: summary.booked = count
            case .rebooked: summary.rebooked = count
            case nil: break
            }
        }
        try statement.reset()
        return summary
    }

    public func page(_ request: Certportal_Stats_V1_ListRecordsRequest, for principal: Principal) async throws -> RecordPage {
        try await encodedPage(request, for: principal).decoded()
    }

    /// The page as ListRecords sends it: its rows encoded straight from the read model
    /// (RecordRows.appendEncoded), kept in the cache as bytes.
    public func encodedPage(_ request: Certportal_Stats_V1_ListRecordsRequest, for principal: Principal) async throws -> EncodedMessage<RecordPage> {
        try await waitFor(catalog: request.filter?.minCatalogSeq ?? 0, certificates: request.filter?.minCertificateSeq ?? 0)
        let query = try makeQuery(request.filter ?? RecordFilter(), principal)
        let sort = try SortOrder(request.sort)
        let pageSize = request.pageSize == 0 ? Self.defaultPageSize : Int(request.pageSize)
        guard pageSize <= Self.maxPageSize else {
            throw RPCError(.invalidArgument, "page_size: at most \(Self.maxPageSize)")
        }
        let cursor = try request.cursor.isEmpty ? nil : PageCursor(request.cursor)
        let version = model.version.load(ordering: .acquiring)
        let summaryKey = query.summaryKey
        let pageKey = summaryKey + "\u{1F}\(query.status?.rawValue ?? "")\u{1F}\(sort.column.rawValue)\u{1F}\(sort.descending)\u{1F}\(pageSize)\u{1F}" + request.cursor
        if let page = pages.answer(pageKey, at: version) { return page }
        let page = try await model.pool.read { db in
            // RecordPage's fields in number order, as the generated encoder writes them.
            var bytes: [UInt8] = []
            let summary = try cachedSummary(query, db, version: version, key: summaryKey)
            let summaryBytes = summary.serializedBytes()
            ProtoWire.key(field: 1, type: .lengthDelimited, into: &bytes)
            ProtoWire.varint(UInt64(summaryBytes.count), into: &bytes)
            bytes.append(contentsOf: summaryBytes)
            ProtoWire.appendField(2, query.status.map { summary.count($0) } ?? summary.total, into: &bytes)
            let expression = sort.column.sortSQL(statusSQL: query.statusSQL)
            let direction = sort.descending ? "DESC" : "ASC"
            var sql = "SELECT \(RecordRows.columns), \(query.statusSQL) AS status, \(expression) AS sort_key FROM records"
            var clause = query.whereClause(includingStatus: true)
            var extra: [(any Bindable)?] = []
            if let cursor {
                let comparison = sort.descending ? "<" : ">"
                // A row value, not `a < ? OR (a = ? AND id < ?)`: SQLite seeks an index to a
                // row value, where the OR scans from the start (every page of a long export
                // would read all the pages before it).
                let keyset = "(\(expression), id) \(comparison) (?, ?)"
                clause += clause.isEmpty ? " WHERE \(keyset)" : " AND \(keyset)"
                extra = [cursor.value, cursor.id]
            }
            sql += clause + " ORDER BY \(expression) \(direction), id \(direction) LIMIT ?"
            extra.append(pageSize + 1)
            let statement = try db.cachedStatement(sql)
            try query.bind(statement, extra: extra)
            var count = 0
            var last: PageCursor?
            var scratch: [UInt8] = []
            while try statement.step() {
                if count == pageSize {
                    let cursorBytes = Array((last?.encoded ?? "").utf8)
                    cursorBytes.withUnsafeBufferPointer { ProtoWire.appendField(4, bytes: $0, into: &bytes) }
                    break
                }
                RecordRows.appendEncoded(statement.row, field: 3, into: &bytes, scratch: &scratch)
                count += 1
                // Only the page's last row can give the next page's cursor.
                if count == pageSize {
                    last = PageCursor(value: statement.row[RecordRows.columnCount + 1], id: statement.row.int64(at: 0) ?? 0)
                }
            }
            try statement.reset()
            return EncodedMessage<RecordPage>(bytes: bytes)
        }
        pages.store(page, for: pageKey, at: version)
        return page
    }

    public func record(_ request: Certportal_Stats_V1_GetRecordRequest, for principal: Principal) async throws -> RecordRow {
        try await waitFor(catalog: request.minCatalogSeq, certificates: request.minCertificateSeq)
        let query = try makeQuery(RecordFilter(), principal)
        let id = Int64(clamping: request.recordId)
        let row = try await model.pool.read { db in
            let scope = query.whereClause(includingStatus: false)
            return try db.fetch("SELECT \(RecordRows.columns), \(query.statusSQL) FROM records\(scope.isEmpty ? " WHERE" : scope + " AND") id = ?",
                                Bindings(query.bindings + [id])) { RecordRows.row($0) }.first
        }
        guard let row else { throw RPCError(.notFound, "record_id: there is no record \(request.recordId)") }
        return row
    }

    func makeQuery(_ filter: RecordFilter, _ principal: Principal) throws(RPCError) -> RecordQuery {
        let today = clock.today
        return try RecordQuery(filter: filter, principal: principal, today: today, horizon: clock.horizon)
    }
}

extension StatusSummary {
    /// Records counted in the stats bar plus those it leaves out (booked, re-booked).
    var total: UInt64 { certified + expiring + expired + pending + failed + booked + rebooked }

    func count(_ status: RecordStatus) -> UInt64 {
        switch status {
        case .certified: certified
        case .expiring: expiring
        case .expired: expired
        case .pending: pending
        case .failed: failed
        case .booked: booked
        case .rebooked: rebooked
        }
    }
}

/// `sort`: a column key, `-` first for descending; the default is newest completion first.
struct SortOrder {
    var column: RecordColumn
    var descending: Bool

    init(_ text: String) throws(RPCError) {
        if text.isEmpty {
            column = .completionDate
            descending = true
            return
        }
        descending = text.hasPrefix("-")
        let key = descending ? String(text.dropFirst()) : text
        guard let column = RecordColumn(rawValue: key), column != .actions else {
            throw RPCError(.invalidArgument, "sort: must be one of \(RecordColumn.dataColumns.map(\.rawValue).joined(separator: ", ")), with - first for descending; found \"\(text.prefix(40))\"")
        }
        self.column = column
    }
}

extension RecordColumn {
    /// The SQL the table sorts this column by (never NULL, so keyset comparisons work).
    func sortSQL(statusSQL: String) -> String {
        switch self {
        case .bookingID: "booking_id"
        case .contactName: "contact_name"
        case .organisation: "organisation_name"
        case .booker: "booker_name"
        case .courseName: "course_name"
        case .scheduleID: "schedule_id"
        case .status: "(\(statusSQL))"
        case .startDate: "start"
        case .completionDate: "completion"
        case .expiryDate: "coalesce(expiry, '')"
        case .certificateUpdated: "certificate_updated"
        case .certType: "cert_type"
        case .outstanding: "outstanding"
        case .shared: "shared"
        case .passFail: "result"
        case .actions: "id"
        }
    }
}

/// Where a page ended: the last row's sort value and id, opaque to callers.
struct PageCursor {
    var value: DatabaseValue
    var id: Int64

    init(value: DatabaseValue, id: Int64) {
        self.value = value
        self.id = id
    }

    init(_ text: String) throws(RPCError) {
        let invalid = RPCError(.invalidArgument, "cursor: not a cursor this service gave out")
        guard let data = Data(base64Encoded: text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                .padding(toLength: (text.count + 3) / 4 * 4, withPad: "=", startingAt: 0)),
              let parts = try? JSONSerialization.jsonObject(with: data) as? [Any], parts.count == 3,
              let kind = parts[0] as? String, let id = (parts[2] as? NSNumber)?.int64Value else { throw invalid }
        switch kind {
        case "t": guard let text = parts[1] as? String else { throw invalid }; value = .text(text)
        case "i": guard let number = (parts[1] as? NSNumber)?.int64Value else { throw invalid }; value = .integer(number)
        default: throw invalid
        }
        self.id = id
    }

    var encoded: String {
        let parts: [Any] = switch value {
        case .integer(let number): ["i", number, id]
        case .text(let text): ["t", text, id]
        default: ["t", "", id]
        }
        let data = (try? JSONSerialization.data(withJSONObject: parts)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
