import Testing
import CSV

@Suite struct CSVWriterTests {
    func written(_ fields: [String]) -> String {
        var buffer: [UInt8] = []
        CSVWriter.appendRecord(fields, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test func quotesOnlyWhenNeeded() {
        #expect(written(["a", "b c", "", "Zoë"]) == "a,b c,,Zoë\r\n")
        #expect(written(["a,b", "say \"hi\"", "x\ny", "x\ry", " lead", "trail ", "\ttab"])
            == "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",\"x\ry\",\" lead\",\"trail \",\"\ttab\"\r\n")
        #expect(written(["\""]) == "\"\"\"\"\r\n")
    }

    @Test func aSingleEmptyFieldIsNotABlankLine() throws {
        #expect(written([""]) == "\"\"\r\n")
        #expect(fields(try parse(written([""]))) == [[""]])
    }

    @Test func hostileStringsRoundTrip() throws {
        let hostile = [
            "", " ", "\"", "\"\"", ",", "\r", "\n", "\r\n", "a\"b", "\"quoted\"", "trailing,", ",leading",
            "Zoë", "李雷", "محمد", "Łukasz Żółć", "Γιώργος", "Иван", "राहुल", "佐藤花子", "👩🏽‍🔬", "O'Brien",
            "multi\nline\r\nfield \"with\" quotes, and commas", "\u{FEFF}mark", " spaced ", "\t",
        ]
        var records: [[String]] = [hostile, hostile.reversed(), [""], ["only"], hostile.map { $0 + $0 }]
        for (index, value) in hostile.enumerated() {
            records.append([value, String(index), value])
        }
        var buffer: [UInt8] = []
        for record in records { CSVWriter.appendRecord(record, to: &buffer) }
        #expect(fields(try parse(bytes: buffer, chunks: [buffer.count])) == records)
        #expect(fields(try parse(bytes: buffer, chunks: Array(repeating: 3, count: buffer.count / 3))) == records)
    }
}
