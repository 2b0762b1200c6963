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
