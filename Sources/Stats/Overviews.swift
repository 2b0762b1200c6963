internal import Records
public import RPC
internal import Storage
public import Messages

/// The training matrix, the expiry forecast and the filter choices.
extension StatsQueries {
    /// Contacts shown at most; more asks for an organisation filter.
    static let matrixContactLimit = 2_000

    /// The order in which a contact's records of one course compete for the cell: the
    /// best current standing wins, and within a status the latest expiry.
    static let matrixPreference: [RecordStatus] = [.certified, .expiring, .booked, .pending, .expired, .rebooked, .failed]

    public func matrix(_ request: Certportal_Stats_V1_MatrixRequest, for principal: Principal) async throws -> Certportal_Stats_V1_MatrixResponse {
        try await waitFor(catalog: request.minCatalogSeq, certificates: request.minCertificateSeq)
        var filter = RecordFilter()
        filter.organisationId = request.organisationId
        let query = try makeQuery(filter, principal)
        let limit = Self.matrixContactLimit
        return try await model.pool.read { db in
            var response = Certportal_Stats_V1_MatrixResponse()
            var courseIndex: [String: Int] = [:]
            var rows: [Certportal_Stats_V1_MatrixRow] = []
            var rowIndex: [String: Int] = [:]
            var best: [Int: [Int: (rank: Int, expiry: String, cell: Certportal_Stats_V1_MatrixCell)]] = [:]
            // Courses first, so every row's cells index the same list.
            try db.query("SELECT DISTINCT course_id, course_name FROM records\(query.whereClause(includingStatus: false)) ORDER BY course_name, course_id",
                         Bindings(query.bindings)) { row in
                courseIndex[row.string(at: 0) ?? ""] = response.courses.count
                var course = Certportal_Stats_V1_MatrixCourse()
                course.courseId = row.string(at: 0) ?? ""
                course.courseName = row.string(at: 1) ?? ""
                response.courses.append(course)
            }
            try db.query("""
                SELECT contact_id, contact_name, organisation_name, course_id, \(query.statusSQL), coalesce(expiry, ''), id
                FROM records\(query.whereClause(includingStatus: false)) ORDER BY contact_name, contact_id
                """, Bindings(query.bindings)) { row in
                let contactID = row.string(at: 0) ?? ""
                let index: Int
                if let existing = rowIndex[contactID] {
                    index = existing
                } else {
                    guard rows.count < limit else { response.truncated = true; return }
                    index = rows.count
                    rowIndex[contactID] = index
                    var matrixRow = Certportal_Stats_V1_MatrixRow()
                    matrixRow.contactId = contactID
                    matrixRow.contactName = row.string(at: 1) ?? ""
                    matrixRow.organisationName = row.string(at: 2) ?? ""
                    rows.append(matrixRow)
                }
                guard let course = courseIndex[row.string(at: 3) ?? ""] else { return }
                let status = RecordStatus(rawValue: row.string(at: 4) ?? "") ?? .pending
                let rank = Self.matrixPreference.firstIndex(of: status) ?? Self.matrixPreference.count
                let expiry = row.string(at: 5) ?? ""
                if let current = best[index]?[course], current.rank < rank || (current.rank == rank && current.expiry >= expiry) {
                    return
                }
                var cell = Certportal_Stats_V1_MatrixCell()
                cell.courseIndex = UInt32(course)
                cell.status = status.rawValue
                cell.expiryDate = expiry
                cell.recordId = UInt64(row.int64(at: 6) ?? 0)
                best[index, default: [:]][course] = (rank, expiry, cell)
            }
            for index in rows.indices {
                rows[index].cells = (best[index] ?? [:]).values.map(\.cell).sorted { $0.courseIndex < $1.courseIndex }
            }
            response.rows = rows
            return response
        }
    }

    /// Current certificates expiring in each of the next months (this one first).
    public func forecast(_ request: Certportal_Stats_V1_ForecastRequest, for principal: Principal) async throws -> Certportal_Stats_V1_ForecastResponse {
        var filter = request.filter ?? RecordFilter()
        try await waitFor(catalog: filter.minCatalogSeq, certificates: filter.minCertificateSeq)
        // The forecast looks ahead from today: the table's date range and status don't apply.
        filter.from = ""
        filter.to = ""
        filter.status = ""
        let months = request.months == 0 ? 12 : Int(request.months)
        guard months <= 60 else { throw RPCError(.invalidArgument, "months: at most 60") }
        let query = try makeQuery(filter, principal)
        let today = clock.today
        let firstMonth = CalendarDate(year: today.year, month: today.month, day: 1)!
        let monthStarts = (0..<months).map { firstMonth.adding(months: $0) }
        let end = firstMonth.adding(months: months).adding(days: -1)
        let counts = try await model.pool.read { db in
            var counts: [String: UInt64] = [:]
            let scope = query.whereClause(includingStatus: false)
            try db.query("""
                SELECT substr(expiry, 1, 7), count(*) FROM records\(scope.isEmpty ? " WHERE" : scope + " AND") has_certificate = 1 AND expiry >= ? AND expiry <= ?
                GROUP BY 1
                """, Bindings(query.bindings + [today.description, end.description])) { row in
                counts[row.string(at: 0) ?? ""] = UInt64(row.int64(at: 1) ?? 0)
            }
            return counts
        }
        var response = Certportal_Stats_V1_ForecastResponse()
        response.months = monthStarts.map { start in
            var month = Certportal_Stats_V1_ForecastMonth()
            month.month = String(start.description.prefix(7))
            month.expiring = counts[month.month] ?? 0
            return month
        }
        return response
    }

    /// The courses, organisations and bookers in the caller's scope, for filter choices.
    public func facets(for principal: Principal) async throws -> Certportal_Stats_V1_FacetsResponse {
        let query = try makeQuery(RecordFilter(), principal)
        return try await model.pool.read { db in
            let scope = query.whereClause(includingStatus: false)
            func facets(_ id: String, _ name: String) throws -> [Certportal_Stats_V1_Facet] {
                try db.fetch("SELECT DISTINCT \(id), \(name) FROM records\(scope) ORDER BY \(name), \(id)", Bindings(query.bindings)) { row in
                    var facet = Certportal_Stats_V1_Facet()
                    facet.id = row.string(at: 0) ?? ""
                    facet.name = row.string(at: 1) ?? ""
                    return facet
                }
            }
            var response = Certportal_Stats_V1_FacetsResponse()
            response.courses = try facets("course_id", "course_name")
            response.organisations = try facets("organisation_id", "organisation_name")
            response.bookers = try facets("booker_id", "booker_name")
            return response
        }
    }
}
