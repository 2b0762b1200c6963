/// One record of a CSV file: its fields, and the line it starts on.
public struct CSVRecord: Sendable, Equatable {
    /// 1-based line number of the line on which this record starts (a quoted field with
    /// newlines spans lines; the header is line 1).
    public var line: Int
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// Malformed CSV: where (line and field) and why.
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line where the problem is (for a quoted field, the line its opening quote is on).
    public var line: Int
    /// 1-based index of the field within its record.
    public var column: Int
    public var reason: String

    public init(line: Int, column: Int, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// "line 7, field 3: quote inside an unquoted field"
    public var description: String { "line \(line), field \(column): \(reason)" }
}

extension CSVError {
    static let unterminatedQuote = "unterminated quoted field"
    static let quoteInUnquotedField = "quote inside an unquoted field"
    static let textAfterClosingQuote = "text after a closing quote"
    static let invalidUTF8 = "not valid UTF-8"
    static func fieldTooLong(_ limit: Int) -> String { "field longer than \(limit) bytes" }
}
