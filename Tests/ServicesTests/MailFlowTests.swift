import Foundation
import Testing
import RPC
import RPCTesting
import Messages

/// export-service's e-mail over real processes: catalog-service, cert-store, stats-service
/// and export-service, and a real SMTP server (aiosmtpd). Every e-mail received is read
/// back by Python's email parser.
@Suite(.serialized) struct MailFlowTests {
    typealias Mail = Certportal_Export_V1_Mail
    typealias Stats = Certportal_Stats_V1_Stats
    typealias Certificates = Certportal_Certificates_V1_Certificates

    static let sender = "Zoë's Training <certificates@training.example>"

    static func smtpArguments(_ server: SMTPServerProcess, retryMs: Int = 200) -> [String] {
        ["--smtp", "smtp://127.0.0.1:\(server.port)?security=none", "--mail-from", sender, "--mail-retry-ms", "\(retryMs)",
         "--portal-url", "https://portal.example.com"]
    }

    /// A portal with `rows` records imported and the finished, passed ones certified (a PDF
    /// issued for each); the certified rows as the read model shows them.
    static func withCertified(rows: Int = 40, _ body: (Portal, [Certportal_Stats_V1_RecordRow]) async throws -> Void) async throws {
        try await withPortal { portal in
            let imported = try await portal.importFile(try RecordsFlowTests.write(RecordsFlowTests.file(rows: rows)))
            #expect(imported.status == 0, "\(imported.errors)")
            let all = try await ExportFlowTests.waitForRecords(portal, count: rows)
            let passed = all.filter { $0.result == "pass" && !$0.completionDate.isEmpty && $0.completionDate <= Portal.today }
            let client = portal.client(portal.certificates)
            defer { client.close() }
            var seq: UInt64 = 0
            for row in passed {
                var issue = Certportal_Certificates_V1_IssueRequest()
                issue.recordId = row.recordId
                seq = max(seq, try await client.unary(Certificates.issue, issue, options: Portal.options("admin")).seq)
            }
            var filter = Certportal_Stats_V1_RecordFilter()
            filter.minCertificateSeq = seq
            let ids = Set(passed.map(\.recordId))
            let certified = try await ExportFlowTests.listRecords(portal, filter, as: "admin").filter { ids.contains($0.recordId) }
            #expect(certified.count == passed.count && certified.allSatisfy(\.hasCertificate))
            try await body(portal, certified)
        }
    }

    static func send(_ portal: Portal, _ ids: [UInt64], to: String = "both", key: String = "", as principal: String = "admin") async throws
        -> Certportal_Export_V1_SendCertificatesResponse {
        let client = portal.client(portal.export!)
        defer { client.close() }
        var request = Certportal_Export_V1_SendCertificatesRequest()
        request.recordIds = ids
        request.to = to
        request.requestKey = key
        return try await client.unary(Mail.sendCertificates, request, options: Portal.options(principal))
    }

    static func outbox(_ portal: Portal, ids: [UInt64] = [], state: String = "") async throws -> Certportal_Export_V1_OutboxPage {
        let client = portal.client(portal.export!)
        defer { client.close() }
        var request = Certportal_Export_V1_ListOutboxRequest()
        request.ids = ids
        request.state = state
        request.pageSize = 500
        return try await client.unary(Mail.listOutbox, request, options: Portal.options("admin"))
    }

