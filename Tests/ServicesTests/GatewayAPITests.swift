import Foundation
import Testing
import RPC
import RPCTesting
import Messages

/// The JSON API over real processes: catalog-service, stats-service and the gateway on
/// one data directory, driven with Foundation's HTTP client.
@Suite(.serialized) struct GatewayAPITests {
    /// A logged-in user: the cookie to send and the CSRF token for writes.
    struct User {
        var cookie: String
        var csrf: String
        var headers: [String: String] { ["Cookie": cookie] }
        var writeHeaders: [String: String] { ["Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"] }
    }

    static func json(_ object: [String: Any]) -> Data { try! JSONSerialization.data(withJSONObject: object) }

    static func logIn(_ portal: Portal, _ email: String, _ password: String) async throws -> User {
        let answer = try await fetch(portal.url + "/api/session", method: "POST", headers: ["Content-Type": "application/json"],
                                     body: json(["email": email, "password": password]))
        #expect(answer.status == 200, "\(answer.text)")
        let cookie = try #require(answer.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        #expect(answer.headers["set-cookie"]?.contains("HttpOnly") == true)
        return User(cookie: cookie, csrf: answer.object["csrf_token"] as? String ?? "")
    }

    /// A portal with 300 records (two organisations, three bookers) and one login per role;
    /// `exports`: export-service too, behind the gateway (sending e-mail to `smtp`).
    static func withGateway(exports: Bool = false, smtp: SMTPServerProcess? = nil, _ body: (Portal) async throws -> Void) async throws {
        try await withPortal { portal in
            let imported = try await portal.importFile(try RecordsFlowTests.write(RecordsFlowTests.file(rows: 300)))
            #expect(imported.status == 0, "\(imported.errors)")
            try await portal.putAccount("admin@example.com", password: "admin-pass-1", role: "admin")
            try await portal.putAccount("rep@example.com", password: "rep-pass-1", role: "orgrep", organisation: "ORG-A")
            try await portal.putAccount("booker@example.com", password: "booker-pass-1", role: "booker", booker: "BKR-2")
            if exports || smtp != nil { try await portal.startExport(smtp.map(Portal.smtpArguments) ?? []) }
            try await portal.startGateway()
            try await body(portal)
        }
    }

    static func records(_ portal: Portal, _ user: User, _ query: String = "") async throws -> HTTPAnswer {
        try await fetch(portal.url + "/api/records" + query, headers: user.headers)
    }

    @Test func logInSessionAndLogOut() async throws {
        try await Self.withGateway { portal in
            let wrong = try await fetch(portal.url + "/api/session", method: "POST", headers: ["Content-Type": "application/json"],
                                        body: Self.json(["email": "admin@example.com", "password": "nope"]))
            #expect(wrong.status == 401 && wrong.errorCode == "unauthenticated")
            #expect(wrong.headers["set-cookie"] == nil)
            let missing = try await fetch(portal.url + "/api/session", method: "POST", headers: ["Content-Type": "application/json"],
                                          body: Self.json(["email": "admin@example.com"]))
            #expect(missing.status == 400 && missing.errorField == "password")
            let form = try await fetch(portal.url + "/api/session", method: "POST", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                       body: Data("email=admin@example.com&password=admin-pass-1".utf8))
            #expect(form.status == 415, "a cross-site form cannot log anyone in")

            let admin = try await Self.logIn(portal, "admin@example.com", "admin-pass-1")
            let session = try await fetch(portal.url + "/api/session", headers: admin.headers)
            #expect(session.status == 200)
            #expect((session.object["user"] as? [String: Any])?["role"] as? String == "admin")
            #expect(try await fetch(portal.url + "/api/session").status == 401)
            #expect(try await fetch(portal.url + "/api/session", headers: ["Cookie": "cp_session=forged-value"]).status == 401)
            // Log out needs the CSRF token.
            let noToken = try await fetch(portal.url + "/api/session", method: "DELETE", headers: admin.headers)
            #expect(noToken.status == 403 && noToken.errorCode == "csrf")
            let out = try await fetch(portal.url + "/api/session", method: "DELETE", headers: admin.writeHeaders)
            #expect(out.status == 204)
            #expect(out.headers["set-cookie"]?.contains("Max-Age=0") == true)
        }
    }

