import Foundation
import Testing
import RPCTesting

/// The gateway's e-mail endpoints over real processes: export-service's outbox behind
/// them, admins only, bad input refused by the gateway with the field named.
@Suite(.serialized) struct EmailAPITests {
    static func send(_ portal: Portal, _ path: String, _ user: GatewayAPITests.User, _ body: [String: Any] = [:],
                     method: String = "POST") async throws -> HTTPAnswer {
        try await fetch(portal.url + path, method: method, headers: user.writeHeaders, body: GatewayAPITests.json(body))
    }

    @Test func badInputIsRefusedWithTheFieldAndOnlyAdminsMayCall() async throws {
        try await GatewayAPITests.withGateway(exports: true) { portal in
            let (admin, booker) = try await CertificateAPITests.logIn(portal)
            let refusals: [(String, String, [String: Any], String)] = [
                ("POST", "/api/emails", ["to": "booker"], "record_ids"),
                ("POST", "/api/emails", ["record_ids": [], "to": "booker"], "record_ids"),
                ("POST", "/api/emails", ["record_ids": [1, "two"], "to": "booker"], "record_ids"),
                ("POST", "/api/emails", ["record_ids": [1]], "to"),
                ("POST", "/api/emails", ["record_ids": [1], "to": "everyone"], "to"),
                ("POST", "/api/emails", ["record_ids": [1], "to": "both", "template": 7], "template"),
                ("POST", "/api/emails", ["record_ids": [1], "to": "both", "request_key": String(repeating: "k", count: 101)], "request_key"),
                ("PUT", "/api/email-templates/certificate", ["body": "Hello"], "subject"),
                ("PUT", "/api/email-templates/certificate", ["subject": "Hi", "body": ["not", "text"]], "body"),
                ("POST", "/api/email-templates/certificate/preview", ["subject": "Hi", "record_id": -1], "record_id"),
                ("POST", "/api/reminders/run", ["today": 20260615], "today"),
            ]
            for (method, path, body, field) in refusals {
                let answer = try await Self.send(portal, path, admin, body, method: method)
                #expect(answer.status == 400 && answer.errorField == field, "\(method) \(path) \(body): \(answer.text)")
            }
            for query in ["state=lost", "ids=1,x", "ids=0", "page_size=0", "page_size=501", "record_id=-3", "before_id=x", "colour=red"] {
                let answer = try await fetch(portal.url + "/api/emails?" + query, headers: admin.headers)
                let field = String(query.prefix { $0 != "=" })
                #expect(answer.status == 400 && answer.errorField == field, "\(query): \(answer.text)")
            }
            let tooMany = (1...501).map(String.init).joined(separator: ",")
            let many = try await fetch(portal.url + "/api/emails?ids=" + tooMany, headers: admin.headers)
            #expect(many.status == 400 && many.errorField == "ids", "\(many.text)")

            // Bookers (and org reps) see no outbox and send nothing; the gateway says so before any call.
            for (method, path) in [("GET", "/api/emails"), ("GET", "/api/email-templates")] {
                let answer = try await fetch(portal.url + path, method: method, headers: booker.headers)
                #expect(answer.status == 403 && answer.errorCode == "forbidden", "\(path): \(answer.text)")
            }
            let refused = try await Self.send(portal, "/api/emails", booker, ["record_ids": [1], "to": "booker"])
            #expect(refused.status == 403 && refused.errorCode == "forbidden", "\(refused.text)")
            #expect(try await fetch(portal.url + "/api/emails").status == 401)
        }
    }

    /// One certificate e-mailed through the gateway: queued, then `sent` in the outbox,
    /// and the SMTP server holds it with the PDF attached, the bytes the portal downloads.
    @Test func aCertificateSentThroughTheGatewayArrivesWithItsPDF() async throws {
        let smtp = try await SMTPServerProcess()
        do {
            try await sendThroughTheGateway(smtp)
        } catch {
            Issue.record("SMTP server log:\n\(smtp.log)")
            await smtp.stop()
            throw error
        }
        await smtp.stop()
    }