    /// The outbox's messages once `done` holds for them (or after 60 s, as they are then).
    static func waitForOutbox(_ portal: Portal, ids: [UInt64] = [],
                              until done: ([Certportal_Export_V1_OutboxMessage]) -> Bool) async throws -> [Certportal_Export_V1_OutboxMessage] {
        let end = ContinuousClock.now + .seconds(60)
        while true {
            let messages = try await outbox(portal, ids: ids).messages
            if done(messages) || ContinuousClock.now > end { return messages }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func allSent(_ messages: [Certportal_Export_V1_OutboxMessage]) -> Bool {
        !messages.isEmpty && messages.allSatisfy { $0.state == "sent" }
    }

    /// A received e-mail as Python's email package reads it.
    struct Parsed: Decodable {
        struct Attachment: Decodable {
            var filename: String
            var contentType: String
            var hex: String
        }
        var subject: String
        var from: String
        var to: String
        var messageId: String
        var text: String
        var attachments: [Attachment]
    }

    static func parse(_ mail: ReceivedMail) async throws -> Parsed {
        let script = """
            import email, email.policy, json, sys
            message = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
            text = message.get_body(preferencelist=('plain',))
            print(json.dumps({
                'subject': str(message['Subject']), 'from': str(message['From']), 'to': str(message['To']),
                'messageId': str(message['Message-ID']), 'text': text.get_content() if text else '',
                'attachments': [{'filename': part.get_filename(), 'contentType': part.get_content_type(),
                                 'hex': part.get_payload(decode=True).hex()} for part in message.iter_attachments()]}))
            """
        let outcome = try await runTool("/usr/bin/python3", ["-c", script, mail.path])
        #expect(outcome.status == 0, "\(outcome.errorText)")
        return try JSONDecoder().decode(Parsed.self, from: outcome.output)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    // MARK: Sending

    @Test func aCertificateArrivesWithItsPDFAttachedByteForByte() async throws {
        let server = try await SMTPServerProcess()
        defer { Task { await server.stop() } }
        try await Self.withCertified { portal, certified in
            try await portal.startExport(Self.smtpArguments(server))
            let row = try #require(certified.first)
            let sent = try await Self.send(portal, [row.recordId], to: "both", key: "request-1")
            #expect(sent.skipped.isEmpty)
            let queued = try #require(sent.messages.first)
            #expect(queued.recipients == ["\(row.contactName) <\(row.contactEmail)>", "\(row.bookerName) <\(row.bookerEmail)>"])
            let messages = try await Self.waitForOutbox(portal, ids: [queued.id], until: Self.allSent)
            #expect(messages.map(\.state) == ["sent"], "\(messages)")
            #expect(messages.first?.serverReply.hasPrefix("250") == true, "\(messages)")

            let received = try await server.messages()
            try #require(received.count == 1, "\(server.log)")
            #expect(Set(received[0].recipients) == [row.contactEmail, row.bookerEmail])
            let mail = try await Self.parse(received[0])
            #expect(mail.subject == "Your certificate: \(row.courseName)")
            #expect(mail.from == Self.sender)
            #expect(mail.to.contains(row.contactEmail) && mail.to.contains(row.bookerEmail))
            #expect(mail.messageId == queued.messageId)
            #expect(mail.text.contains("Dear \(row.contactName) and \(row.bookerName),"))
            #expect(mail.text.contains("https://portal.example.com/verify/"))
            let certificates = portal.client(portal.certificates)
            defer { certificates.close() }
            let download = try await CertificateFlowTests.download(certificates, row.recordId)
            let attachment = try #require(mail.attachments.first)
            #expect(mail.attachments.count == 1)
            #expect(attachment.filename == download.header.fileName)
            #expect(attachment.contentType == "application/pdf")
            #expect(attachment.hex == Self.hex(download.bytes))

            // The same request again is the same request: nothing more is sent.
            let again = try await Self.send(portal, [row.recordId], to: "both", key: "request-1")
            #expect(again.messages.map(\.id) == [queued.id])
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await server.messages().count == 1)
        }
    }

    @Test func aBatchSkipsRecordsWithoutACertificateAndSaysWhy() async throws {
        let server = try await SMTPServerProcess()
        defer { Task { await server.stop() } }
        try await Self.withCertified { portal, certified in
            try await portal.startExport(Self.smtpArguments(server))
            let pending = try await ExportFlowTests.listRecords(portal, .init(), as: "admin").first { !$0.hasCertificate }
            let uncertified = try #require(pending)
            let ids = certified.prefix(3).map(\.recordId)
            let sent = try await Self.send(portal, ids + [uncertified.recordId, 987_654], to: "delegate")
            #expect(sent.messages.map(\.recordId) == ids)
            #expect(sent.skipped.map(\.recordId) == [uncertified.recordId, 987_654])
            #expect(sent.skipped.map(\.reason) == ["no certificate yet", "there is no record 987654"])
            let messages = try await Self.waitForOutbox(portal, ids: sent.messages.map(\.id), until: Self.allSent)
            #expect(messages.count == 3 && Self.allSent(messages), "\(messages)")
            let received = try await server.messages()
            let receivedBy: [String] = received.flatMap(\.recipients).sorted()
            let delegates: [String] = certified.prefix(3).map(\.contactEmail).sorted()
            #expect(receivedBy == delegates)
        }
    }

    @Test func onlyAdminsSendAndBadRequestsNameTheField() async throws {
        try await Self.withCertified(rows: 12) { portal, certified in
            try await portal.startExport()
            let id = try #require(certified.first?.recordId)
            await expectRPCError(.permissionDenied) { try await Self.send(portal, [id], as: "booker:BKR-1") }
            let badTo = await expectRPCError(.invalidArgument) { try await Self.send(portal, [id], to: "everyone") }
            #expect(badTo?.message == "to: \"everyone\" is not one of booker, delegate, both")
            let none = await expectRPCError(.invalidArgument) { try await Self.send(portal, []) }
            #expect(none?.message.hasPrefix("record_ids:") == true)
            #expect(try await Self.outbox(portal).messages.isEmpty)
            // No SMTP server configured: accepted, and it says why it waits.
            let waiting = try await Self.send(portal, [id])
            #expect(waiting.messages.map(\.state) == ["queued"])
            #expect(waiting.messages.first?.lastError.contains("no SMTP server") == true)
        }
    }

    // MARK: Nothing lost, nothing twice

    @Test func aServerDownForAWhileDelaysButLosesNothing() async throws {
        // A port nothing listens on yet: a server started and stopped again.
        let probe = try await SMTPServerProcess()
        let port = probe.port
        await probe.stop()
        try await Self.withCertified { portal, certified in
            try await portal.startExport(["--smtp", "smtp://127.0.0.1:\(port)?security=none", "--mail-from", Self.sender, "--mail-retry-ms", "200"])
            let sent = try await Self.send(portal, certified.prefix(3).map(\.recordId), to: "booker")
            let ids = sent.messages.map(\.id)
            let failing = try await Self.waitForOutbox(portal, ids: ids) { messages in messages.allSatisfy { $0.attempts >= 2 } }
            #expect(failing.allSatisfy { $0.state == "queued" || $0.state == "sending" }, "\(failing)")
            #expect(failing.allSatisfy { !$0.lastError.isEmpty }, "\(failing)")

            let server = try await SMTPServerProcess(port: port)
            defer { Task { await server.stop() } }
            let messages = try await Self.waitForOutbox(portal, ids: ids, until: Self.allSent)
            #expect(messages.count == 3 && Self.allSent(messages), "\(messages)")
            let received = try await server.messages()
            #expect(received.count == 3, "\(server.log)")
            let messageIDs = try await received.asyncMap { try await Self.parse($0).messageId }
            #expect(Set(messageIDs) == Set(sent.messages.map(\.messageId)))
        }
    }

    @Test func killedMidDeliveryItSendsEachMessageExactlyOnceAfterRestart() async throws {
        // The server takes 3 s to answer each message: export-service is killed while it waits.
        let server = try await SMTPServerProcess(slowDataMilliseconds: 3000)
        defer { Task { await server.stop() } }
        try await Self.withCertified { portal, certified in
            let arguments = Self.smtpArguments(server)
            try await portal.startExport(arguments)
            let sent = try await Self.send(portal, certified.prefix(3).map(\.recordId), to: "delegate")
            let ids = sent.messages.map(\.id)
            _ = try await Self.waitForOutbox(portal, ids: ids) { messages in messages.contains { $0.state == "sending" } }
            // Wait until the server holds a whole message and is waiting to answer it.
            let end = ContinuousClock.now + .seconds(30)
            while !server.log.contains("data received"), ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(50)) }
            try await portal.restartExport(arguments, signal: SIGKILL)
            let messages = try await Self.waitForOutbox(portal, ids: ids, until: Self.allSent)
            #expect(messages.count == 3 && Self.allSent(messages), "\(messages)")
            // Let anything late arrive before counting.
            try await Task.sleep(for: .seconds(4))
            let received = try await server.messages()
            let messageIDs = try await received.asyncMap { try await Self.parse($0).messageId }
            #expect(messageIDs.sorted() == sent.messages.map(\.messageId).sorted(), "\(server.log)")
        }
    }

