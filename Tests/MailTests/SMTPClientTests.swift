import Foundation
import Mail
import RPCTesting
import Testing

/// SMTPClient against a real SMTP server (aiosmtpd, Tests/Tools/smtp_server.py), over TCP.
@Suite struct SMTPClientTests {
    @Test func aPlainDeliveryArrivesAsRenderedToEveryRecipient() async throws {
        let server = try await SMTPServerProcess()
        defer { Task { await server.stop() } }
        var message = try sampleMessage()
        message.cc = [try MailAddress("office@example.test"), try MailAddress("BOOKER@example.test")]
        message.text = "Line one\n.\nA line with only a dot above, and \r\n.\r\n here.\n"

        let reply = try await SMTPClient(settings(for: server)).send(message)
        #expect(reply.hasPrefix("250 "), "\(reply)")

        let received = try await server.messages()
        try #require(received.count == 1, "\(server.log)")
        #expect(received[0].bytes == MIMEMessage.render(message), "what is sent is the rendering, byte for byte")
        #expect(received[0].mailFrom == "noreply@certportal.test")
        #expect(received[0].recipients == ["booker@example.test", "office@example.test"], "to + cc, each address once")
        #expect(!received[0].overTLS)
        #expect(received[0].helo == "client.certportal.test")
        let parsed = try await parsedMail(at: received[0].path)
        #expect(parsed.text == "Line one\n.\nA line with only a dot above, and \n.\n here.\n", "dots survive SMTP's dot-stuffing")
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
    }

