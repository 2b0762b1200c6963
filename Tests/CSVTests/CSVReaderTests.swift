import Testing
import CSV

/// Parses `text` in one chunk.
func parse(_ text: String, maxFieldBytes: Int = 1 << 20) throws -> [CSVRecord] {
    try parse(bytes: Array(text.utf8), chunks: [Array(text.utf8).count], maxFieldBytes: maxFieldBytes)
}

/// Parses `bytes` fed in chunks of the given sizes (the rest as a last chunk).
func parse(bytes: [UInt8], chunks sizes: [Int], maxFieldBytes: Int = 1 << 20) throws -> [CSVRecord] {
    var reader = CSVReader(maxFieldBytes: maxFieldBytes)
    var records: [CSVRecord] = []
    var offset = 0
    for size in sizes {
        let end = min(bytes.count, offset + size)
        try reader.feed(bytes[offset..<end]) { records.append($0) }
        offset = end
    }
    try reader.feed(bytes[offset...]) { records.append($0) }
    try reader.finish { records.append($0) }
    return records
}

func fields(_ records: [CSVRecord]) -> [[String]] { records.map(\.fields) }

func expectError(_ text: String, line: Int, column: Int, reason: String, maxFieldBytes: Int = 1 << 20,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    expectError(bytes: Array(text.utf8), line: line, column: column, reason: reason, maxFieldBytes: maxFieldBytes,
                sourceLocation: sourceLocation)
}

func expectError(bytes: [UInt8], line: Int, column: Int, reason: String, maxFieldBytes: Int = 1 << 20,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    // The same error whether the input comes in one chunk or a byte at a time.
    for sizes in [[bytes.count], Array(repeating: 1, count: bytes.count)] {
        #expect(throws: CSVError(line: line, column: column, reason: reason), sourceLocation: sourceLocation) {
            _ = try parse(bytes: bytes, chunks: sizes, maxFieldBytes: maxFieldBytes)
        }
    }
}