    @Test func uploadAndSendEmailReachesTheOutboxAndIsSentOnce() async throws {
        let server = try await SMTPServerProcess()
        defer { Task { await server.stop() } }
        try await Self.withCertified { portal, certified in
            let row = try #require(certified.first)
            let certificates = portal.client(portal.certificates)
            defer { certificates.close() }
            // Requested while export-service is not running: kept by cert-store until it is.
            let png = try await CertificateFlowTests.png(size: 40)
            let write = try await CertificateFlowTests.upload(certificates, row.recordId, png) { $0.emailTo = "delegate" }
            #expect(!write.emailRequestId.isEmpty)
            try await portal.startExport(Self.smtpArguments(server))
            let messages = try await Self.waitForOutbox(portal, until: Self.allSent)
            #expect(messages.count == 1 && Self.allSent(messages), "\(messages)")
            #expect(messages.first?.requestedBy.hasPrefix("upload by ") == true)
            #expect(messages.first?.version == write.certificate?.currentVersion)
            let received = try await server.messages()
            try #require(received.count == 1)
            let mail = try await Self.parse(received[0])
            #expect(mail.attachments.map(\.hex) == [Self.hex(png)])
            #expect(mail.attachments.map(\.contentType) == ["image/png"])
            // Handed over: cert-store offers it no more, and a restart sends nothing again.
            let pending = try await certificates.unary(Certificates.pendingEmailRequests, .init(), options: Portal.options("admin"))
            #expect(pending.requests.isEmpty)
            try await portal.restartExport(Self.smtpArguments(server))
            try await Task.sleep(for: .seconds(3))
            #expect(try await server.messages().count == 1)
            await expectRPCError(.permissionDenied) {
                try await certificates.unary(Certificates.pendingEmailRequests, .init(), options: Portal.options("booker:BKR-1"))
            }
        }
    }

