public import Records

/// What to generate: how many records, from which seed, around which "today".
public struct DemoDataPlan: Sendable {
    /// Number of data rows.
    public var records: Int
    public var seed: UInt64
    /// The "today" the data is shaped around: results only for schedules finished by then,
    /// bookings up to about six months after it.
    public var today: CalendarDate
    /// Schedules spread from 1 January of (today.year - years + 1) up to about six months after today.
    public var years: Int = 4

    public init(records: Int, seed: UInt64 = 1, today: CalendarDate) {
        self.records = records
        self.seed = seed
        self.today = today
    }
}

/// A deterministic, realistic generator of records-import CSV files (PRODUCT.md, "Records
/// import"): the same plan always gives the same bytes.
public enum DemoData {
    /// The import file's columns, in the order written.
    public static let header: [String] = Column.allCases.map(\.name)

    /// The organisation the demo org rep is tied to; it owns a good share of every plan's records.
    public static let demoOrganisationID = "ORG-0001"
    /// The booker the demo booker login is tied to: books for `demoOrganisationID`, alongside
    /// that organisation's other bookers.
    public static let demoBookerID = "BKR-0001"

    /// Writes header + rows as CSV bytes to `sink` in chunks of roughly 64 KiB, holding only
    /// the current chunk (and the plan's organisations and schedules), never all rows.
    public static func generate(_ plan: DemoDataPlan, sink: (ArraySlice<UInt8>) throws -> Void) rethrows {
        var generator = DemoDataGenerator(plan)
        while let chunk = generator.nextChunk() {
            try sink(chunk)
        }
    }
}

/// The import file's columns: the one table of them.
enum Column: Int, CaseIterable {
    case bookingID, organisationID, organisationName, bookerID, bookerName, bookerEmail
    case contactID, contactName, contactEmail, courseID, courseName, validityMonths
    case scheduleID, scheduleStart, scheduleEnd, result, outstanding

    var name: String {
        switch self {
        case .bookingID: "booking_id"
        case .organisationID: "organisation_id"
        case .organisationName: "organisation_name"
        case .bookerID: "booker_id"
        case .bookerName: "booker_name"
        case .bookerEmail: "booker_email"
        case .contactID: "contact_id"
        case .contactName: "contact_name"
        case .contactEmail: "contact_email"
        case .courseID: "course_id"
        case .courseName: "course_name"
        case .validityMonths: "validity_months"
        case .scheduleID: "schedule_id"
        case .scheduleStart: "schedule_start"
        case .scheduleEnd: "schedule_end"
        case .result: "result"
        case .outstanding: "outstanding"
        }
    }
}
