import Testing
@testable import Catalog

@Suite struct LocalDateTimeTests {
    @Test func acceptsRealLocalDateTimesInTheYearsAllowedAndDropsZeroSeconds() {
        let cases: [(String, String?)] = [
            ("2026-03-02T09:00", "2026-03-02T09:00"),
            ("2026-03-02T09:00:00", "2026-03-02T09:00"),
            ("2026-03-02T09:00:30", "2026-03-02T09:00:30"),
            ("2024-02-29T23:59:59", "2024-02-29T23:59:59"),
            ("1900-01-01T00:00", "1900-01-01T00:00"),
            ("2199-12-31T23:59", "2199-12-31T23:59"),
            ("2025-02-29T09:00", nil), ("2026-02-30T09:00", nil), ("2026-13-01T09:00", nil),
            ("1899-12-31T09:00", nil), ("2200-01-01T09:00", nil), ("2026-03-02T24:00", nil),
            ("2026-03-02T09:60", nil), ("2026-03-02T09:00:60", nil), ("2026-03-02 09:00", nil),
            ("2026-03-02T09-00", nil), ("2026/03/02T09:00", nil), ("2026-03-02T09:00:0", nil),
            ("2026-03-02T09:00Z", nil), ("2026-3-02T09:00:00", nil), ("２026-03-02T09:00", nil), ("", nil),
        ]
        for (text, expected) in cases {
            #expect(LocalDateTime(text)?.text == expected, "\(text)")
        }
        #expect(LocalDateTime("2026-03-02T09:00")! < LocalDateTime("2026-03-02T09:00:01")!)
    }
}