    // MARK: Reminders

    static func runReminders(_ portal: Portal) async throws -> Certportal_Export_V1_RemindersReport {
        let client = portal.client(portal.export!)
        defer { client.close() }
        return try await client.unary(Mail.runReminders, .init(), options: Portal.options("admin"))
    }

    /// The certified rows whose certificates expire within 90 days of the pinned today, by booker.
    static func expiringSoon(_ certified: [Certportal_Stats_V1_RecordRow]) -> [String: [Certportal_Stats_V1_RecordRow]] {
        let soon = certified.filter { !$0.expiryDate.isEmpty && $0.expiryDate >= Portal.today && $0.expiryDate <= "2026-09-13" }
        return Dictionary(grouping: soon, by: \.bookerEmail)
    }

    @Test func remindersGoOncePerBookerAndAreNotRepeatedAcrossARestart() async throws {
        let server = try await SMTPServerProcess()
        defer { Task { await server.stop() } }
        try await Self.withCertified(rows: 80) { portal, certified in
            let expected = Self.expiringSoon(certified)
            try #require(!expected.isEmpty, "the generated records have certificates expiring soon")
            // The daily run at start-up (today is pinned), then the same day again by hand.
            let arguments = Self.smtpArguments(server) + ["--reminder-hour", "0"]
            try await portal.startExport(arguments)
            let digests = try await Self.waitForOutbox(portal) { messages in
                messages.filter { $0.kind == "reminder" }.count == expected.count && Self.allSent(messages)
            }
            #expect(digests.count == expected.count, "\(digests)")
            let again = try await Self.runReminders(portal)
            #expect(again.digests == 0)
            #expect(again.alreadySent == UInt32(expected.values.map(\.count).reduce(0, +)))
            try await portal.restartExport(arguments, signal: SIGKILL)
            #expect(try await Self.runReminders(portal).digests == 0)
            try await Task.sleep(for: .seconds(1))

            let received = try await server.messages()
            #expect(received.count == expected.count)
            for mail in received {
                let booker = try #require(mail.recipients.first)
                let rows = try #require(expected[booker], "a digest for \(booker)")
                let parsed = try await Self.parse(mail)
                #expect(parsed.subject == "Certificates expiring soon: \(rows.count)")
                for row in rows {
                    #expect(parsed.text.contains(row.contactName) && parsed.text.contains(row.courseName))
                }
                #expect(parsed.text.contains("Re-book:"))
                #expect(parsed.attachments.isEmpty)
            }
        }
    }

