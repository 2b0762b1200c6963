import Messages
import RecordValues
import Records
import Testing

@Suite struct RecordValueTests {
    static let row = {
        var row = Certportal_Stats_V1_RecordRow()
        row.bookingId = "BK-1"
        row.contactName = "Zoë"
        row.organisationName = "Org A"
        row.bookerName = "Booker"
        row.courseName = "First Aid"
        row.scheduleId = "SCH-1"
        row.status = "certified"
        row.start = "2026-03-02T09:00"
        row.completionDate = "2026-03-02"
        row.expiryDate = ""
        row.certificateUpdated = false
        row.certType = "external"
        row.outstanding = true
        row.shared = false
        row.result = "pass"
        return row
    }()

    @Test func everyColumnHasItsValue() {
        let values = RecordColumn.allCases.map { $0.value(of: Self.row) }
        #expect(values == [.text("BK-1"), .text("Zoë"), .text("Org A"), .text("Booker"), .text("First Aid"), .text("SCH-1"),
                           .text("certified"), .optionalText("2026-03-02T09:00"), .optionalText("2026-03-02"), .optionalText(""),
                           .flag(false), .optionalText("external"), .flag(true), .flag(false), .optionalText("pass"), .none])
    }

    @Test func aReportShowsTitlesAndYesNo() {
        #expect(RecordColumn.dataColumns.map { $0.reportText(of: Self.row) } == [
            "BK-1", "Zoë", "Org A", "Booker", "First Aid", "SCH-1", "Certified", "2026-03-02T09:00", "2026-03-02", "",
            "No", "External", "Yes", "No", "Pass",
        ])
        var none = Self.row
        none.result = "none"
        #expect(RecordColumn.passFail.value(of: none) == .optionalText(""))
    }
}
