internal import Messages
internal import Records
internal import RecordValues

/// The API's shape of the read model's rows: every display column under its key
/// (`Records.RecordColumn`), plus the ids and links the pages need.
enum RecordJSON {
    static func record(_ row: Certportal_Stats_V1_RecordRow) -> JSON {
        var members: [(String, JSON)] = [("record_id", .integer(row.recordId))]
        for column in RecordColumn.dataColumns {
            members.append((column.rawValue, value(column, of: row)))
        }
        members += [
            ("contact_id", .string(row.contactId)), ("contact_email", .text(row.contactEmail)),
            ("organisation_id", .string(row.organisationId)), ("booker_id", .string(row.bookerId)),
            ("booker_email", .text(row.bookerEmail)), ("course_id", .string(row.courseId)),
            ("has_certificate", .bool(row.hasCertificate)), ("booking_url", .text(row.bookingUrl)),
        ]
        return .object(members)
    }

    /// One column's value for a row (the mapping lives in RecordValues, shared with the CSV report).
    static func value(_ column: RecordColumn, of row: Certportal_Stats_V1_RecordRow) -> JSON {
        switch column.value(of: row) {
        case .text(let text): .string(text)
        case .optionalText(let text): .text(text)
        case .flag(let flag): .bool(flag)
        case .none: .null
        }
    }

    static func summary(_ summary: Certportal_Stats_V1_StatusSummary) -> JSON {
        ["certified": .integer(summary.certified), "expiring": .integer(summary.expiring), "expired": .integer(summary.expired),
         "pending": .integer(summary.pending), "failed": .integer(summary.failed), "booked": .integer(summary.booked),
         "rebooked": .integer(summary.rebooked)]
    }

    static func config(provider: JSON, today: CalendarDate) -> JSON {
        let year = String(format4: today.year)
        return ["provider": provider, "today": .string(today.description),
                "year_from": .string("\(year)-01-01"), "year_to": .string("\(year)-12-31"),
                "columns": .array(RecordColumn.allCases.map { column in
                    ["key": .string(column.rawValue), "title": .string(column.title), "sortable": .bool(column != .actions)]
                }),
                "statuses": .array(RecordStatus.allCases.map { status in
                    ["key": .string(status.rawValue), "title": .string(status.title), "counted": .bool(status.isCounted)]
                })]
    }
}

extension String {
    init(format4 value: Int) {
        let digits = String(value)
        self = String(repeating: "0", count: Swift.max(0, 4 - digits.count)) + digits
    }
}