    @Test func recordsAreScopedToEachRoleAndOthersAreNotFound() async throws {
        try await Self.withGateway { portal in
            let admin = try await Self.logIn(portal, "admin@example.com", "admin-pass-1")
            let rep = try await Self.logIn(portal, "rep@example.com", "rep-pass-1")
            let booker = try await Self.logIn(portal, "booker@example.com", "booker-pass-1")

            let all = try await Self.records(portal, admin, "?page_size=500")
            #expect(all.status == 200, "\(all.text)")
            #expect(all.object["total"] as? Int == 300)
            let summary = try #require(all.object["summary"] as? [String: Int])
            let rows = try #require(all.object["records"] as? [[String: Any]])
            #expect(rows.count == 300)
            for status in ["certified", "expiring", "expired", "pending", "failed"] {
                #expect(summary[status] == rows.filter { $0["status"] as? String == status }.count, "\(status)")
            }
            let expected = try RecordsFlowTests.expectedSummary(RecordsFlowTests.file(rows: 300))
            #expect(summary["failed"] == expected[.failed, default: 0])
            #expect(summary["pending"] == expected[.pending, default: 0])
            // Every column of the portal, under its key.
            for key in ["booking_id", "contact_name", "organisation", "booker", "course_name", "schedule_id", "status", "start_date",
                        "completion_date", "expiry_date", "certificate_updated", "cert_type", "outstanding", "shared", "pass_fail"] {
                #expect(rows[0].keys.contains(key), "\(key)")
            }

            let repRows = try #require(try await Self.records(portal, rep, "?page_size=500").object["records"] as? [[String: Any]])
            #expect(!repRows.isEmpty && repRows.allSatisfy { $0["organisation_id"] as? String == "ORG-A" })
            let bookerRows = try #require(try await Self.records(portal, booker, "?page_size=500").object["records"] as? [[String: Any]])
            #expect(!bookerRows.isEmpty && bookerRows.allSatisfy { $0["booker_id"] as? String == "BKR-2" })

            // Another organisation's record is not found, not forbidden; a filter naming it returns nothing.
            let foreign = try #require(rows.first { $0["organisation_id"] as? String == "ORG-B" && $0["booker_id"] as? String != "BKR-2" })
            let id = try #require(foreign["record_id"] as? Int)
            #expect(try await fetch(portal.url + "/api/records/\(id)", headers: admin.headers).status == 200)
            let hidden = try await fetch(portal.url + "/api/records/\(id)", headers: rep.headers)
            #expect(hidden.status == 404 && hidden.errorCode == "not_found")
            #expect(try await fetch(portal.url + "/api/records/\(id)", headers: booker.headers).status == 404)
            #expect(try await Self.records(portal, rep, "?organisation=ORG-B").object["total"] as? Int == 0)
            #expect(try await Self.records(portal, booker, "?booker=BKR-1").object["total"] as? Int == 0)
            #expect(try await fetch(portal.url + "/api/records").status == 401)
        }
    }

    @Test func filtersSortAndPagesFollowTheParameters() async throws {
        try await Self.withGateway { portal in
            let admin = try await Self.logIn(portal, "admin@example.com", "admin-pass-1")
            let course = try await Self.records(portal, admin, "?course=CRS-1&page_size=500")
            let courseRows = try #require(course.object["records"] as? [[String: Any]])
            #expect(course.object["total"] as? Int == 75 && courseRows.allSatisfy { $0["course_id"] as? String == "CRS-1" })
            let failed = try await Self.records(portal, admin, "?status=failed&page_size=500")
            #expect((failed.object["records"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "failed" } == true)

            let sorted = try #require(try await Self.records(portal, admin, "?sort=-contact_name&page_size=500").object["records"] as? [[String: Any]])
            let names = sorted.compactMap { $0["contact_name"] as? String }
            #expect(names.count == 300)
            #expect(names.first! >= names.last!)

            var seen: Set<Int> = []
            var cursor: String? = ""
            var pages = 0
            while let next = cursor {
                let page = try await Self.records(portal, admin, "?page_size=40" + (next.isEmpty ? "" : "&cursor=" + next))
                #expect(page.status == 200, "\(page.text)")
                for row in page.object["records"] as? [[String: Any]] ?? [] { seen.insert(row["record_id"] as! Int) }
                cursor = page.object["next_cursor"] as? String
                pages += 1
                if pages > 20 { break }
            }
            #expect(pages == 8 && seen.count == 300)

            let facets = try await fetch(portal.url + "/api/facets", headers: admin.headers)
            #expect((facets.object["organisations"] as? [[String: Any]])?.count == 2)
            let matrix = try await fetch(portal.url + "/api/matrix?organisation=ORG-A", headers: admin.headers)
            #expect(matrix.status == 200 && !((matrix.object["rows"] as? [Any]) ?? []).isEmpty)
            let forecast = try await fetch(portal.url + "/api/forecast", headers: admin.headers)
            #expect((forecast.object["months"] as? [Any])?.count == 12)
            let config = try await fetch(portal.url + "/api/config")
            #expect(config.object["today"] as? String == Portal.today)
            #expect((config.object["provider"] as? [String: Any])?["name"] as? String == "Zoë's Training Ltd")
            #expect((config.object["columns"] as? [[String: Any]])?.count == 16)
        }
    }

