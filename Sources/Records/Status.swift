/// A record's certification status (PRODUCT.md, "Status rules"). The rules live here and
/// only here: every service, query and test asks `RecordStatus.evaluate`.
public enum RecordStatus: String, Sendable, CaseIterable, Hashable {
    case failed, booked, pending, certified, expiring, expired, rebooked

    /// The word the portal shows.
    public var title: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }

    /// Counted in the stats bar (Booked and Rebooked are not).
    public var isCounted: Bool {
        switch self {
        case .certified, .expiring, .expired, .pending, .failed: true
        case .booked, .rebooked: false
        }
    }
}

/// The delegate's result on the schedule.
public enum AttendeeResult: String, Sendable, Hashable {
    case pass, fail, none
}

/// Where "Expiring" ends: 31 December of today's year, or today plus a number of days.
public enum ExpiryHorizon: Sendable, Hashable {
    case endOfYear
    case rollingDays(Int)

    public func date(today: CalendarDate) -> CalendarDate {
        switch self {
        case .endOfYear: today.endOfYear
        case .rollingDays(let days): today.adding(days: days)
        }
    }
}

/// What the rules need to know of one record.
public struct StatusFacts: Sendable, Hashable {
    public var result: AttendeeResult
    /// The schedule's last day of training.
    public var completion: CalendarDate
    /// The current certificate (newest version neither replaced nor revoked), if any;
    /// its expiry is nil when it never expires.
    public var currentCertificate: CurrentCertificate?
    /// Another record of the same contact on the same course starts after this one.
    public var rebooked: Bool

    public struct CurrentCertificate: Sendable, Hashable {
        public var expiry: CalendarDate?
        public init(expiry: CalendarDate?) { self.expiry = expiry }
    }

    public init(result: AttendeeResult, completion: CalendarDate,
                currentCertificate: CurrentCertificate?, rebooked: Bool) {
        self.result = result
        self.completion = completion
        self.currentCertificate = currentCertificate
        self.rebooked = rebooked
    }
}

/// One test of a status rule. Each has a Swift meaning (`holds`) and a SQL one (`sql`),
/// side by side, so the rules are written once and evaluated the same way everywhere.
public enum StatusCondition: Sendable, Hashable {
    case resultIsFail
    case completionAfterToday
    case noCurrentCertificate
    case noExpiryOrAfterHorizon
    case expiryOnOrAfterToday
    case rebooked
    case always

    func holds(_ facts: StatusFacts, today: CalendarDate, horizon: CalendarDate) -> Bool {
        switch self {
        case .resultIsFail: facts.result == .fail
        case .completionAfterToday: facts.completion > today
        case .noCurrentCertificate: facts.currentCertificate == nil
        case .noExpiryOrAfterHorizon: facts.currentCertificate.map { $0.expiry.map { $0 > horizon } ?? true } ?? false
        case .expiryOnOrAfterToday: facts.currentCertificate?.expiry.map { $0 >= today } ?? false
        case .rebooked: facts.rebooked
        case .always: true
        }
    }

    /// The condition over the columns of `columns`; `today` and `horizon` are SQL
    /// expressions yielding ISO dates (text).
    func sql(_ columns: StatusColumns, today: String, horizon: String) -> String {
        switch self {
        case .resultIsFail: "\(columns.result) = 'fail'"
        case .completionAfterToday: "\(columns.completion) > \(today)"
        case .noCurrentCertificate: "\(columns.hasCertificate) = 0"
        case .noExpiryOrAfterHorizon: "(\(columns.expiry) IS NULL OR \(columns.expiry) > \(horizon))"
        case .expiryOnOrAfterToday: "\(columns.expiry) >= \(today)"
        case .rebooked: "\(columns.rebooked) <> 0"
        case .always: "1"
        }
    }
}

/// Where a table keeps the facts the rules need: `result` is text (`pass`, `fail` or
/// empty), `completion` and `expiry` ISO dates as text (`expiry` NULL when the current
/// certificate never expires), `hasCertificate` and `rebooked` 0 or 1.
public struct StatusColumns: Sendable, Hashable {
    public var result, completion, hasCertificate, expiry, rebooked: String

    public init(result: String = "result", completion: String = "completion", hasCertificate: String = "has_certificate",
                expiry: String = "expiry", rebooked: String = "rebooked") {
        self.result = result
        self.completion = completion
        self.hasCertificate = hasCertificate
        self.expiry = expiry
        self.rebooked = rebooked
    }
}

extension RecordStatus {
    /// The rules, in PRODUCT.md's order: the first whose condition holds gives the status.
    /// A certificate is valid through its expiry date.
    public static let rules: [(condition: StatusCondition, status: RecordStatus)] = [
        (.resultIsFail, .failed),
        (.completionAfterToday, .booked),
        (.noCurrentCertificate, .pending),
        (.noExpiryOrAfterHorizon, .certified),
        (.expiryOnOrAfterToday, .expiring),
        (.rebooked, .rebooked),
        (.always, .expired),
    ]

    public static func evaluate(_ facts: StatusFacts, today: CalendarDate, horizon: ExpiryHorizon) -> RecordStatus {
        let horizonDate = horizon.date(today: today)
        for rule in rules where rule.condition.holds(facts, today: today, horizon: horizonDate) {
            return rule.status
        }
        preconditionFailure("the last status rule always holds")
    }

    /// The rules as one SQL `CASE` expression yielding the status's raw value, for queries
    /// that filter, count or sort by status in the database.
    public static func sqlCase(_ columns: StatusColumns = StatusColumns(), today: String, horizon: String) -> String {
        var sql = "CASE"
        for rule in rules.dropLast() {
            sql += " WHEN \(rule.condition.sql(columns, today: today, horizon: horizon)) THEN '\(rule.status.rawValue)'"
        }
        return sql + " ELSE '\(rules.last!.status.rawValue)' END"
    }

    /// An issued certificate's expiry: completion plus the course's validity in calendar
    /// months, the day clamped to the month's end; nil (never expires) without a validity.
    public static func issuedExpiry(completion: CalendarDate, validityMonths: Int?) -> CalendarDate? {
        validityMonths.map { completion.adding(months: $0) }
    }
}
