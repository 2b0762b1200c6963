public import Foundation

/// A calendar date in the provider's time zone: what every status rule compares. No time
/// of day, so "expires on the 31st" means valid through the 31st.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// nil when the day does not exist (2026-02-29, 2026-13-01).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...Self.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD` exactly (ASCII digits; imports parse millions, so bytes, not
    /// Characters).
    public init?(iso text: some StringProtocol) {
        var digits: (Int, Int, Int) = (0, 0, 0)
        var index = 0
        for byte in text.utf8 {
            switch index {
            case 4, 7:
                guard byte == UInt8(ascii: "-") else { return nil }
            case 0..<10:
                guard byte >= 48 && byte <= 57 else { return nil }
                let digit = Int(byte - 48)
                if index < 4 { digits.0 = digits.0 * 10 + digit } else if index < 7 { digits.1 = digits.1 * 10 + digit } else { digits.2 = digits.2 * 10 + digit }
            default:
                return nil
            }
            index += 1
        }
        guard index == 10 else { return nil }
        self.init(year: digits.0, month: digits.1, day: digits.2)
    }

    /// The date an instant falls on in `timeZone`.
    public init(_ instant: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        self.year = parts.year!
        self.month = parts.month!
        self.day = parts.day!
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Calendar months later, the day clamped to the month's end (31 Jan + 1 = 28/29 Feb).
    public func adding(months: Int) -> CalendarDate {
        let index = year * 12 + (month - 1) + months
        let newYear = index / 12, newMonth = index % 12 + 1
        return CalendarDate(year: newYear, month: newMonth, day: min(day, Self.daysIn(month: newMonth, year: newYear)))!
    }

    /// Days since 1970-01-01 (proleptic Gregorian), for day arithmetic.
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let d = dayOfYear - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yearOfEra + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    public func adding(days: Int) -> CalendarDate { CalendarDate(dayNumber: dayNumber + days) }

    /// 31 December of this date's year.
    public var endOfYear: CalendarDate { CalendarDate(year: year, month: 12, day: 31)! }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July",
                             "August", "September", "October", "November", "December"]

    /// "2 March 2026", as certificates and e-mails print dates.
    public var readable: String { "\(day) \(Self.monthNames[month - 1]) \(year)" }

    /// An ISO date readably; anything else as it is.
    public static func readable(_ iso: String) -> String { CalendarDate(iso: iso)?.readable ?? iso }
}