@Suite struct CSVReaderTests {
    @Test func simpleRecords() throws {
        let records = try parse("id,name\n1,Zoë\n2,李雷\n")
        #expect(records == [
            CSVRecord(line: 1, fields: ["id", "name"]),
            CSVRecord(line: 2, fields: ["1", "Zoë"]),
            CSVRecord(line: 3, fields: ["2", "李雷"]),
        ])
    }

    @Test func lastRecordWithoutNewline() throws {
        #expect(fields(try parse("a,b\nc,d")) == [["a", "b"], ["c", "d"]])
        #expect(fields(try parse("a,b\nc,")) == [["a", "b"], ["c", ""]])
        #expect(fields(try parse("a,b\n\"c\"")) == [["a", "b"], ["c"]])
    }

    @Test func emptyFields() throws {
        #expect(fields(try parse(",\n,,x\n\"\",\"\"\n")) == [["", ""], ["", "", "x"], ["", ""]])
        #expect(fields(try parse("a,\n")) == [["a", ""]])
    }

    @Test func quotedFieldsHoldCommasQuotesAndNewlines() throws {
        let text = "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"crlf\r\ninside\",\"\"\"\"\n"
        #expect(fields(try parse(text)) == [["a,b", "say \"hi\"", "two\nlines", "crlf\r\ninside", "\""]])
    }

    @Test func crlfAndLFGiveTheSameRecords() throws {
        let lf = try parse("a,b\n\"c\",d\ne,\"f\"\n")
        let crlf = try parse("a,b\r\n\"c\",d\r\ne,\"f\"\r\n")
        #expect(lf == crlf)
        #expect(fields(lf) == [["a", "b"], ["c", "d"], ["e", "f"]])
    }

    @Test func loneCRIsDataButEndsTheInput() throws {
        #expect(fields(try parse("a\rb,c\n")) == [["a\rb", "c"]])
        #expect(fields(try parse("\rb\n")) == [["\rb"]])
        #expect(fields(try parse("a,b\r")) == [["a", "b"]])
        #expect(fields(try parse("a,\"b\"\r")) == [["a", "b"]])
    }

    @Test func byteOrderMarkIsSkippedOnlyAtTheStart() throws {
        let bom = "\u{FEFF}"
        #expect(fields(try parse(bom + "a,b\n")) == [["a", "b"]])
        #expect(fields(try parse(bom + "\"a\",b\n")) == [["a", "b"]])
        #expect(fields(try parse("a," + bom + "b\n")) == [["a", bom + "b"]])
        // Split inside the mark.
        let bytes = Array((bom + "x\n").utf8)
        for split in 0...bytes.count {
            #expect(fields(try parse(bytes: bytes, chunks: [split])) == [["x"]])
        }
        // Only a mark: no records.
        #expect(try parse(bom).isEmpty)
    }

    @Test func aPartialByteOrderMarkIsDataAndSoInvalidUTF8() {
        #expect(throws: CSVError(line: 1, column: 1, reason: "not valid UTF-8")) {
            _ = try parse(bytes: [0xEF, 0xBB, 0x61, 0x0A], chunks: [1, 1])
        }
        #expect(throws: CSVError(line: 1, column: 1, reason: "not valid UTF-8")) {
            _ = try parse(bytes: [0xEF, 0xBB], chunks: [1])
        }
    }

    @Test func blankLinesAreSkipped() throws {
        let records = try parse("\na,b\n\n\r\nc,d\r\n\n")
        #expect(records == [CSVRecord(line: 2, fields: ["a", "b"]), CSVRecord(line: 5, fields: ["c", "d"])])
        #expect(try parse("").isEmpty)
        #expect(try parse("\n\r\n").isEmpty)
        // A quoted empty field is a record, not a blank line.
        #expect(fields(try parse("\"\"\n")) == [[""]])
    }

    @Test func lineNumbersCountNewlinesInsideQuotedFields() throws {
        let text = "h1,h2\n\"multi\nline\nfield\",x\r\n\n3,\"a\r\nb\"\nlast,row\n"
        #expect(try parse(text).map(\.line) == [1, 2, 6, 8])
    }

    @Test func everyChunkSplitGivesTheSameRecords() throws {
        let text = "\u{FEFF}id,\"name\",note\r\n1,\"Zoë \"\"Z\"\" Ng\",\"a,b\r\nc\"\n\n2,李雷,\"\"\r\n"
            + "3,محمد,x\ry\r\n\"\"\"\",\"\",\r\n4,Łukasz,\"end\"\r"
        let bytes = Array(text.utf8)
        let expected = try parse(bytes: bytes, chunks: [bytes.count])
        #expect(expected == [
            CSVRecord(line: 1, fields: ["id", "name", "note"]),
            CSVRecord(line: 2, fields: ["1", "Zoë \"Z\" Ng", "a,b\r\nc"]),
            CSVRecord(line: 5, fields: ["2", "李雷", ""]),
            CSVRecord(line: 6, fields: ["3", "محمد", "x\ry"]),
            CSVRecord(line: 7, fields: ["\"", "", ""]),
            CSVRecord(line: 8, fields: ["4", "Łukasz", "end"]),
        ])
        for first in 0...bytes.count {
            for second in 0...(bytes.count - first) {
                #expect(try parse(bytes: bytes, chunks: [first, second]) == expected, "split at \(first), \(first + second)")
            }
        }
        #expect(try parse(bytes: bytes, chunks: Array(repeating: 1, count: bytes.count)) == expected)
        #expect(try parse(bytes: bytes, chunks: Array(repeating: 0, count: 3) + [5, 0, 7]) == expected)
    }

    @Test func feedsArraysAndRawMemory() throws {
        let bytes = Array("a,b\nc,d\n".utf8)
        var reader = CSVReader()
        var records: [[String]] = []
        try bytes.withUnsafeBytes { raw in try reader.feed(raw) { records.append($0.fields) } }
        try reader.feed(Array("e,".utf8)) { records.append($0.fields) }
        try reader.feed("f\n".utf8) { records.append($0.fields) }
        try reader.finish { records.append($0.fields) }
        #expect(records == [["a", "b"], ["c", "d"], ["e", "f"]])
    }

    @Test func errorsNameTheLineAndField() {
        expectError("a,b\n\"open,c\nmore", line: 2, column: 1, reason: "unterminated quoted field")
        expectError("a,b\nc,\"x\ny\nz", line: 2, column: 2, reason: "unterminated quoted field")
        expectError("a,b\nc,d\ne,f\"g\n", line: 3, column: 2, reason: "quote inside an unquoted field")
        expectError("a,\"multi\nline\"x,c\n", line: 2, column: 2, reason: "text after a closing quote")
        expectError("a,\"b\" ,c\n", line: 1, column: 2, reason: "text after a closing quote")
        expectError("a,\"b\"\rc\n", line: 1, column: 2, reason: "text after a closing quote")
        expectError(bytes: Array("ok\nx,y,z".utf8) + [0xFF] + [0x0A], line: 2, column: 3, reason: "not valid UTF-8")
        expectError(bytes: Array("ok\n1,\"a\nb".utf8) + [0xFF] + Array("\"\n".utf8),
                    line: 2, column: 2, reason: "not valid UTF-8")
        expectError("ab,cd\n12345,x\n", line: 2, column: 1, reason: "field longer than 4 bytes", maxFieldBytes: 4)
        expectError("ab,\"a\"\"\"\"b\"\n", line: 1, column: 2, reason: "field longer than 3 bytes", maxFieldBytes: 3)  // a""b
        #expect(CSVError(line: 7, column: 3, reason: "quote inside an unquoted field").description
            == "line 7, field 3: quote inside an unquoted field")
    }

    @Test func invalidUTF8BytesAreReported() {
        for bad: [UInt8] in [[0xFF], [0xC3], [0xE6, 0x9D], [0xED, 0xA0, 0x80], [0xC0, 0x80]] {
            let bytes = Array("id,name\n1,".utf8) + bad + Array(",x\n".utf8)
            #expect(throws: CSVError(line: 2, column: 2, reason: "not valid UTF-8")) {
                _ = try parse(bytes: bytes, chunks: [11])
            }
        }
    }

    @Test func aLongFieldIsRefusedBeforeItIsAllBuffered() {
        // 10 MB of one unquoted field in 64 KiB chunks: refused at the first chunk past the limit.
        var reader = CSVReader(maxFieldBytes: 100_000)
        let chunk = [UInt8](repeating: 0x61, count: 65_536)
        var fed = 0
        #expect(throws: CSVError(line: 1, column: 1, reason: "field longer than 100000 bytes")) {
            for _ in 0..<160 {
                try reader.feed(chunk) { _ in }
                fed += 1
            }
        }
        #expect(fed == 1)
    }

    @Test func errorsFromTheBodyPropagateUnchanged() {
        struct Stop: Error, Equatable {}
        var reader = CSVReader()
        var seen = 0
        #expect(throws: Stop()) {
            try reader.feed(Array("a\nb\nc\n".utf8)) { _ in
                seen += 1
                if seen == 2 { throw Stop() }
            }
        }
        #expect(seen == 2)
    }

    @Test func twentyThousandGeneratedRows() throws {
        var buffer: [UInt8] = []
        CSVWriter.appendRecord((1...17).map { "column_\($0)" }, to: &buffer)
        for row in 1...20_000 {
            let fields = (1...17).map { column in
                switch column % 4 {
                case 0: "\(row * column)"
                case 1: "Name \(row), \"quoted\""
                case 2: "Zoë 李雷 \(row)"
                default: row % 10 == 0 ? "" : "plain"
                }
            }
            CSVWriter.appendRecord(fields, to: &buffer)
        }
        var reader = CSVReader()
        var count = 0
        var last: CSVRecord?
        var offset = 0
        while offset < buffer.count {
            let end = min(buffer.count, offset + 65_536)
            try reader.feed(buffer[offset..<end]) { record in
                #expect(record.fields.count == 17)
                count += 1
                last = record
            }
            offset = end
        }
        try reader.finish { _ in count += 1 }
        #expect(count == 20_001)
        #expect(last?.line == 20_001)
        #expect(last?.fields[0] == "Name 20000, \"quoted\"")
        #expect(last?.fields[1] == "Zoë 李雷 20000")
    }
}
