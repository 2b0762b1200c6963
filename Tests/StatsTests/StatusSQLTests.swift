import Testing
import Records
import Storage

/// The status rules are written once (RecordStatus.rules); their SQL rendering must agree
/// with the Swift evaluation for every combination of facts, at every edge.
@Suite struct StatusSQLTests {
    @Test func sqlCaseAgreesWithEvaluateOnEveryCombination() throws {
        let db = try Database(path: ":memory:")
        let today = CalendarDate(iso: "2026-12-31")!
        let dates = ["2024-02-29", "2026-12-30", "2026-12-31", "2027-01-01", "2027-02-28"]
        for horizon in [ExpiryHorizon.endOfYear, .rollingDays(30)] {
            let sql = RecordStatus.sqlCase(today: "'\(today)'", horizon: "'\(horizon.date(today: today))'")
            let statement = try db.prepare("SELECT \(sql) FROM (SELECT ? AS result, ? AS completion, ? AS has_certificate, ? AS expiry, ? AS rebooked)")
            for result in [AttendeeResult.pass, .fail, .none] {
                for completion in dates {
                    for certificate in [nil, "never"] + dates {
                        for rebooked in [false, true] {
                            let current: StatusFacts.CurrentCertificate? = certificate.map { .init(expiry: $0 == "never" ? nil : CalendarDate(iso: $0)) }
                            let facts = StatusFacts(result: result, completion: CalendarDate(iso: completion)!,
                                                    currentCertificate: current, rebooked: rebooked)
                            let expected = RecordStatus.evaluate(facts, today: today, horizon: horizon)
                            try statement.bind([result == .none ? "" : result.rawValue, completion, certificate != nil,
                                                certificate == "never" ? nil : certificate, rebooked])
                            #expect(try statement.step())
                            #expect(statement.row.string(at: 0) == expected.rawValue,
                                    "\(result) \(completion) \(certificate ?? "none") \(rebooked) \(horizon)")
                            try statement.reset()
                        }
                    }
                }
            }
        }
    }
}