    @Test func attachmentsAndNonASCIINamesArriveIntact() async throws {
        let server = try await SMTPServerProcess(auth: ("portal", "pw"), startTLS: true)
        defer { Task { await server.stop() } }
        var settings = settings(for: server)
        settings.username = "portal"
        settings.password = "pw"
        let names = "Zoë Łukasz 李雷 محمد"
        var message = try sampleMessage()
        message.to = [try MailAddress("zoe@example.test", name: names)]
        message.subject = names
        let pdf = Array("%PDF-1.7\n%\u{E2}\u{E3}\n".utf8) + [0, 0, 0] + Array("\r\n.\r\n".utf8) + Array(".\r\n".utf8) + [0]
        var generator = SystemRandomNumberGenerator()
        let large = (0..<2_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            + Array("\r\n.\r\n".utf8)
        message.attachments = [
            MailAttachment(fileName: "\(names).pdf", mediaType: "application/pdf", bytes: pdf),
            MailAttachment(fileName: "large.bin", mediaType: "application/octet-stream", bytes: large),
        ]

        _ = try await SMTPClient(settings).send(message)
        let received = try await server.messages()
        try #require(received.count == 1, "\(server.log)")
        #expect(received[0].bytes == MIMEMessage.render(message))
        let parsed = try await parsedMail(at: received[0].path)
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(parsed.subject == names)
        #expect(parsed.to == [.init(name: names, address: "zoe@example.test")])
        #expect(parsed.attachments.map(\.fileName) == ["\(names).pdf", "large.bin"])
        #expect(parsed.attachments.first?.bytes == pdf, "NUL bytes and CRLF.CRLF intact")
        #expect(parsed.attachments.last?.bytes == large, "2 MB intact")
    }

    @Test func startTLSWithAuthenticationTrustingTheServersCertificate() async throws {
        let server = try await SMTPServerProcess(auth: ("portal", "s3cret:with@odd chars"), startTLS: true)
        defer { Task { await server.stop() } }
        var settings = settings(for: server)
        settings.username = "portal"
        settings.password = "s3cret:with@odd chars"

        let reply = try await SMTPClient(settings).send(try sampleMessage())
        #expect(reply.hasPrefix("250 "), "\(reply)")
        let received = try await server.messages()
        try #require(received.count == 1, "\(server.log)")
        #expect(received[0].overTLS)
        #expect(received[0].user == "portal")
    }

    @Test func implicitTLS() async throws {
        let server = try await SMTPServerProcess(tls: true)
        defer { Task { await server.stop() } }
        _ = try await SMTPClient(settings(for: server, security: .tls)).send(try sampleMessage())
        let received = try await server.messages()
        try #require(received.count == 1, "\(server.log)")
        #expect(received[0].overTLS)
    }

    @Test func anUntrustedCertificateIsTransientAndNothingIsSent() async throws {
        let server = try await SMTPServerProcess(startTLS: true)
        defer { Task { await server.stop() } }
        var settings = settings(for: server)
        settings.caFile = nil
        let error = await expectMailError(.transient) { try await SMTPClient(settings).send(try sampleMessage()) }
        #expect(error?.message.isEmpty == false)
        #expect(try await server.messages().isEmpty)
    }

    @Test func requiredSTARTTLSIsNeverSkippedForAServerWithoutIt() async throws {
        let server = try await SMTPServerProcess()
        defer { Task { await server.stop() } }
        await expectMailError(.transient) {
            try await SMTPClient(settings(for: server, security: .startTLS)).send(try sampleMessage())
        }
        #expect(try await server.messages().isEmpty, "no plain-text fallback")
    }

    @Test func aWrongPasswordIsPermanent() async throws {
        let server = try await SMTPServerProcess(auth: ("portal", "right"), startTLS: true)
        defer { Task { await server.stop() } }
        var settings = settings(for: server)
        settings.username = "portal"
        settings.password = "wrong"
        let error = await expectMailError(.permanent) { try await SMTPClient(settings).send(try sampleMessage()) }
        #expect(error?.responseCode == 535, "\(String(describing: error))")
        #expect(try await server.messages().isEmpty)
    }

    @Test func aServerNotListeningIsTransient() async throws {
        let server = try await SMTPServerProcess()
        let settings = settings(for: server)
        await server.stop()
        let error = await expectMailError(.transient) { try await SMTPClient(settings).send(try sampleMessage()) }
        #expect(error?.responseCode == nil, "\(String(describing: error))")
    }

    @Test func a451IsTransientAndTheRetryDeliversOnce() async throws {
        let server = try await SMTPServerProcess(failFirst: 1)
        defer { Task { await server.stop() } }
        let client = SMTPClient(settings(for: server))
        let message = try sampleMessage(id: 42)
        let error = await expectMailError(.transient) { try await client.send(message) }
        #expect(error?.responseCode == 451, "\(String(describing: error))")
        #expect(error?.message.contains("try again later") == true, "the server's words: \(String(describing: error))")
        #expect(try await server.messages().isEmpty)

        _ = try await client.send(message)
        let received = try await server.messages()
        #expect(received.count == 1)
        #expect(try await parsedMail(at: received[0].path).messageID == "<outbox-42.1700000000@certportal.test>")
    }

    @Test func aRefusedRecipientIsPermanent() async throws {
        let server = try await SMTPServerProcess(rejectRecipients: "^nobody@")
        defer { Task { await server.stop() } }
        var message = try sampleMessage()
        message.to = [try MailAddress("nobody@example.test")]
        let error = await expectMailError(.permanent) { try await SMTPClient(settings(for: server)).send(message) }
        #expect(error?.responseCode == 550, "\(String(describing: error))")
        #expect(error?.message.contains("recipient refused") == true, "\(String(describing: error))")
        #expect(try await server.messages().isEmpty)
    }

    @Test func aDeliveryOverItsTimeoutIsTransient() async throws {
        let server = try await SMTPServerProcess(slowDataMilliseconds: 20_000)
        defer { Task { await server.stop() } }
        var settings = settings(for: server)
        settings.timeout = .seconds(1)
        await expectMailError(.transient) { try await SMTPClient(settings).send(try sampleMessage()) }
    }

    @Test func aCancelledSendGivesUpItsThreadWithoutWaitingForTheReply() async throws {
        let server = try await SMTPServerProcess(slowDataMilliseconds: 600_000)
        defer { Task { await server.stop() } }
        var settings = settings(for: server)
        settings.timeout = .seconds(300)
        let client = SMTPClient(settings, threads: 1)
        let message = try sampleMessage()
        let sending = Task { try await client.send(message) }
        // Cancel once the server has the data and holds back its reply.
        while !server.log.contains("data received") {
            try await Task.sleep(for: .milliseconds(50))
        }
        sending.cancel()
        // The value arrives only once curl_easy_perform has returned on the client's thread.
        let error = await expectMailError(.transient) { try await sending.value }
        #expect(error?.message.contains("cancelled during delivery") == true, "\(String(describing: error))")
        #expect(error?.message.contains("timed out") == false, "ended by the cancel, not the timeout: \(String(describing: error))")
    }

    @Test func aTaskCancelledBeforehandSendsNothing() async throws {
        let server = try await SMTPServerProcess()
        defer { Task { await server.stop() } }
        let client = SMTPClient(settings(for: server))
        let message = try sampleMessage()
        let sending = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.send(message)
        }
        let error = await expectMailError(.transient) { try await sending.value }
        #expect(error?.message.contains("cancelled") == true, "\(String(describing: error))")
        #expect(try await server.messages().isEmpty)
    }

    @Test func messagesSentAtOnceAllArrive() async throws {
        let server = try await SMTPServerProcess()
        defer { Task { await server.stop() } }
        let client = SMTPClient(settings(for: server), threads: 2)
        try await withThrowingTaskGroup(of: String.self) { group in
            for id in 1...6 {
                let message = try sampleMessage(id: id)
                group.addTask { try await client.send(message) }
            }
            for try await reply in group { #expect(reply.hasPrefix("250 ")) }
        }
        let ids = try await server.messages().map { String(decoding: $0.bytes, as: UTF8.self) }
            .compactMap { $0.split(separator: "\r\n").first { $0.hasPrefix("Message-ID: ") } }
        #expect(Set(ids).count == 6)
    }
}