    @Test func badParametersAreClearErrorsNamingTheField() async throws {
        try await Self.withGateway { portal in
            let admin = try await Self.logIn(portal, "admin@example.com", "admin-pass-1")
            for (query, field) in [("?from=2026-13-01", "from"), ("?to=yesterday", "to"), ("?date_field=start", "date_field"),
                                   ("?status=maybe", "status"), ("?sort=colour", "sort"), ("?page_size=0", "page_size"),
                                   ("?page_size=10000", "page_size"), ("?cursor=garbage", "cursor"), ("?organisaton=ORG-A", "organisaton")] {
                let answer = try await Self.records(portal, admin, query)
                #expect(answer.status == 400, "\(query): \(answer.text)")
                #expect(answer.errorCode == "invalid_argument" && answer.errorField == field, "\(query): \(answer.text)")
            }
            #expect(try await fetch(portal.url + "/api/records/abc", headers: admin.headers).errorField == "id")
            #expect(try await fetch(portal.url + "/api/forecast?months=99", headers: admin.headers).errorField == "months")
            #expect(try await fetch(portal.url + "/api/nothing-here", headers: admin.headers).status == 404)
            let wrongMethod = try await fetch(portal.url + "/api/records", method: "PUT", headers: admin.writeHeaders)
            #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "GET")
            let spec = try await fetch(portal.url + "/api/openapi.json")
            #expect(spec.status == 200 && spec.object["openapi"] as? String == "3.1.0")
        }
    }

    @Test func reBookingIsForAdminsWithTheCSRFTokenAndShowsAtOnce() async throws {
        try await Self.withGateway { portal in
            let admin = try await Self.logIn(portal, "admin@example.com", "admin-pass-1")
            let booker = try await Self.logIn(portal, "booker@example.com", "booker-pass-1")
            let rows = try #require(try await Self.records(portal, booker, "?page_size=500&sort=start_date").object["records"] as? [[String: Any]])
            let record = try #require(rows.first)
            let id = try #require(record["record_id"] as? Int)

            #expect(try await fetch(portal.url + "/api/records/\(id)/schedules", headers: booker.headers).status == 403)
            let schedules = try await fetch(portal.url + "/api/records/\(id)/schedules", headers: admin.headers)
            #expect(schedules.status == 200, "\(schedules.text)")
            let later = try #require((schedules.object["schedules"] as? [[String: Any]])?.first?["schedule_id"] as? String)

            let body = Self.json(["schedule_id": later])
            let asBooker = try await fetch(portal.url + "/api/records/\(id)/rebook", method: "POST", headers: booker.writeHeaders, body: body)
            #expect(asBooker.status == 403 && asBooker.errorCode == "forbidden")
            var noToken = admin.writeHeaders
            noToken["X-CSRF-Token"] = nil
            let withoutToken = try await fetch(portal.url + "/api/records/\(id)/rebook", method: "POST", headers: noToken, body: body)
            #expect(withoutToken.status == 403 && withoutToken.errorCode == "csrf")
            var otherToken = admin.writeHeaders
            otherToken["X-CSRF-Token"] = booker.csrf
            #expect(try await fetch(portal.url + "/api/records/\(id)/rebook", method: "POST", headers: otherToken, body: body).status == 403)
            let crossSite = admin.writeHeaders.merging(["Origin": "http://evil.example"]) { $1 }
            #expect(try await fetch(portal.url + "/api/records/\(id)/rebook", method: "POST", headers: crossSite, body: body).status == 403)
            let bad = try await fetch(portal.url + "/api/records/\(id)/rebook", method: "POST", headers: admin.writeHeaders, body: Self.json([:]))
            #expect(bad.status == 400 && bad.errorField == "schedule_id")
            let before = try await Self.records(portal, admin).object["total"] as? Int

            let done = try await fetch(portal.url + "/api/records/\(id)/rebook", method: "POST", headers: admin.writeHeaders, body: body)
            #expect(done.status == 200, "\(done.text)")
            let new = try #require(done.object["record"] as? [String: Any])
            #expect(new["schedule_id"] as? String == later && new["contact_id"] as? String == record["contact_id"] as? String)
            // The next view holds it: read-your-writes through the read model.
            #expect(try await Self.records(portal, admin).object["total"] as? Int == (before ?? 0) + 1)
        }
    }

