/// The syntax of a page's content stream, checked the way `qpdf --check` parses pages (qpdf's C
/// API can fetch a page's content but not parse it): strings, hex strings, arrays and
/// dictionaries closed and nested properly, no stray braces, inline images ended by EI.
/// Operators and their operands are not checked, as qpdf does not check them either. Words
/// (operators) inside an array or dictionary are let through, as qpdf lets them through.
enum ContentStreamSyntax {
    /// Why the content is malformed, with the byte offset, or nil when it parses.
    static func problem(in content: [UInt8]) -> String? {
        var index = 0
        var open: [(container: UInt8, offset: Int, count: Int)] = []  // "[" or "<", items so far
        let end = content.count

        func item() {
            if !open.isEmpty { open[open.count - 1].count += 1 }
        }

        while index < end {
            let byte = content[index]
            let start = index
            switch byte {
            case _ where isWhitespace(byte):
                index += 1
            case UInt8(ascii: "%"):
                while index < end, content[index] != 0x0A, content[index] != 0x0D { index += 1 }
            case UInt8(ascii: "("):
                var depth = 0
                while true {
                    guard index < end else { return "a string that is never closed (at byte \(start))" }
                    let character = content[index]
                    index += 1
                    if character == UInt8(ascii: "\\") {
                        index += 1
                    } else if character == UInt8(ascii: "(") {
                        depth += 1
                    } else if character == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                }
                item()
            case UInt8(ascii: "<") where index + 1 < end && content[index + 1] == UInt8(ascii: "<"):
                open.append((UInt8(ascii: "<"), start, 0))
                index += 2
            case UInt8(ascii: ">") where index + 1 < end && content[index + 1] == UInt8(ascii: ">"):
                guard let last = open.popLast(), last.container == UInt8(ascii: "<") else {
                    return "a dictionary closed that was never opened (at byte \(start))"
                }
                if last.count % 2 != 0 { return "a dictionary with a key but no value (at byte \(last.offset))" }
                index += 2
                item()
            case UInt8(ascii: "<"):
                index += 1
                while true {
                    guard index < end else { return "a hex string that is never closed (at byte \(start))" }
                    let character = content[index]
                    index += 1
                    if character == UInt8(ascii: ">") { break }
                    if !isWhitespace(character) && !isHexDigit(character) {
                        return "a hex string with an invalid character (at byte \(index - 1))"
                    }
                }
                item()
            case UInt8(ascii: ">"):
                return "an unexpected \">\" (at byte \(start))"
            case UInt8(ascii: "["):
                open.append((UInt8(ascii: "["), start, 0))
                index += 1
            case UInt8(ascii: "]"):
                guard let last = open.popLast(), last.container == UInt8(ascii: "[") else {
                    return "an array closed that was never opened (at byte \(start))"
                }
                index += 1
                item()
            case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ")"):
                return "an unexpected \"\(Character(Unicode.Scalar(byte)))\" (at byte \(start))"
            default:
                // A name, a number or an operator: regular characters up to a delimiter.
                index += 1
                while index < end, !isWhitespace(content[index]), !isDelimiter(content[index]) { index += 1 }
                let word = content[start..<index]
                if word.elementsEqual("ID".utf8) {
                    // Inline image data: binary, up to "EI" standing alone.
                    index += 1
                    guard let imageEnd = endOfInlineImage(content, from: index) else {
                        return "an inline image that never ends (at byte \(start))"
                    }
                    index = imageEnd
                } else {
                    item()
                }
            }
        }
        if let last = open.last {
            let kind = last.container == UInt8(ascii: "[") ? "an array" : "a dictionary"
            return "\(kind) that is never closed (at byte \(last.offset))"
        }
        return nil
    }

    /// The index just past the "EI" that ends inline image data starting at `start`.
    private static func endOfInlineImage(_ content: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < content.count {
            if content[index] == UInt8(ascii: "E"), content[index + 1] == UInt8(ascii: "I"),
               index == start || isWhitespace(content[index - 1]),
               index + 2 == content.count || isWhitespace(content[index + 2]) || isDelimiter(content[index + 2]) {
                return index + 2
            }
            index += 1
        }
        return nil
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0x0C || byte == 0x00
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "["),
             UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "/"), UInt8(ascii: "%"):
            true
        default: false
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}
