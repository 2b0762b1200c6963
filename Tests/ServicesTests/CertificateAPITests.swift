import Foundation
import Testing
import RPC
import RPCTesting
import Messages

/// The gateway's certificate endpoints (CERT-API.md) over real processes: catalog-service,
/// cert-store, stats-service and the gateway, driven with Foundation's HTTP client.
@Suite(.serialized) struct CertificateAPITests {
    typealias User = GatewayAPITests.User

    static func logIn(_ portal: Portal) async throws -> (admin: User, booker: User) {
        (try await GatewayAPITests.logIn(portal, "admin@example.com", "admin-pass-1"),
         try await GatewayAPITests.logIn(portal, "booker@example.com", "booker-pass-1"))
    }

    /// Records of `user`'s scope with `status`, completed this year (a 12-month certificate
    /// issued for one of them is Certified, not Expiring).
    static func records(_ portal: Portal, _ user: User, status: String) async throws -> [[String: Any]] {
        let page = try await GatewayAPITests.records(portal, user, "?page_size=500&status=\(status)")
        #expect(page.status == 200, "\(page.text)")
        return (page.object["records"] as? [[String: Any]] ?? []).filter { ($0["completion_date"] as? String ?? "") >= "2026-01-01" }
    }

    static func post(_ portal: Portal, _ path: String, _ user: User, _ body: [String: Any]) async throws -> HTTPAnswer {
        try await fetch(portal.url + path, method: "POST", headers: user.writeHeaders, body: GatewayAPITests.json(body))
    }

    static func upload(_ portal: Portal, _ id: Int, _ user: User, _ bytes: [UInt8], query: String = "") async throws -> HTTPAnswer {
        var headers = user.writeHeaders
        headers["Content-Type"] = "application/octet-stream"
        return try await fetch(portal.url + "/api/records/\(id)/certificate/upload" + query, method: "POST", headers: headers, body: Data(bytes))
    }

    static func certificate(_ answer: HTTPAnswer) -> [String: Any] { answer.object["certificate"] as? [String: Any] ?? [:] }
    static func record(_ answer: HTTPAnswer) -> [String: Any] { answer.object["record"] as? [String: Any] ?? [:] }

    @Test func verificationLinksUseThePublicURLWhenOneIsSet() async throws {
        try await GatewayAPITests.withGateway { portal in
            let (admin, _) = try await Self.logIn(portal)
            let id = try #require(try await Self.records(portal, admin, status: "pending").first?["record_id"] as? Int)
            let issued = try await Self.post(portal, "/api/records/\(id)/certificate/issue", admin, ["share": false])
            let code = try #require(Self.certificate(issued)["verification_code"] as? String)
            #expect(Self.certificate(issued)["verification_url"] as? String == "\(portal.url)/verify/\(code)", "none set: as the request came")

            // Behind a proxy: the address users reach, whatever Host the request carries.
            await portal.gateway?.stop()
            try await portal.startGateway(["--public-url", "https://certificates.example.com/"])
            let (again, _) = try await Self.logIn(portal)
            let read = try await fetch(portal.url + "/api/records/\(id)/certificate", headers: again.headers)
            #expect(read.object["verification_url"] as? String == "https://certificates.example.com/verify/\(code)", "\(read.text)")
        }
    }

