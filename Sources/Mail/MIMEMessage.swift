internal import Foundation

/// The bytes of a ``MailMessage`` as sent: RFC 5322 headers and a MIME body, CRLF lines.
///
/// Shape: text/plain alone; multipart/alternative (text, html) when `html` is given; either of
/// those first inside multipart/mixed when there are attachments. Text parts are UTF-8 in
/// quoted-printable, attachments base64; so every line is 7-bit and at most 76 characters, and
/// nothing depends on the server's 8BITMIME. Header values are stripped of control characters
/// (``MailMessage/check()`` refuses them first), non-ASCII ones become RFC 2047 encoded-words,
/// and long ones are folded.
public enum MIMEMessage {
    public static func render(_ message: MailMessage) -> [UInt8] {
        var out = HeaderWriter()
        out.add("Date", [rfc5322Date(message.date)])
        out.add("From", addressWords([message.from]))
        out.add("To", addressWords(message.to))
        if !message.cc.isEmpty { out.add("Cc", addressWords(message.cc)) }
        if let replyTo = message.replyTo { out.add("Reply-To", addressWords([replyTo])) }
        out.add("Message-ID", [stripped(message.messageID)])
        out.add("Subject", textWords(message.subject))
        out.add("MIME-Version", ["1.0"])

        let text = textPart(message.text, subtype: "plain")
        let content: Part = message.html.map { multipart("alternative", [text, textPart($0, subtype: "html")]) } ?? text
        let body: Part = message.attachments.isEmpty ? content : multipart("mixed", [content] + message.attachments.map(attachmentPart))
        return out.bytes + body.bytes
    }

    /// A MIME entity: its Content-* header lines and its body, each CRLF-terminated.
    struct Part {
        var headers: HeaderWriter
        var body: [UInt8]
        var bytes: [UInt8] { headers.bytes + Array("\r\n".utf8) + body }
    }

    static func textPart(_ text: String, subtype: String) -> Part {
        var headers = HeaderWriter()
        headers.add("Content-Type", ["text/\(subtype);", "charset=utf-8"])
        headers.add("Content-Transfer-Encoding", ["quoted-printable"])
        return Part(headers: headers, body: quotedPrintable(text))
    }

    static func attachmentPart(_ attachment: MailAttachment) -> Part {
        let mediaType = MailMessage.isMediaType(attachment.mediaType) ? attachment.mediaType : "application/octet-stream"
        let name = stripped(attachment.fileName)
        let fallback = quoted(asciiFallback(name))
        var headers = HeaderWriter()
        headers.add("Content-Type", ["\(mediaType);", "name=\(fallback)"])
        headers.add("Content-Disposition", ["attachment;"] + rfc2231Parameter("filename", name) + ["filename=\(fallback)"])
        headers.add("Content-Transfer-Encoding", ["base64"])
        return Part(headers: headers, body: base64Lines(attachment.bytes))
    }