    @Test func aStoppedServiceIsA503AndTheAPIRecoversWhenItIsBack() async throws {
        try await Self.withGateway { portal in
            let admin = try await Self.logIn(portal, "admin@example.com", "admin-pass-1")
            #expect(try await Self.records(portal, admin).status == 200)
            let port = portal.stats.port
            await portal.stats.stop()
            let down = try await Self.records(portal, admin)
            #expect(down.status == 503 && down.errorCode == "unavailable")
            #expect(down.text.contains("stats-service") && !down.text.contains("127.0.0.1"))
            let health = try await fetch(portal.url + "/api/health")
            #expect(health.object["status"] as? String == "degraded")
            #expect((health.object["services"] as? [String: String])?["stats-service"] == "unavailable")
            portal.stats = try await Portal.startStats(data: portal.data, meshToken: portal.meshToken, catalogPort: portal.catalog.port,
                                                       certificatesPort: portal.certificates.port, port: port)
            var answer = try await Self.records(portal, admin)
            for _ in 0..<50 where answer.status != 200 {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await Self.records(portal, admin)
            }
            #expect(answer.status == 200)
            #expect(try await fetch(portal.url + "/api/health").object["status"] as? String == "ok")
        }
    }

    /// Every endpoint of the OpenAPI document, called without a session, with a forged
    /// cookie, with a role it does not allow and without the CSRF token: each is refused
    /// with a JSON error, and nothing changes.
    @Test func everyEndpointRefusesMissingSessionsForgedCookiesWrongRolesAndMissingTokens() async throws {
        try await Self.withGateway { portal in
            let admin = try await Self.logIn(portal, "admin@example.com", "admin-pass-1")
            let booker = try await Self.logIn(portal, "booker@example.com", "booker-pass-1")
            let before = try await Self.records(portal, admin).object["summary"] as? [String: Int]
            let spec = try await fetch(portal.url + "/api/openapi.json").object
            let paths = try #require(spec["paths"] as? [String: [String: Any]])
            let record = try #require((try await Self.records(portal, booker).object["records"] as? [[String: Any]])?.first?["record_id"] as? Int)
            let forged = ["Cookie": "cp_session=" + String(repeating: "A", count: 120), "X-CSRF-Token": "x", "Content-Type": "application/json"]
            var checked = 0
            for (path, operations) in paths {
                let url = portal.url + path.replacingOccurrences(of: "{id}", with: "\(record)").replacingOccurrences(of: "{code}", with: "ABCDEF123456")
                    .replacingOccurrences(of: "{name}", with: "certificate")
                for (method, operation) in operations {
                    let operation = operation as? [String: Any] ?? [:]
                    guard operation["security"] != nil else { continue }
                    let verb = method.uppercased()
                    let body = Self.json(["schedule_id": "SCH-0-2025-01-01"])
                    let none = try await fetch(url, method: verb, headers: ["Content-Type": "application/json"], body: verb == "GET" ? nil : body)
                    #expect(none.status == 401 && none.errorCode == "unauthenticated", "\(verb) \(path) without a session: \(none.text)")
                    let fake = try await fetch(url, method: verb, headers: forged, body: verb == "GET" ? nil : body)
                    #expect(fake.status == 401, "\(verb) \(path) with a forged cookie: \(fake.text)")
                    let responses = operation["responses"] as? [String: Any] ?? [:]
                    if responses["403"] != nil && verb == "GET" {
                        let wrongRole = try await fetch(url, headers: booker.headers)
                        #expect(wrongRole.status == 403 && wrongRole.errorCode == "forbidden", "\(verb) \(path) as a booker: \(wrongRole.text)")
                    }
                    if verb != "GET" {
                        var headers = admin.writeHeaders
                        headers["X-CSRF-Token"] = nil
                        let noToken = try await fetch(url, method: verb, headers: headers, body: body)
                        #expect(noToken.status == 403 && noToken.errorCode == "csrf", "\(verb) \(path) without the CSRF token: \(noToken.text)")
                        // Writes any user may make: logging in, and their own export jobs.
                        if !["/api/session", "/api/exports/jobs", "/api/exports/jobs/{id}/cancel"].contains(path) {
                            let wrongRole = try await fetch(url, method: verb, headers: booker.writeHeaders, body: body)
                            #expect(wrongRole.status == 403 && wrongRole.errorCode == "forbidden", "\(verb) \(path) as a booker: \(wrongRole.text)")
                        }
                    }
                    checked += 1
                }
            }
            // The records', sessions' and re-booking's 9, and the certificates' 13.
            #expect(checked >= 22)
            #expect(try await Self.records(portal, admin).object["summary"] as? [String: Int] == before, "nothing changed")
            #expect(try await fetch(portal.url + "/api/session", headers: admin.headers).status == 200, "the admin is still logged in")
        }
    }

    @Test func thePagesAreServedWithTheirSecurityHeaders() async throws {
        try await Self.withGateway { portal in
            let page = try await fetch(portal.url + "/")
            #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(page.headers["content-security-policy"]?.contains("default-src 'self'") == true)
            #expect(page.headers["x-content-type-options"] == "nosniff")
            #expect(try await fetch(portal.url + "/static/../Package.swift").status == 404)
            #expect(try await fetch(portal.url + "/no-such-page").status == 404)
        }
    }
}
