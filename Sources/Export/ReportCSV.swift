internal import CSV
internal import Messages
internal import Records
internal import RecordValues

/// CSV as the portal hands it to people: RFC 4180 (Sources/CSV's writer), UTF-8 with a BOM
/// (so spreadsheet programs read names in every script right), and no cell a spreadsheet
/// would run as a formula.
enum ReportCSV {
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The cell with a leading `'` when it starts like a formula (OWASP's list: `=`, `+`, `-`,
    /// `@`, tab, CR), else as it is. Each is ASCII, so the first UTF-8 byte tells.
    static func neutralised(_ cell: String) -> String {
        if let first = cell.utf8.first, startsFormula(first) { "'" + cell } else { cell }
    }

    /// Whether a cell whose first byte is `byte` starts like a formula.
    static func startsFormula(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), UInt8(ascii: "\t"), UInt8(ascii: "\r"): true
        default: false
        }
    }

    static func appendRow(_ cells: [String], to buffer: inout [UInt8]) {
        CSVWriter.appendRecord(cells.map(neutralised), to: &buffer)
    }

    /// The row's line of the records report: the table's data columns as a person reads
    /// them (`reportText`), neutralised, written straight into the buffer.
    static func appendRecord(_ row: Certportal_Stats_V1_RecordRow, to buffer: inout [UInt8]) {
        for (index, column) in RecordColumn.dataColumns.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            CSVWriter.appendField(neutralised(column.reportText(of: row)), to: &buffer)
        }
        buffer.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
    }

    /// The records report's heading: the table's data columns' titles, in order.
    static var recordsHeader: [String] { RecordColumn.dataColumns.map(\.title) }

    /// The training matrix: contact, organisation, then one column per course; each cell the
    /// contact's best status on that course and its expiry, "Certified (2027-03-31)".
    static func matrixRows(_ matrix: Certportal_Stats_V1_MatrixResponse) -> [[String]] {
        var rows = [["Contact Name", "Organisation"] + matrix.courses.map(\.courseName)]
        for row in matrix.rows {
            var cells = [row.contactName, row.organisationName] + Array(repeating: "", count: matrix.courses.count)
            for cell in row.cells where Int(cell.courseIndex) < matrix.courses.count {
                let status = RecordStatus(rawValue: cell.status)?.title ?? cell.status
                cells[2 + Int(cell.courseIndex)] = cell.expiryDate.isEmpty ? status : "\(status) (\(cell.expiryDate))"
            }
            rows.append(cells)
        }
        return rows
    }
}
