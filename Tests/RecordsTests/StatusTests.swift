import Foundation
import Testing
import Records

func date(_ text: String) -> CalendarDate { CalendarDate(iso: text)! }

func facts(result: AttendeeResult = .pass, completion: String, expiry: String?? = .none, rebooked: Bool = false) -> StatusFacts {
    let certificate: StatusFacts.CurrentCertificate? = switch expiry {
    case .none: nil                                   // no current certificate
    case .some(let value): .init(expiry: value.map(date))  // nil inside: never expires
    }
    return StatusFacts(result: result, completion: date(completion), currentCertificate: certificate, rebooked: rebooked)
}

@Suite struct CalendarDateTests {
    @Test func parsesOnlyRealIsoDates() {
        #expect(CalendarDate(iso: "2024-02-29") != nil)
        #expect(CalendarDate(iso: "2026-02-29") == nil)
        #expect(CalendarDate(iso: "2026-13-01") == nil)
        #expect(CalendarDate(iso: "2026-1-01") == nil)
        #expect(CalendarDate(iso: "26-01-01") == nil)
        #expect(CalendarDate(iso: "2026-01-01T00:00") == nil)
        #expect(date("2026-03-02").description == "2026-03-02")
    }

    @Test func addingMonthsClampsToTheMonthsEnd() {
        #expect(date("2026-01-31").adding(months: 1) == date("2026-02-28"))
        #expect(date("2028-01-31").adding(months: 1) == date("2028-02-29"))
        #expect(date("2024-02-29").adding(months: 12) == date("2025-02-28"))
        #expect(date("2024-02-29").adding(months: 48) == date("2028-02-29"))
        #expect(date("2026-08-31").adding(months: 1) == date("2026-09-30"))
        #expect(date("2026-11-15").adding(months: 3) == date("2027-02-15"))
        #expect(date("2026-03-31").adding(months: -1) == date("2026-02-28"))
    }

    @Test func dayArithmeticCrossesYearsAndLeapDays() {
        #expect(date("2026-12-31").adding(days: 1) == date("2027-01-01"))
        #expect(date("2028-02-28").adding(days: 1) == date("2028-02-29"))
        #expect(date("2026-02-28").adding(days: 1) == date("2026-03-01"))
        #expect(date("1970-01-01").dayNumber == 0)
        for text in ["1999-12-31", "2000-02-29", "2026-06-15", "2100-03-01"] {
            #expect(CalendarDate(dayNumber: date(text).dayNumber) == date(text))
        }
    }

    @Test func theDayOfAnInstantDependsOnTheTimeZone() throws {
        let london = try #require(TimeZone(identifier: "Europe/London"))
        // 23:30 UTC in winter (GMT) is still the same day in London…
        let winter = try #require(ISO8601DateFormatter().date(from: "2026-01-15T23:30:00Z"))
        #expect(CalendarDate(winter, in: london) == date("2026-01-15"))
        // …but in summer (BST, UTC+1) it is already the next day.
        let summer = try #require(ISO8601DateFormatter().date(from: "2026-06-30T23:30:00Z"))
        #expect(CalendarDate(summer, in: london) == date("2026-07-01"))
        #expect(CalendarDate(summer, in: TimeZone(identifier: "UTC")!) == date("2026-06-30"))
    }
}

@Suite struct StatusRuleTests {
    let today = date("2026-12-03")

    func status(_ facts: StatusFacts, today: String? = nil, horizon: ExpiryHorizon = .endOfYear) -> RecordStatus {
        RecordStatus.evaluate(facts, today: today.map(date) ?? self.today, horizon: horizon)
    }

    @Test func failedWinsOverEverything() {
        #expect(status(facts(result: .fail, completion: "2026-05-01")) == .failed)
        #expect(status(facts(result: .fail, completion: "2027-05-01")) == .failed)
        #expect(status(facts(result: .fail, completion: "2026-05-01", expiry: .some(date("2029-01-01").description))) == .failed)
    }

