public import Foundation

/// The date the rules run on, and where Expiring ends.
public struct StatusClock: Sendable {
    /// Pinned (tests, demos) or nil: the calendar date now in `timeZone`.
    public var pinnedToday: CalendarDate?
    public var timeZone: TimeZone
    public var horizon: ExpiryHorizon

    public init(pinnedToday: CalendarDate? = nil, timeZone: TimeZone = TimeZone(identifier: "Europe/London")!,
                horizon: ExpiryHorizon = .endOfYear) {
        self.pinnedToday = pinnedToday
        self.timeZone = timeZone
        self.horizon = horizon
    }

    public var today: CalendarDate { pinnedToday ?? CalendarDate(Date(), in: timeZone) }
}
