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
