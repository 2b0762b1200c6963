@testable import Export
import CSV
import Messages
import RecordValues
import Records
import Testing

@Suite struct ReportCSVTests {
    @Test func cellsThatStartLikeAFormulaGetALeadingQuote() {
        for cell in ["=1+2", "+44 20", "-5", "@SUM(A1)", "\tx", "\rx", "\r\nx", "=HYPERLINK(\"http://x\")"] {
            #expect(ReportCSV.neutralised(cell) == "'" + cell)
        }
        for cell in ["", "Zoë", "1-2", "a=b", " =x", "'quoted", "\u{FF1D}1+2", "é=1"] {
            #expect(ReportCSV.neutralised(cell) == cell)
        }
    }

    /// A ListRecords page written straight from its wire bytes gives the same CSV as its
    /// rows decoded by the generated code and written one by one.
    @Test func aPageWrittenFromItsWireBytesEqualsItsDecodedRowsWritten() throws {
        var page = Certportal_Stats_V1_RecordPage()
        page.total = 99
        page.nextCursor = "cursor-1"
        let names = ["Zoë 李雷 محمد", "=cmd|' /C calc'!A0", "Org, \"A\"", "\tTabbed\r\nline ", " spaced", "", "-5", "@x", "plain"]
        for (index, status) in (RecordStatus.allCases.map(\.rawValue) + ["unknown", ""]).enumerated() {
            var row = Certportal_Stats_V1_RecordRow()
            row.recordId = UInt64(index + 1)
            row.bookingId = "BK-\(index)"
            row.contactName = names[index % names.count]
            row.organisationName = names[(index + 1) % names.count]
            row.bookerName = names[(index + 2) % names.count]
            row.courseName = names[(index + 3) % names.count]
            row.scheduleId = "SCH-\(index)"
            row.status = status
            row.start = index % 3 == 0 ? "" : "2026-03-02T09:00"
            row.completionDate = "2026-03-02"
            row.expiryDate = index % 2 == 0 ? "" : "2026-12-31"
            row.certificateUpdated = index % 2 == 0
            row.certType = ["internal", "external", "", "écrit", "x"][index % 5]
            row.outstanding = index % 3 == 0
            row.shared = index % 4 == 0
            row.result = ["none", "pass", "fail", ""][index % 4]
            row.hasCertificate = true
            row.bookingUrl = "https://example.com/\(index)"
            page.records.append(row)
        }
        var expected: [UInt8] = []
        for row in page.records { ReportCSV.appendRecord(row, to: &expected) }
        let encoded = EncodedMessage<Certportal_Stats_V1_RecordPage>(bytes: page.serializedBytes())
        var written: [UInt8] = []
        try ReportCSV.appendRecords(ofPage: encoded, to: &written)
        #expect(written == expected)
        let info = try RecordPageInfo(encoded)
        #expect(info.total == 99 && info.nextCursor == "cursor-1" && info.rows == page.records.count)
    }

    @Test func aPageWithACellThatIsNotUTF8IsAnError() {
        var row: [UInt8] = [0x22, 2, 0xC3, 0x28]  // RecordRow.contact_name (field 4): bad UTF-8
        row.insert(contentsOf: [0x1A, UInt8(row.count)], at: 0)  // RecordPage.records (field 3)
        #expect(throws: ProtoDecodingError.self) {
            var buffer: [UInt8] = []
            try ReportCSV.appendRecords(ofPage: EncodedMessage(bytes: row), to: &buffer)
        }
    }

    @Test func aRecordRowIsWrittenInTheTablesColumnsAndReadsBack() throws {
        var row = Certportal_Stats_V1_RecordRow()
        row.bookingId = "BK-1"
        row.contactName = "=cmd|' /C calc'!A0"
        row.organisationName = "Org, \"A\""
        row.bookerName = "Booker"
        row.courseName = "First Aid"
        row.scheduleId = "SCH-1"
        row.status = "expiring"
        row.start = "2026-03-02T09:00"
        row.completionDate = "2026-03-02"
        row.expiryDate = "2026-12-31"
        row.certificateUpdated = true
        row.certType = "internal"
        row.outstanding = false
        row.shared = true
        row.result = "none"
        var buffer: [UInt8] = []
        ReportCSV.appendRow(ReportCSV.recordsHeader, to: &buffer)
        ReportCSV.appendRecord(row, to: &buffer)
        row.contactName = "\tTabbed \"name\"\r\nsecond line "
        row.bookerName = " spaced"
        ReportCSV.appendRecord(row, to: &buffer)
        var reader = CSVReader()
        var records: [[String]] = []
        try reader.feed(buffer) { records.append($0.fields) }
        try reader.finish { records.append($0.fields) }
        #expect(records.first == RecordColumn.dataColumns.map(\.title))
        #expect(records.count == 3)
        #expect(records.last?[1] == "'\tTabbed \"name\"\r\nsecond line " && records.last?[3] == " spaced")
        #expect(records[1] == ["BK-1", "'=cmd|' /C calc'!A0", "Org, \"A\"", "Booker", "First Aid", "SCH-1", "Expiring",
                                 "2026-03-02T09:00", "2026-03-02", "2026-12-31", "Yes", "Internal", "No", "Yes", ""])
    }

    @Test func theMatrixCellsAreStatusAndExpiry() {
        var matrix = Certportal_Stats_V1_MatrixResponse()
        var course = Certportal_Stats_V1_MatrixCourse()
        course.courseName = "First Aid"
        matrix.courses = [course, course]
        var row = Certportal_Stats_V1_MatrixRow()
        row.contactName = "Zoë"
        row.organisationName = "Org A"
        var cell = Certportal_Stats_V1_MatrixCell()
        cell.courseIndex = 1
        cell.status = "certified"
        cell.expiryDate = "2027-03-31"
        row.cells = [cell]
        matrix.rows = [row]
        #expect(ReportCSV.matrixRows(matrix) == [["Contact Name", "Organisation", "First Aid", "First Aid"],
                                                 ["Zoë", "Org A", "", "Certified (2027-03-31)"]])
    }
}