    /// Boundaries start with "=_": never in quoted-printable (where "=" is followed by hex or
    /// a line break) nor in base64, so they need no randomness and the output is reproducible.
    /// The CRLF before a delimiter belongs to the delimiter (RFC 2046), so each part's own
    /// last line break is followed by one more.
    static func multipart(_ subtype: String, _ parts: [Part]) -> Part {
        let boundary = "=_certportal_\(subtype)"
        var headers = HeaderWriter()
        headers.add("Content-Type", ["multipart/\(subtype);", "boundary=\"\(boundary)\""])
        var body: [UInt8] = []
        for part in parts {
            body += Array("--\(boundary)\r\n".utf8) + part.bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return Part(headers: headers, body: body)
    }

    // MARK: Header values

    /// Header lines folded at the spaces between the words given, at 76 characters when the
    /// words allow (a word is never split; none comes near the 998 limit).
    struct HeaderWriter {
        private(set) var bytes: [UInt8] = []

        mutating func add(_ name: String, _ words: [String]) {
            var line = "\(name):"
            var lineLength = line.utf8.count
            for word in words {
                if lineLength + 1 + word.utf8.count > 76 && lineLength > name.utf8.count + 1 && !word.isEmpty {
                    line += "\r\n"
                    lineLength = 0
                }
                line += " " + word
                lineLength += 1 + word.utf8.count
            }
            bytes += Array((line + "\r\n").utf8)
        }
    }

    /// Header text with CR, LF and other control characters made spaces.
    static func stripped(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? " " : $0 }))
    }

    /// Unstructured text (Subject): words as they are, those with non-ASCII characters (or
    /// something that would read as an encoded-word) as RFC 2047 encoded-words.
    static func textWords(_ text: String) -> [String] {
        mixedWords(stripped(text)) { word in
            !word.unicodeScalars.allSatisfy(\.isASCII) || word.contains("=?") || word.utf8.count > 900
        }
    }

    /// The words of `text` (split at spaces), each run of words that `needsEncoding` marks
    /// made encoded-words together with the spaces inside the run; the others as they are.
    /// (Encoded-words are whitespace-separated from plain words, where the space counts.)
    static func mixedWords(_ text: String, needsEncoding: (Substring) -> Bool) -> [String] {
        var words: [String] = []
        var run: [Substring] = []
        func endRun() {
            if !run.isEmpty { words += encodedWords(run.joined(separator: " ")) }
            run = []
        }
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            // An empty word (two spaces in a row) stays inside an open run, to keep both spaces.
            if needsEncoding(word) || (word.isEmpty && !run.isEmpty) {
                run.append(word)
            } else {
                endRun()
                words.append(String(word))
            }
        }
        endRun()
        return words
    }

    /// `=?UTF-8?B?…?=` words of at most 64 characters (39 bytes of text each, so that a header
    /// name and one word fit a line), split between characters, never inside one's UTF-8 bytes.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > 39 {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words
    }

    static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// A list of addresses as header words: `Name <a@b>,` … with the name an atom phrase, a
    /// quoted-string, or encoded-words.
    static func addressWords(_ addresses: [MailAddress]) -> [String] {
        var words: [String] = []
        for (index, address) in addresses.enumerated() {
            var these = displayNameWords(stripped(address.name))
            let spec = stripped(address.address).replacingOccurrences(of: " ", with: "")
            these.append(these.isEmpty ? spec : "<\(spec)>")
            if index < addresses.count - 1 { these[these.count - 1] += "," }
            words += these
        }
        return words
    }

    static func displayNameWords(_ name: String) -> [String] {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return [] }
        let atext = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")
        let isAtom = { (word: Substring) in !word.isEmpty && word.unicodeScalars.allSatisfy(atext.contains) && !word.contains("=?") }
        let words = trimmed.split(separator: " ", omittingEmptySubsequences: false)
        if words.allSatisfy(isAtom) { return words.map(String.init) }
        if trimmed.unicodeScalars.allSatisfy(\.isASCII) { return [quoted(trimmed)] }
        // Non-ASCII: atoms as they are, everything else encoded (as Python's email does).
        return mixedWords(trimmed) { !isAtom($0) }
    }

    /// A quoted-string, `"` and `\` escaped.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The file name as ASCII for readers without RFC 2231: accents dropped where they can be,
    /// anything else `_`.
    static func asciiFallback(_ name: String) -> String {
        let letters = name.decomposedStringWithCanonicalMapping.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
        let ascii = String(String.UnicodeScalarView(letters.map { $0.isASCII && !isControl($0) ? $0 : "_" }))
        return ascii.isEmpty ? "attachment" : ascii
    }

    /// `name*=utf-8''percent-encoded` (RFC 2231), split into `name*0*=`, `name*1*=`, … sections
    /// when long, each section a header word ending in ";".
    static func rfc2231Parameter(_ name: String, _ value: String) -> [String] {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        // One piece per character: a section never ends inside a character's UTF-8 bytes.
        let pieces = value.unicodeScalars.map { scalar in
            String(scalar).utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        }
        var sections: [String] = []
        var current = ""
        for piece in pieces {
            if current.utf8.count + piece.utf8.count > 54 {
                sections.append(current)
                current = ""
            }
            current += piece
        }
        sections.append(current)
        if sections.count == 1 { return ["\(name)*=utf-8''\(sections[0]);"] }
        return sections.enumerated().map { index, section in
            "\(name)*\(index)*=\(index == 0 ? "utf-8''" : "")\(section);"
        }
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    // MARK: Bodies

    /// UTF-8 text as quoted-printable: every line break (CRLF, LF or CR) a CRLF, lines at most
    /// 76 characters with soft breaks, trailing spaces and tabs encoded.
    static func quotedPrintable(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        var line: [UInt8] = []
        func flushLine() {
            // A space or tab ending the line would be lost in transport: encode it.
            var encoded: [[UInt8]] = line.map { byte in
                (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || byte == 0x20 || byte == 0x09
                    ? [byte] : Array(String(format: "=%02X", byte).utf8)
            }
            if let last = line.last, last == 0x20 || last == 0x09 {
                encoded[encoded.count - 1] = Array(String(format: "=%02X", last).utf8)
            }
            var length = 0
            for piece in encoded {
                if length + piece.count > 75 {
                    out += Array("=\r\n".utf8)
                    length = 0
                }
                out += piece
                length += piece.count
            }
            out += [0x0D, 0x0A]
            line = []
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D || byte == 0x0A {
                flushLine()
                if byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A { index += 1 }
            } else {
                line.append(byte)
            }
            index += 1
        }
        if !line.isEmpty || out.isEmpty { flushLine() }
        return out
    }

    /// Base64 in lines of 76 characters, CRLF-terminated.
    static func base64Lines(_ bytes: [UInt8]) -> [UInt8] {
        let encoded = Array(Data(bytes).base64EncodedString().utf8)
        var out: [UInt8] = []
        out.reserveCapacity(encoded.count + encoded.count / 76 * 2 + 2)
        var offset = 0
        while offset < encoded.count {
            out += encoded[offset..<min(encoded.count, offset + 76)]
            out += [0x0D, 0x0A]
            offset += 76
        }
        return out
    }
}
