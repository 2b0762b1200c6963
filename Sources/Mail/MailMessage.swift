public import Foundation

/// A file sent with a message (base64 in its own MIME part).
public struct MailAttachment: Sendable {
    /// The name the recipient sees, any Unicode.
    public var fileName: String
    /// `type/subtype`, e.g. `application/pdf`.
    public var mediaType: String
    public var bytes: [UInt8]

    public init(fileName: String, mediaType: String, bytes: [UInt8]) {
        self.fileName = fileName
        self.mediaType = mediaType
        self.bytes = bytes
    }
}

/// One e-mail: envelope (from, to + cc) and content, rendered by ``MIMEMessage/render(_:)``.
public struct MailMessage: Sendable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var cc: [MailAddress] = []
    public var replyTo: MailAddress? = nil
    public var subject: String
    /// The text/plain body (UTF-8; any line endings, sent as CRLF).
    public var text: String
    /// An optional text/html alternative to `text`.
    public var html: String? = nil
    public var attachments: [MailAttachment] = []
    /// `<unique@domain>`, set by the caller and kept across retries, so a recipient can tell a
    /// message delivered twice.
    public var messageID: String
    public var date: Date = Date()

    public init(from: MailAddress, to: [MailAddress], cc: [MailAddress] = [], replyTo: MailAddress? = nil,
                subject: String, text: String, html: String? = nil, attachments: [MailAttachment] = [],
                messageID: String, date: Date = Date()) {
        self.from = from
        self.to = to
        self.cc = cc
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.messageID = messageID
        self.date = date
    }

    /// The envelope recipients: to, then cc, each address once.
    public var recipients: [String] {
        var seen = Set<String>()
        return (to + cc).map(\.address).filter { seen.insert($0.lowercased()).inserted }
    }

    /// Refuses what cannot be sent as given: no recipient, a bad address, CR/LF or another
    /// control character in a header value (header injection), a malformed Message-ID or
    /// media type. ``SMTPClient/send(_:)`` checks this before connecting.
    public func check() throws(MailError) {
        do throws(MailError) { try from.check() } catch { throw .invalid("from: \(error.message)") }
        guard !to.isEmpty else { throw .invalid("to: no recipients") }
        for (field, addresses) in [("to", to), ("cc", cc), ("reply-to", replyTo.map { [$0] } ?? [])] {
            for address in addresses {
                do throws(MailError) { try address.check() } catch { throw .invalid("\(field): \(error.message)") }
            }
        }
        if let bad = subject.unicodeScalars.first(where: isControl) {
            throw .invalid("subject: control character U+\(hex(bad)) (CR, LF and the like are refused)")
        }
        if let reason = Self.messageIDProblem(messageID) {
            throw .invalid("message-id \"\(MailAddress.printable(messageID))\": \(reason)")
        }
        for (index, attachment) in attachments.enumerated() {
            let field = "attachments[\(index)]"
            if attachment.fileName.isEmpty { throw .invalid("\(field).fileName: empty") }
            if let bad = attachment.fileName.unicodeScalars.first(where: isControl) {
                throw .invalid("\(field).fileName: control character U+\(hex(bad)) (CR, LF and the like are refused)")
            }
            if !Self.isMediaType(attachment.mediaType) {
                throw .invalid("\(field).mediaType \"\(MailAddress.printable(attachment.mediaType))\": not type/subtype")
            }
        }
    }

    static func messageIDProblem(_ id: String) -> String? {
        guard id.hasPrefix("<"), id.hasSuffix(">"), id.count > 2 else { return "not in angle brackets" }
        if id.utf8.count > 250 { return "longer than 250 bytes" }
        let inner = id.dropFirst().dropLast()
        if let bad = inner.unicodeScalars.first(where: { !$0.isASCII || isControl($0) || $0 == " " || "<>".unicodeScalars.contains($0) }) {
            return "contains \"\(MailAddress.printable(String(bad)))\""
        }
        guard inner.split(separator: "@", omittingEmptySubsequences: false).count == 2,
              !inner.hasPrefix("@"), !inner.hasSuffix("@") else { return "not left@right" }
        return nil
    }

    /// RFC 2045 `type "/" subtype`, both tokens, no parameters.
    static func isMediaType(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let tspecials = "()<>@,;:\\\"/[]?=".unicodeScalars
        return parts.count == 2 && parts.allSatisfy { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy { $0.isASCII && !isControl($0) && $0 != " " && !tspecials.contains($0) }
        }
    }
}