    @Test func aBadPublicURLStopsTheGatewayWithTheReason() async throws {
        let outcome = try await runTool(ServiceProcess.executable("gateway").path, [
            "--port", "0", "--catalog", "127.0.0.1:1", "--stats", "127.0.0.1:1", "--certificates", "127.0.0.1:1",
            "--public-url", "certificates.example.com"])
        #expect(outcome.status == 2)
        #expect(outcome.errorText.contains("--public-url: must be an http(s) URL in ASCII, such as https://portal.example.com; found \"certificates.example.com\""),
                "\(outcome.errorText)")
    }

    @Test func issuingMovesARecordFromPendingToCertifiedInTheAnswer() async throws {
        try await GatewayAPITests.withGateway { portal in
            let (admin, _) = try await Self.logIn(portal)
            let pending = try await Self.records(portal, admin, status: "pending")
            let id = try #require(pending.first?["record_id"] as? Int)
            let none = try await fetch(portal.url + "/api/records/\(id)/certificate", headers: admin.headers)
            #expect(none.status == 404 && none.errorCode == "not_found", "\(none.text)")

            let issued = try await Self.post(portal, "/api/records/\(id)/certificate/issue", admin, ["share": false])
            #expect(issued.status == 200, "\(issued.text)")
            #expect(Self.record(issued)["status"] as? String == "certified", "read-your-writes: \(issued.text)")
            #expect(Self.record(issued)["cert_type"] as? String == "internal")
            let certificate = Self.certificate(issued)
            #expect(certificate["current_version"] as? Int == 1)
            #expect((certificate["certificate_number"] as? String)?.hasPrefix("CP-") == true)
            #expect((certificate["verification_url"] as? String)?.contains("/verify/") == true)
            let versions = try #require(certificate["versions"] as? [[String: Any]])
            #expect(versions.count == 1 && versions[0]["kind"] as? String == "internal" && versions[0]["media_type"] as? String == "application/pdf")

            let read = try await fetch(portal.url + "/api/records/\(id)/certificate", headers: admin.headers)
            #expect(read.status == 200 && read.object["certificate_number"] as? String == certificate["certificate_number"] as? String)
            let file = try await fetch(portal.url + "/api/records/\(id)/certificate/file", headers: admin.headers)
            #expect(file.status == 200 && file.headers["content-type"] == "application/pdf")
            #expect(file.body.starts(with: Array("%PDF-".utf8)) && file.body.count == versions[0]["size"] as? Int)
            #expect(file.headers["content-disposition"]?.hasPrefix("attachment; filename=\"") == true)
            #expect(file.headers["content-disposition"]?.contains("filename*=UTF-8''") == true)

            let history = try await fetch(portal.url + "/api/records/\(id)/certificate/history", headers: admin.headers)
            #expect(history.status == 200)
            #expect((history.object["audit"] as? [[String: Any]])?.contains { $0["action"] as? String == "issued" } == true, "\(history.text)")

            // A failed delegate gets no certificate.
            let failed = try #require(try await Self.records(portal, admin, status: "failed").first?["record_id"] as? Int)
            let refused = try await Self.post(portal, "/api/records/\(failed)/certificate/issue", admin, [:])
            #expect(refused.status == 400 && refused.errorField == "record_id", "\(refused.text)")
        }
    }

    @Test func aBatchIssueStreamsOneLinePerRecordThenTheTotals() async throws {
        try await GatewayAPITests.withGateway { portal in
            let (admin, _) = try await Self.logIn(portal)
            let pending = try await Self.records(portal, admin, status: "pending").prefix(3).compactMap { $0["record_id"] as? Int }
            let failed = try #require(try await Self.records(portal, admin, status: "failed").first?["record_id"] as? Int)
            #expect(pending.count == 3)
            let answer = try await Self.post(portal, "/api/certificates/issue", admin, ["record_ids": pending + [failed], "share": true])
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.headers["content-type"]?.hasPrefix("application/x-ndjson") == true)
            let lines = answer.text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(lines.count == 5, "\(answer.text)")
            let progress = lines.dropLast().compactMap { $0 }
            #expect(Set(progress.compactMap { $0["record_id"] as? Int }) == Set(pending + [failed]))
            #expect(progress.filter { $0["issued"] as? Bool == true }.count == 3)
            #expect(progress.first { $0["record_id"] as? Int == failed }?["problem"] as? String != nil)
            let last = try #require(lines.last ?? nil)
            #expect(last["finished"] as? Bool == true && last["issued"] as? Int == 3 && last["refused"] as? Int == 1 && last["total"] as? Int == 4)
            // The next view shows them.
            for id in pending {
                let record = try await fetch(portal.url + "/api/records/\(id)", headers: admin.headers)
                #expect(record.object["status"] as? String == "certified" && record.object["shared"] as? Bool == true, "\(record.text)")
            }
            let tooMany = try await Self.post(portal, "/api/certificates/issue", admin, ["record_ids": Array(1...1001)])
            #expect(tooMany.status == 400 && tooMany.errorField == "record_ids")
        }
    }

    @Test func uploadsAddAndReplaceVersionsThatDownloadByteExact() async throws {
        try await GatewayAPITests.withGateway { portal in
            let (admin, _) = try await Self.logIn(portal)
            let id = try #require(try await Self.records(portal, admin, status: "pending").first?["record_id"] as? Int)
            let first = try await CertificateFlowTests.png(shade: 10), second = try await CertificateFlowTests.png(size: 60, shade: 130)

            let nobody = try await Self.upload(portal, id, admin, first, query: "?email_to=everyone")
            #expect(nobody.status == 400 && nobody.errorField == "email_to", "\(nobody.text)")
            let added = try await Self.upload(portal, id, admin, first, query: "?file_name=Zo%C3%AB%20scan.png&expiry_date=2028-01-31")
            #expect(added.status == 200, "\(added.text)")
            #expect(Self.record(added)["status"] as? String == "certified" && Self.record(added)["cert_type"] as? String == "external")
            #expect(Self.record(added)["expiry_date"] as? String == "2028-01-31")
            #expect(Self.certificate(added)["current_version"] as? Int == 1)

            let replaced = try await Self.upload(portal, id, admin, second, query: "?replace_version=1")
            #expect(replaced.status == 200, "\(replaced.text)")
            let versions = try #require(Self.certificate(replaced)["versions"] as? [[String: Any]])
            #expect(versions.count == 2 && versions[1]["replaces"] as? Int == 1 && Self.certificate(replaced)["current_version"] as? Int == 2)
            #expect(versions[0]["state"] as? String == "replaced" && versions[1]["state"] as? String == "current")
            #expect(Self.record(replaced)["certificate_updated"] as? Bool == true)

            for (version, bytes) in [(1, first), (2, second)] {
                let file = try await fetch(portal.url + "/api/records/\(id)/certificate/file?version=\(version)", headers: admin.headers)
                #expect(file.status == 200 && file.headers["content-type"] == "image/png", "\(file.text.prefix(200))")
                #expect([UInt8](file.body) == bytes, "version \(version) byte-exact")
                #expect(file.headers["content-length"] == "\(bytes.count)")
            }
            let current = try await fetch(portal.url + "/api/records/\(id)/certificate/file", headers: admin.headers)
            #expect([UInt8](current.body) == second)

            // Not what its name says: refused naming the file, and nothing changes.
            let text = try await Self.upload(portal, id, admin, Array("just some text, not a certificate\n".utf8), query: "?file_name=scan.pdf")
            #expect(text.status == 400 && text.errorCode == "invalid_argument" && text.errorField == "file", "\(text.text)")
            let truncated = try await Self.upload(portal, id, admin, Array(first.prefix(first.count / 2)))
            #expect(truncated.status == 400 && truncated.errorField == "file", "\(truncated.text)")
            let empty = try await Self.upload(portal, id, admin, [])
            #expect(empty.status == 400 && empty.errorField == "file")
            let huge = try await Self.upload(portal, id, admin, [UInt8](repeating: 0x89, count: (20 << 20) + 1))
            #expect(huge.status == 413, "\(huge.text)")
            let misspelt = try await Self.upload(portal, id, admin, first, query: "?expiry=2028-01-01")
            #expect(misspelt.status == 400 && misspelt.errorField == "expiry")
            let after = try await fetch(portal.url + "/api/records/\(id)/certificate", headers: admin.headers)
            #expect((after.object["versions"] as? [[String: Any]])?.count == 2 && after.object["current_version"] as? Int == 2)
            // A JSON endpoint still refuses a body over 1 MiB.
            var big = admin.writeHeaders
            big["Content-Type"] = "application/json"
            let bigJSON = try await fetch(portal.url + "/api/records/\(id)/certificate/share", method: "POST", headers: big,
                                          body: GatewayAPITests.json(["shared": true, "pad": String(repeating: "x", count: 1 << 20)]))
            #expect(bigJSON.status == 413 && bigJSON.errorCode == "payload_too_large")
        }
    }

    /// A PNG of noise (barely compressible), about `megabytes` MB, made by Python's zlib.
    static func largePNG(megabytes: Int) async throws -> [UInt8] {
        let side = Int((Double(megabytes) * 1_000_000 / 3).squareRoot())
        let script = """
            import os, struct, sys, zlib
            w = h = \(side)
            raw = b''.join(b'\\x00' + os.urandom(w * 3) for y in range(h))
            chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
            sys.stdout.buffer.write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw, 1)) + chunk(b'IEND', b''))
            """
        return [UInt8](try await runTool("python3", ["-c", script]).output)
    }

    @Test func aLargeFileGoesUpInChunksAndComesDownStreamedByteExact() async throws {
        try await GatewayAPITests.withGateway { portal in
            let (admin, _) = try await Self.logIn(portal)
            let id = try #require(try await Self.records(portal, admin, status: "pending").first?["record_id"] as? Int)
            let bytes = try await Self.largePNG(megabytes: 15)
            #expect(bytes.count > 14_000_000 && bytes.count < 20 << 20)
            let added = try await Self.upload(portal, id, admin, bytes, query: "?file_name=big.png")
            #expect(added.status == 200, "\(added.text)")
            let file = try await fetch(portal.url + "/api/records/\(id)/certificate/file", headers: admin.headers)
            #expect(file.status == 200 && file.headers["content-length"] == "\(bytes.count)")
            #expect([UInt8](file.body) == bytes, "byte-exact")
        }
    }

    /// An upload of unknown size (chunked, as curl sends it) streams to cert-store as it
    /// arrives; once it passes 20 MB it is refused midway, and nothing changes.
    @Test func aChunkedUploadOverTheLimitIsRefusedMidwayAndChangesNothing() async throws {
        try await GatewayAPITests.withGateway { portal in
            let (admin, _) = try await Self.logIn(portal)
            let id = try #require(try await Self.records(portal, admin, status: "pending").first?["record_id"] as? Int)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chunked-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // A PDF's first bytes (cert-store's early look lets them through, and a PDF is
            // checked once whole), then too many more.
            let signature = Array("%PDF-1.7\n".utf8)
            try Data(signature + [UInt8](repeating: 0x20, count: (20 << 20) + 100_000)).write(to: directory.appendingPathComponent("big.png"))
            func curl(_ file: String) async throws -> (status: String, body: String) {
                var arguments = ["-s", "-w", "\n%{http_code}", "-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/octet-stream",
                                 "--data-binary", "@" + file, portal.url + "/api/records/\(id)/certificate/upload"]
                for (name, value) in admin.writeHeaders where name.lowercased() != "content-type" { arguments += ["-H", "\(name): \(value)"] }
                let text = try await runTool("curl", arguments, in: directory).text
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"))
            }
            let refused = try await curl("big.png")
            #expect(refused.status == "413" && refused.body.contains("payload_too_large") && refused.body.contains("file"), "\(refused)")
            #expect(try await fetch(portal.url + "/api/records/\(id)/certificate", headers: admin.headers).status == 404)
            // The same way, a file within the limit goes up whole.
            let png = try await Self.largePNG(megabytes: 3)
            try Data(png).write(to: directory.appendingPathComponent("small.png"))
            let added = try await curl("small.png")
            #expect(added.status == "200", "\(added)")
            let file = try await fetch(portal.url + "/api/records/\(id)/certificate/file", headers: admin.headers)
            #expect([UInt8](file.body) == png, "byte-exact")
        }
    }

    @Test func bookersDownloadOnlySharedCertificates() async throws {
        try await GatewayAPITests.withGateway { portal in
            let (admin, booker) = try await Self.logIn(portal)
            let id = try #require(try await Self.records(portal, booker, status: "pending").first?["record_id"] as? Int)
            #expect(try await Self.post(portal, "/api/records/\(id)/certificate/issue", admin, ["share": false]).status == 200)

            let hidden = try await fetch(portal.url + "/api/records/\(id)/certificate/file", headers: booker.headers)
            #expect(hidden.status == 404 && hidden.errorCode == "not_found", "\(hidden.text)")
            #expect(try await fetch(portal.url + "/api/records/\(id)/certificate", headers: booker.headers).status == 404)
            #expect(try await Self.post(portal, "/api/records/\(id)/certificate/share", booker, ["shared": true]).status == 403)

            let shared = try await Self.post(portal, "/api/records/\(id)/certificate/share", admin, ["shared": true])
            #expect(shared.status == 200 && Self.record(shared)["shared"] as? Bool == true, "\(shared.text)")
            let mine = try await fetch(portal.url + "/api/records/\(id)/certificate/file", headers: booker.headers)
            let adminCopy = try await fetch(portal.url + "/api/records/\(id)/certificate/file", headers: admin.headers)
            #expect(mine.status == 200 && mine.body == adminCopy.body && mine.body.starts(with: Array("%PDF".utf8)))
            let seen = try await fetch(portal.url + "/api/records/\(id)/certificate", headers: booker.headers)
            #expect(seen.status == 200 && seen.object["verification_code"] is NSNull && seen.object["verification_url"] is NSNull)
            #expect((seen.object["versions"] as? [[String: Any]])?.count == 1)

            // Another booker's record stays not found.
            let all = try #require(try await GatewayAPITests.records(portal, admin, "?page_size=500&status=pending").object["records"] as? [[String: Any]])
            let foreign = try #require(all.first { $0["booker_id"] as? String != "BKR-2" }?["record_id"] as? Int)
            #expect(try await Self.post(portal, "/api/records/\(foreign)/certificate/issue", admin, ["share": true]).status == 200)
            #expect(try await fetch(portal.url + "/api/records/\(foreign)/certificate/file", headers: booker.headers).status == 404)

            let batch = try await Self.post(portal, "/api/certificates/share", admin, ["record_ids": [id, foreign, 999_999], "shared": false])
            #expect(batch.status == 200 && batch.object["updated"] as? Int == 2, "\(batch.text)")
            #expect((batch.object["problems"] as? [[String: Any]])?.first?["record_id"] as? Int == 999_999)
        }
    }

    @Test func verificationShowsValidThenRevokedAndIsRateLimited() async throws {
        try await GatewayAPITests.withGateway { portal in
            let (admin, _) = try await Self.logIn(portal)
            let record = try #require(try await Self.records(portal, admin, status: "pending").first)
            let id = try #require(record["record_id"] as? Int)
            let issued = try await Self.post(portal, "/api/records/\(id)/certificate/issue", admin, ["share": false])
            let code = try #require(Self.certificate(issued)["verification_code"] as? String)

            let valid = try await fetch(portal.url + "/api/verify/\(code)")
            #expect(valid.status == 200, "\(valid.text)")
            #expect(Set(valid.object.keys) == ["holder", "course", "completion_date", "expiry_date", "state", "certificate_number", "provider"])
            #expect(valid.object["state"] as? String == "valid" && valid.object["holder"] as? String == record["contact_name"] as? String)
            let page = try await fetch(portal.url + "/verify/\(code)")
            #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("Valid") && page.text.contains("Zoë&#39;s Training Ltd") && !page.text.contains("<script"))
            #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)

            let revoked = try await Self.post(portal, "/api/records/\(id)/certificate/revoke", admin, ["reason": "issued in error"])
            #expect(revoked.status == 200, "\(revoked.text)")
            #expect(Self.record(revoked)["status"] as? String == "pending", "its only version is revoked: \(revoked.text)")
            #expect(try await Self.post(portal, "/api/records/\(id)/certificate/revoke", admin, [:]).errorField == "reason")
            #expect(try await fetch(portal.url + "/api/verify/\(code)").object["state"] as? String == "revoked")
            #expect(try await fetch(portal.url + "/verify/\(code)").text.contains("Revoked"))

            let unknown = try await fetch(portal.url + "/api/verify/NO-SUCH-CODE-0000")
            #expect(unknown.status == 404 && unknown.errorCode == "not_found")
            let unknownPage = try await fetch(portal.url + "/verify/%3Cscript%3E")
            #expect(unknownPage.status == 404 && unknownPage.text.contains("not found") && !unknownPage.text.contains("<script>"))

            // 20 a minute per address, the page and the API together: the rest get 429.
            var limited: HTTPAnswer?
            for _ in 0..<25 {
                let answer = try await fetch(portal.url + "/api/verify/\(code)")
                if answer.status == 429 { limited = answer; break }
            }
            let refused = try #require(limited)
            #expect(refused.errorCode == "resource_exhausted" && Int(refused.headers["retry-after"] ?? "") ?? 0 >= 1)
            let limitedPage = try await fetch(portal.url + "/verify/\(code)")
            #expect(limitedPage.status == 429 && limitedPage.headers["retry-after"] != nil)
        }
    }

    @Test func templatesAreReadAndSavedByAdminsOnly() async throws {
        try await GatewayAPITests.withGateway { portal in
            let (admin, booker) = try await Self.logIn(portal)
            let list = try await fetch(portal.url + "/api/templates", headers: admin.headers)
            #expect(list.status == 200, "\(list.text)")
            let template = try #require((list.object["templates"] as? [[String: Any]])?.first)
            #expect((list.object["placeholders"] as? [String])?.contains("{contact_name}") == true)
            let templateID = try #require(template["template_id"] as? String)
            #expect(try await fetch(portal.url + "/api/templates/\(templateID)", headers: booker.headers).status == 403)

            var changed = template
            changed["title"] = "Certificate of Training — Zoë's"
            let saved = try await fetch(portal.url + "/api/templates/\(templateID)", method: "PUT", headers: admin.writeHeaders,
                                        body: try JSONSerialization.data(withJSONObject: changed))
            #expect(saved.status == 200 && saved.object["title"] as? String == "Certificate of Training — Zoë's", "\(saved.text)")
            var bad = template
            bad["primary_colour"] = "red"
            let refused = try await fetch(portal.url + "/api/templates/\(templateID)", method: "PUT", headers: admin.writeHeaders,
                                          body: try JSONSerialization.data(withJSONObject: bad))
            #expect(refused.status == 400 && refused.errorField == "primary_colour", "\(refused.text)")

            let preview = try await fetch(portal.url + "/api/templates/preview", method: "POST", headers: admin.writeHeaders,
                                          body: try JSONSerialization.data(withJSONObject: changed))
            #expect(preview.status == 200 && preview.headers["content-type"] == "application/pdf" && preview.body.starts(with: Array("%PDF".utf8)))
        }
    }
}
