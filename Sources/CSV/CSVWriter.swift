/// Writes RFC 4180 records.
public enum CSVWriter {
    /// Appends one RFC 4180 record terminated by CRLF; quotes a field when it contains a
    /// comma, quote, CR or LF, or starts or ends with a space or tab (so a reader that trims
    /// can't change it), doubling quotes. A record of one empty field is written `""` so it
    /// isn't read back as a blank line; a record of no fields is a bare CRLF, which
    /// `CSVReader` skips.
    public static func appendRecord(_ fields: [String], to buffer: inout [UInt8]) {
        if fields.count == 1, fields[0].isEmpty {
            buffer.append(contentsOf: [ASCII.quote, ASCII.quote, ASCII.cr, ASCII.lf])
            return
        }
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(ASCII.comma) }
            appendField(field, to: &buffer)
        }
        buffer.append(ASCII.cr)
        buffer.append(ASCII.lf)
    }

    /// Appends one field, quoted as `appendRecord` quotes it; the caller writes the commas
    /// between fields and the CRLF after the last.
    public static func appendField(_ field: String, to buffer: inout [UInt8]) {
        var field = field
        field.withUTF8 { appendField(bytes: $0, to: &buffer) }
    }

    /// The same for a field's UTF-8 bytes.
    public static func appendField(bytes: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) {
        guard needsQuotes(bytes) else {
            buffer.append(contentsOf: bytes)
            return
        }
        buffer.append(ASCII.quote)
        var start = 0
        for index in bytes.indices where bytes[index] == ASCII.quote {
            // Copy through the quote, then write it a second time.
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...index]))
            buffer.append(ASCII.quote)
            start = index + 1
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        buffer.append(ASCII.quote)
    }

    private static func needsQuotes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        if first == ASCII.space || first == ASCII.tab || last == ASCII.space || last == ASCII.tab { return true }
        for byte in bytes where byte <= ASCII.comma {
            if byte == ASCII.comma || byte == ASCII.quote || byte == ASCII.cr || byte == ASCII.lf { return true }
        }
        return false
    }
}

/// The bytes the CSV grammar cares about.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let comma: UInt8 = 0x2C
}
