internal import CSV
internal import Messages
internal import Records
internal import RecordValues

/// What a ListRecords page says besides its rows, read from its wire bytes.
struct RecordPageInfo {
    var total: UInt64 = 0
    var nextCursor = ""
    var rows = 0

    /// The page's top-level fields (stats.proto's RecordPage); rows are counted, not read.
    init(_ page: EncodedMessage<Certportal_Stats_V1_RecordPage>) throws(ProtoDecodingError) {
        let result = page.bytes.withUnsafeBytes { raw in
            Result { () throws(ProtoDecodingError) -> RecordPageInfo in try RecordPageInfo(raw) }
        }
        self = try result.get()
    }

    private init(_ bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError) {
        var reader = ProtoWire.Reader(bytes, messageName: Certportal_Stats_V1_RecordPage.protoMessageName)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (2, .varint(let total)): self.total = total
            case (3, .bytes): rows += 1
            case (4, .bytes(let cursor)):
                guard let text = String(validating: cursor, as: UTF8.self) else {
                    throw ProtoDecodingError(messageName: Certportal_Stats_V1_RecordPage.protoMessageName, reason: "next_cursor is not UTF-8")
                }
                nextCursor = text
            default: break
            }
        }
    }
}

extension ReportCSV {
    /// The data columns with the RecordRow field each shows.
    private static let reportColumns = RecordColumn.dataColumns.map { (field: Int($0.rowField ?? 0), column: $0) }
    /// A slot for every RecordRow field number up to the last a column shows.
    private static let fieldSlots = (reportColumns.map(\.field).max() ?? 0) + 1

    /// The page's rows as `appendRecord` writes them, read straight from ListRecords' wire
    /// bytes into cells, without a RecordRow or a String per cell (a test holds the two to
    /// the same output). Throws when the bytes are not a RecordPage or a cell not UTF-8.
    static func appendRecords(ofPage page: EncodedMessage<Certportal_Stats_V1_RecordPage>, to buffer: inout [UInt8]) throws(ProtoDecodingError) {
        let result = page.bytes.withUnsafeBytes { raw in
            Result { () throws(ProtoDecodingError) in try appendRecords(raw, to: &buffer) }
        }
        try result.get()
    }

    private static func appendRecords(_ page: UnsafeRawBufferPointer, to buffer: inout [UInt8]) throws(ProtoDecodingError) {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        var texts = [UnsafeRawBufferPointer](repeating: empty, count: fieldSlots)
        var flags = [Bool](repeating: false, count: fieldSlots)
        var cell: [UInt8] = []
        var pageReader = ProtoWire.Reader(page, messageName: Certportal_Stats_V1_RecordPage.protoMessageName)
        while let (field, value) = try pageReader.next() {
            guard field == 3, case .bytes(let row) = value else { continue }
            for index in texts.indices {
                texts[index] = empty
                flags[index] = false
            }
            var reader = ProtoWire.Reader(row, messageName: Certportal_Stats_V1_RecordRow.protoMessageName)
            while let (field, value) = try reader.next() {
                guard field < fieldSlots else { continue }
                switch value {
                case .bytes(let bytes): texts[Int(field)] = bytes
                case .varint(let number): flags[Int(field)] = number != 0
                }
            }
            for (index, (field, column)) in reportColumns.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                cell.removeAll(keepingCapacity: true)
                column.appendReportText(text: texts[field], flag: flags[field], to: &cell)
                if cell.contains(where: { $0 >= 0x80 }), String(validating: cell, as: UTF8.self) == nil {
                    throw ProtoDecodingError(messageName: Certportal_Stats_V1_RecordRow.protoMessageName, reason: "field \(field) is not UTF-8")
                }
                if let first = cell.first, startsFormula(first) { cell.insert(UInt8(ascii: "'"), at: 0) }
                cell.withUnsafeBufferPointer { CSVWriter.appendField(bytes: $0, to: &buffer) }
            }
            buffer.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
        }
    }
}
