import Foundation
import Mail
import RPCTesting
import Testing

/// MIMEMessage.render read back by Python's email package (policy.default), and the checks
/// that keep header values from carrying extra headers.
@Suite struct MIMEMessageTests {
    static let names = "Zoë Łukasz 李雷 محمد"

    /// Every line CRLF-terminated, 7-bit, at most 78 characters before the CRLF.
    static func expectWellFormedLines(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(bytes.allSatisfy { $0 < 0x80 }, "7-bit only", sourceLocation: sourceLocation)
        var lineLength = 0
        var previous: UInt8 = 0
        var longest = 0
        for byte in bytes {
            if byte == 0x0A {
                #expect(previous == 0x0D, "no bare LF", sourceLocation: sourceLocation)
                lineLength = 0
            } else if previous == 0x0D {
                Issue.record("bare CR", sourceLocation: sourceLocation)
            } else if byte != 0x0D {
                lineLength += 1
                longest = max(longest, lineLength)
            }
            previous = byte
        }
        #expect(previous == 0x0A, "ends with CRLF", sourceLocation: sourceLocation)
        let long = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n").filter { $0.utf8.count > 78 }
        #expect(longest <= 78, "lines over 78: \(long)", sourceLocation: sourceLocation)
    }

    @Test func nonASCIINamesSubjectAndFileNamesRoundTrip() async throws {
        var message = try sampleMessage()
        message.from = try MailAddress("noreply@certportal.test", name: "Zoë's \"Portal\" (certificates)")
        message.to = [try MailAddress("zoe@example.test", name: Self.names), try MailAddress("ada@example.test", name: "Ada Lovelace")]
        message.cc = [try MailAddress("li@example.test", name: "李雷, 韩梅梅 and a name long enough to need more than one encoded word")]
        message.replyTo = try MailAddress("office@example.test", name: "Office")
        message.subject = "Certificate for \(Self.names): First Aid at Work — "
            + String(repeating: "renewal due ", count: 8) + "✓"
        message.text = "Dear \(Self.names),\r\nyour certificate is attached.\nTrailing space \nCR alone\rEnd = done."
            + String(repeating: " long line of words", count: 30)
        message.html = "<p>Dear \(Self.names),</p>"
        let pdf = Array("%PDF-1.7\n".utf8) + [0, 0, 1, 255] + Array("\r\n.\r\n".utf8) + [0x0D, 0x2E, 0x0A]
        message.attachments = [
            MailAttachment(fileName: "\(Self.names) – First Aid – 2026-03-02.pdf", mediaType: "application/pdf", bytes: pdf),
            MailAttachment(fileName: "report.csv", mediaType: "text/csv", bytes: Array("a,b\r\n1,2\r\n".utf8)),
        ]
        message.date = Date(timeIntervalSince1970: 1_772_409_600)
        let bytes = MIMEMessage.render(message)
        Self.expectWellFormedLines(bytes)

        let parsed = try await parsedMail(bytes)
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(parsed.subject == message.subject)
        #expect(parsed.from == [.init(name: message.from.name, address: "noreply@certportal.test")])
        #expect(parsed.to == message.to.map { .init(name: $0.name, address: $0.address) })
        #expect(parsed.cc == message.cc.map { .init(name: $0.name, address: $0.address) })
        #expect(parsed.replyTo == [.init(name: "Office", address: "office@example.test")])
        #expect(parsed.messageID == message.messageID)
        #expect(parsed.date == "Mon, 02 Mar 2026 00:00:00 +0000")
        #expect(parsed.contentType == "multipart/mixed")
        let expectedText = message.text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n") + "\n"
        #expect(parsed.text == expectedText)
        #expect(parsed.html == message.html! + "\n")
        #expect(parsed.attachments.map(\.fileName) == message.attachments.map(\.fileName))
        #expect(parsed.attachments.map(\.contentType) == ["application/pdf", "text/csv"])
        #expect(parsed.attachments.map(\.bytes) == message.attachments.map(\.bytes))

        // The ASCII fallback comes after filename*, for readers without RFC 2231.
        let rendered = String(decoding: bytes, as: UTF8.self)
        let disposition = try #require(rendered.range(of: "Content-Disposition: attachment;"))
        let rest = rendered[disposition.upperBound...]
        let star = try #require(rest.range(of: "filename*"))
        let plain = try #require(rest.range(of: "filename=\"Zoe _ukasz"))
        #expect(star.lowerBound < plain.lowerBound)
    }