    @Test func aScheduleThatHasNotFinishedIsBooked() {
        #expect(status(facts(completion: "2026-12-04")) == .booked)
        // The last day of training is today: finished.
        #expect(status(facts(completion: "2026-12-03")) == .pending)
        #expect(!RecordStatus.booked.isCounted)
    }

    @Test func finishedWithoutACurrentCertificateIsPending() {
        #expect(status(facts(completion: "2026-01-10")) == .pending)
        #expect(status(facts(result: .none, completion: "2026-01-10")) == .pending)
    }

    @Test func noExpiryOrBeyondTheHorizonIsCertified() {
        #expect(status(facts(completion: "2020-01-10", expiry: .some(nil))) == .certified)
        #expect(status(facts(completion: "2026-01-10", expiry: "2027-01-01")) == .certified)
    }

    @Test func theHorizonIs31DecemberInclusive() {
        #expect(status(facts(completion: "2026-01-10", expiry: "2026-12-31")) == .expiring)
        #expect(status(facts(completion: "2026-01-10", expiry: "2027-01-01")) == .certified)
        // On 31 December itself the horizon is that day.
        #expect(status(facts(completion: "2026-01-10", expiry: "2026-12-31"), today: "2026-12-31") == .expiring)
        #expect(status(facts(completion: "2026-01-10", expiry: "2027-01-01"), today: "2026-12-31") == .certified)
        // On 1 January the horizon moves a year on.
        #expect(status(facts(completion: "2026-01-10", expiry: "2027-12-31"), today: "2027-01-01") == .expiring)
    }

    @Test func aCertificateIsValidThroughItsExpiryDate() {
        #expect(status(facts(completion: "2025-12-03", expiry: "2026-12-03")) == .expiring)
        #expect(status(facts(completion: "2025-12-02", expiry: "2026-12-02")) == .expired)
    }

    @Test func expiredUnlessRebooked() {
        #expect(status(facts(completion: "2023-05-01", expiry: "2026-05-01")) == .expired)
        #expect(status(facts(completion: "2023-05-01", expiry: "2026-05-01", rebooked: true)) == .rebooked)
        #expect(!RecordStatus.rebooked.isCounted)
        // Re-booking does not matter while the certificate is still valid.
        #expect(status(facts(completion: "2025-05-01", expiry: "2026-12-20", rebooked: true)) == .expiring)
    }

    @Test func aRollingHorizonCountsDaysFromToday() {
        let horizon = ExpiryHorizon.rollingDays(90)
        #expect(horizon.date(today: today) == date("2027-03-03"))
        #expect(status(facts(completion: "2024-03-03", expiry: "2027-03-03"), horizon: horizon) == .expiring)
        #expect(status(facts(completion: "2024-03-04", expiry: "2027-03-04"), horizon: horizon) == .certified)
    }

    @Test func issuedExpiryIsCompletionPlusValidityClamped() {
        #expect(RecordStatus.issuedExpiry(completion: date("2026-08-31"), validityMonths: 6) == date("2027-02-28"))
        #expect(RecordStatus.issuedExpiry(completion: date("2024-02-29"), validityMonths: 36) == date("2027-02-28"))
        #expect(RecordStatus.issuedExpiry(completion: date("2026-03-02"), validityMonths: nil) == nil)
    }

    @Test func aFailedDelegateWithALaterPassHasTwoRecords() {
        // Each record is judged on its own: the failed attempt stays Failed, the later
        // pass with its certificate is Certified.
        let failed = facts(result: .fail, completion: "2026-02-01", rebooked: true)
        let passed = facts(result: .pass, completion: "2026-04-01", expiry: "2029-04-01")
        #expect(status(failed) == .failed)
        #expect(status(passed) == .certified)
    }

    @Test func titlesAreThePortalsWords() {
        #expect(RecordStatus.allCases.map(\.title) == ["Failed", "Booked", "Pending", "Certified", "Expiring", "Expired", "Rebooked"])
    }
}
