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

extension RecordStatus {
    /// The rules, in PRODUCT.md's order. A certificate is valid through its expiry date.
    public static func evaluate(_ facts: StatusFacts, today: CalendarDate, horizon: ExpiryHorizon) -> RecordStatus {
        if facts.result == .fail { return .failed }
        if facts.completion > today { return .booked }
        guard let certificate = facts.currentCertificate else { return .pending }
        guard let expiry = certificate.expiry else { return .certified }
        if expiry > horizon.date(today: today) { return .certified }
        if expiry >= today { return .expiring }
        return facts.rebooked ? .rebooked : .expired
    }

    /// An issued certificate's expiry: completion plus the course's validity in calendar
    /// months, the day clamped to the month's end; nil (never expires) without a validity.
    public static func issuedExpiry(completion: CalendarDate, validityMonths: Int?) -> CalendarDate? {
        validityMonths.map { completion.adding(months: $0) }
    }
}