    // MARK: Templates

    @Test func anEditedTemplateIsUsedForTheNextEmailAndBadOnesAreRefused() async throws {
        let server = try await SMTPServerProcess()
        defer { Task { await server.stop() } }
        try await Self.withCertified(rows: 12) { portal, certified in
            try await portal.startExport(Self.smtpArguments(server))
            let client = portal.client(portal.export!)
            defer { client.close() }
            var put = Certportal_Export_V1_PutEmailTemplateRequest()
            var template = Certportal_Export_V1_EmailTemplate()
            template.name = "certificate"
            template.subject = "Certificate {certificate_number} — {contact_name}"
            template.body = "Hello {recipient_name}: {course_name}, valid until {expiry_date}."
            put.template = template
            let saved = try await client.unary(Mail.putEmailTemplate, put, options: Portal.options("admin"))
            #expect(saved.revision == 1)

            var bad = put
            bad.template?.body = "Hello {recipient}"
            let unknown = await expectRPCError(.invalidArgument) {
                try await client.unary(Mail.putEmailTemplate, bad, options: Portal.options("admin"))
            }
            #expect(unknown?.message.hasPrefix("template.body: unknown placeholder {recipient}; known: {recipient_name}") == true)
            bad.template?.body = "fine"
            bad.template?.subject = "two\nlines"
            let twoLines = await expectRPCError(.invalidArgument) {
                try await client.unary(Mail.putEmailTemplate, bad, options: Portal.options("admin"))
            }
            #expect(twoLines?.message.hasPrefix("template.subject:") == true)
            await expectRPCError(.permissionDenied) {
                try await client.unary(Mail.putEmailTemplate, put, options: Portal.options("booker:BKR-1"))
            }
            let list = try await client.unary(Mail.listEmailTemplates, .init(), options: Portal.options("admin"))
            #expect(list.templates.map(\.name) == ["certificate", "reminder"])
            #expect(list.templates.first?.body == template.body)

            let row = try #require(certified.first)
            let sent = try await Self.send(portal, [row.recordId], to: "delegate")
            _ = try await Self.waitForOutbox(portal, until: Self.allSent)
            let received = try await server.messages()
            try #require(received.count == 1)
            let mail = try await Self.parse(received[0])
            #expect(mail.subject.hasPrefix("Certificate CP-") && mail.subject.hasSuffix("— \(row.contactName)"))
            #expect(mail.text.hasPrefix("Hello \(row.contactName): \(row.courseName), valid until "))
            #expect(sent.messages.first?.subject == mail.subject)
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