    func sendThroughTheGateway(_ smtp: SMTPServerProcess) async throws {
        try await GatewayAPITests.withGateway(smtp: smtp) { portal in
            let (admin, _) = try await CertificateAPITests.logIn(portal)
            let pending = try await CertificateAPITests.records(portal, admin, status: "pending")
            let record = try #require(pending.first { $0["contact_email"] is String })
            let id = try #require(record["record_id"] as? Int)
            let delegate = try #require(record["contact_email"] as? String)
            #expect(try await CertificateAPITests.post(portal, "/api/records/\(id)/certificate/issue", admin, ["share": false]).status == 200)

            let sent = try await Self.send(portal, "/api/emails", admin, ["record_ids": [id, 999_999], "to": "delegate", "request_key": "k-1"])
            #expect(sent.status == 200, "\(sent.text)")
            let messages = try #require(sent.object["messages"] as? [[String: Any]])
            #expect(messages.count == 1 && (messages.first?["recipients"] as? [String])?.map { $0.hasSuffix("<\(delegate)>") } == [true], "\(sent.text)")
            let skipped = sent.object["skipped"] as? [[String: Any]] ?? []
            #expect(skipped.map { $0["record_id"] as? Int } == [999_999] && (skipped.first?["reason"] as? String)?.isEmpty == false, "\(sent.text)")
            let messageID = try #require(messages.first?["id"] as? Int)
            // The same key again is the same request: no second message.
            let again = try await Self.send(portal, "/api/emails", admin, ["record_ids": [id, 999_999], "to": "delegate", "request_key": "k-1"])
            #expect((again.object["messages"] as? [[String: Any]])?.map { $0["id"] as? Int } == [messageID], "\(again.text)")

            // Delivered: the outbox says sent, the server has it once.
            var state = ""
            for _ in 0..<600 where state != "sent" && state != "failed" {
                let page = try await fetch(portal.url + "/api/emails?ids=\(messageID)", headers: admin.headers)
                state = ((page.object["messages"] as? [[String: Any]])?.first?["state"] as? String) ?? ""
                if state != "sent" { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(state == "sent")
            let received = try await smtp.messages()
            #expect(received.count == 1 && received.first?.recipients == [delegate])
            let mail = try #require(received.first)
            let download = try await fetch(portal.url + "/api/records/\(id)/certificate/file", headers: admin.headers)
            let pdfPath = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).pdf").path
            try download.body.write(to: URL(fileURLWithPath: pdfPath))
            defer { try? FileManager.default.removeItem(atPath: pdfPath) }
            // Python's email package reads the attachment back (an independent MIME reader).
            let same = try await runTool("python3", ["-c", """
                import email, email.policy, sys
                m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
                parts = [p for p in m.iter_attachments() if p.get_content_type() == 'application/pdf']
                print(len(parts), parts[0].get_payload(decode=True) == open(sys.argv[2], 'rb').read())
                """, mail.path, pdfPath])
            #expect(same.text.trimmingCharacters(in: .whitespacesAndNewlines) == "1 True", "\(same.text) \(same.errorText)")

            // Counts and filters of the outbox; a sent message cannot be cancelled.
            let outbox = try await fetch(portal.url + "/api/emails?state=sent&record_id=\(id)", headers: admin.headers)
            #expect((outbox.object["counts"] as? [String: Int])?["sent"] == 1, "\(outbox.text)")
            #expect((outbox.object["messages"] as? [[String: Any]])?.count == 1 && outbox.object["next_before_id"] is NSNull)
            let cancel = try await Self.send(portal, "/api/emails/\(messageID)/cancel", admin)
            #expect(cancel.status == 400, "\(cancel.text)")
            #expect(try await Self.send(portal, "/api/emails/987654/retry", admin).status == 404)
        }
    }

    @Test func withoutExportServiceTheEndpointsSaySo() async throws {
        try await GatewayAPITests.withGateway { portal in
            let (admin, _) = try await CertificateAPITests.logIn(portal)
            let outbox = try await fetch(portal.url + "/api/emails", headers: admin.headers)
            #expect(outbox.status == 503 && outbox.errorCode == "unavailable" && outbox.text.contains("export-service"), "\(outbox.text)")
            let sent = try await Self.send(portal, "/api/emails", admin, ["record_ids": [1], "to": "booker"])
            #expect(sent.status == 503, "\(sent.text)")
        }
    }
}