    @Test func aTextOnlyMessageIsOnePartAndHTMLMakesAnAlternative() async throws {
        var message = try sampleMessage()
        let plain = try await parsedMail(MIMEMessage.render(message))
        #expect(plain.contentType == "text/plain")
        #expect(plain.text == "Hello,\nyour certificate is attached.\n")
        message.html = "<p>Hello</p>"
        let alternative = try await parsedMail(MIMEMessage.render(message))
        #expect(alternative.contentType == "multipart/alternative")
        #expect(alternative.html == "<p>Hello</p>\n")
        #expect(alternative.defects.isEmpty, "\(alternative.defects)")
    }

    @Test func longRecipientListsAndSubjectsAreFolded() async throws {
        var message = try sampleMessage()
        message.to = try (1...12).map { try MailAddress("booker\($0)@example.test", name: $0 % 2 == 0 ? "Booker \($0)" : "Zoë Nº \($0)") }
        message.subject = String(repeating: "First Aid at Work renewal ", count: 6) + String(repeating: "李雷", count: 40)
        let bytes = MIMEMessage.render(message)
        Self.expectWellFormedLines(bytes)
        let parsed = try await parsedMail(bytes)
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(parsed.to == message.to.map { .init(name: $0.name, address: $0.address) })
        #expect(parsed.subject == message.subject)
    }

    @Test func headerInjectionIsRefusedBeforeSending() throws {
        func refused(_ change: (inout MailMessage) throws -> Void, _ field: String) throws {
            var message = try sampleMessage()
            try change(&message)
            do {
                try message.check()
                Issue.record("\(field): accepted")
            } catch {
                #expect(error.kind == .invalid)
                #expect(error.message.hasPrefix(field), "\(error.message)")
            }
        }
        try refused({ $0.subject = "Hello\r\nBcc: evil@example.test" }, "subject")
        try refused({ $0.subject = "Hello\nBcc: evil@example.test" }, "subject")
        try refused({ $0.to[0].name = "Ada\r\nBcc: evil@example.test" }, "to")
        try refused({ $0.to[0].address = "ada@example.test\r\nBcc: evil@example.test" }, "to")
        try refused({ $0.from.address = "noreply@certportal.test>\r\nX: y" }, "from")
        try refused({ $0.cc = [try MailAddress("a@b.test")]; $0.cc[0].name = "x\ry" }, "cc")
        try refused({ $0.replyTo = try MailAddress("a@b.test"); $0.replyTo?.address = "a@b.test\n" }, "reply-to")
        try refused({ $0.messageID = "<a@b>\r\nBcc: evil@example.test" }, "message-id")
        try refused({ $0.messageID = "no-brackets@example.test" }, "message-id")
        try refused({ $0.to = [] }, "to")
        try refused({ $0.attachments = [MailAttachment(fileName: "a.pdf\r\nX: y", mediaType: "application/pdf", bytes: [])] },
                    "attachments[0].fileName")
        try refused({ $0.attachments = [MailAttachment(fileName: "a.pdf", mediaType: "application/pdf\r\nX: y", bytes: [])] },
                    "attachments[0].mediaType")
        try refused({ $0.attachments = [MailAttachment(fileName: "a.pdf", mediaType: "application/pdf; x=y", bytes: [])] },
                    "attachments[0].mediaType")
    }

    @Test func renderingStripsLineBreaksFromHeaderValuesAnyway() async throws {
        var message = try sampleMessage()
        message.subject = "Hello\r\nBcc: evil@example.test"
        message.to[0].name = "Ada\r\nX-Injected: 1"
        message.attachments = [MailAttachment(fileName: "a.pdf\r\nX-Injected: 2", mediaType: "text/plain\r\nX-Injected: 3", bytes: [1])]
        let bytes = MIMEMessage.render(message)
        Self.expectWellFormedLines(bytes)
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(!lines.contains { $0.hasPrefix("Bcc:") || $0.hasPrefix("X-Injected:") }, "\(lines)")
        let parsed = try await parsedMail(bytes)
        #expect(parsed.subject == "Hello  Bcc: evil@example.test")
        #expect(parsed.attachments.first?.contentType == "application/octet-stream")
    }
}
