import Testing
import Foundation
@testable import Gateway
import HTTPServer
import Messages

@Suite struct ContentDispositionTests {
    @Test func aNameWithAccentsQuotesSlashesAndControlsWorksInEveryBrowser() {
        let header = CertificateJSON.contentDisposition(fileName: "Zoë \"Q\" Brown/..\u{01}.pdf")
        #expect(header == "attachment; filename=\"Zoe 'Q' Brown_...pdf\"; filename*=UTF-8''Zo%C3%AB%20%22Q%22%20Brown_...pdf")
    }

    @Test func otherScriptsFallBackToUnderscoresAndKeepTheirExactName() {
        let header = CertificateJSON.contentDisposition(fileName: "李雷 - First Aid.pdf")
        #expect(header.hasPrefix("attachment; filename=\"__ - First Aid.pdf\"; filename*=UTF-8''"))
        #expect(header.hasSuffix("%E6%9D%8E%E9%9B%B7%20-%20First%20Aid.pdf"))
    }

    @Test func anEmptyOrDotsOnlyNameIsStillAName() {
        #expect(CertificateJSON.contentDisposition(fileName: "") == "attachment; filename=\"certificate\"; filename*=UTF-8''certificate")
        #expect(CertificateJSON.contentDisposition(fileName: "../../etc/passwd").contains("filename=\"_.._etc_passwd\""))
    }
}

@Suite struct RateLimiterTests {
    @Test func twentyAMinutePerAddressThenAWaitUntilTheNextToken() {
        let limiter = RateLimiter(perMinute: 20)
        let now = Date()
        for index in 0..<20 { #expect(limiter.take("10.0.0.1", now: now) == nil, "request \(index)") }
        #expect(limiter.take("10.0.0.1", now: now) == 3, "one token every 3 s")
        #expect(limiter.take("10.0.0.2", now: now) == nil, "another address has its own bucket")
        #expect(limiter.take("10.0.0.1", now: now.addingTimeInterval(1)) == 2)
        #expect(limiter.take("10.0.0.1", now: now.addingTimeInterval(3.01)) == nil)
        #expect(limiter.take("10.0.0.1", now: now.addingTimeInterval(3.02)) != nil)
        // After a quiet minute the bucket is full again, and no fuller.
        for _ in 0..<20 { #expect(limiter.take("10.0.0.1", now: now.addingTimeInterval(600)) == nil) }
        #expect(limiter.take("10.0.0.1", now: now.addingTimeInterval(600)) != nil)
    }
}

@Suite struct BatchLineTests {
    @Test func eachProgressIsOneJSONLineAndTheLastOneHasTheTotals() throws {
        var progress = Certportal_Certificates_V1_IssueProgress()
        progress.recordId = 12
        progress.issued = true
        progress.done = 1
        progress.total = 2
        progress.certificateNumber = "CP-2026-000012"
        progress.seq = 99
        let issued = CertificateJSON.progressLine(progress)
        #expect(issued.last == 0x0A && issued.dropLast().contains(0x0A) == false)
        #expect(String(decoding: issued, as: UTF8.self) ==
                "{\"record_id\":12,\"issued\":true,\"problem\":null,\"done\":1,\"total\":2,\"certificate_number\":\"CP-2026-000012\"}\n")
        var refused = Certportal_Certificates_V1_IssueProgress()
        refused.recordId = 13
        refused.problem = "record_id: the delegate failed\nthe course"
        refused.done = 2
        refused.total = 2
        let line = CertificateJSON.progressLine(refused)
        #expect(line.filter { $0 == 0x0A }.count == 1, "a newline in a problem stays inside the JSON string")
        #expect(JSON.parse(Array(line.dropLast()))?["problem"]?.stringValue == "record_id: the delegate failed\nthe course")
        #expect(String(decoding: CertificateJSON.finishedLine(issued: 1, refused: 1, done: 2, total: 2), as: UTF8.self) ==
                "{\"finished\":true,\"issued\":1,\"refused\":1,\"done\":2,\"total\":2}\n")
    }
}

@Suite struct CertificateJSONTests {
    static func certificate() -> Certportal_Certificates_V1_Certificate {
        var certificate = Certportal_Certificates_V1_Certificate()
        certificate.recordId = 12
        certificate.certificateNumber = "CP-2026-000012"
        certificate.verificationCode = "abc-123"
        certificate.shared = true
        certificate.currentVersion = 2
        for number in [2, 1] as [UInt32] {
            var version = Certportal_Certificates_V1_Version()
            version.number = number
            version.kind = number == 1 ? "internal" : "external"
            version.state = number == 2 ? "current" : "superseded"
            version.createdAtMs = 1_781_518_921_000
            version.replaces = number == 2 ? 1 : 0
            certificate.versions.append(version)
        }
        return certificate
    }

    @Test func adminsSeeEveryVersionAndTheCodeOthersOnlyTheCurrentVersion() {
        let admin = CertificateJSON.certificate(Self.certificate(), admin: true, verifyBase: "http://portal.example")
        #expect(admin["verification_code"] == "abc-123")
        #expect(admin["verification_url"] == "http://portal.example/verify/abc-123")
        guard case .array(let versions)? = admin["versions"] else { Issue.record("no versions"); return }
        #expect(versions.map { $0["number"] } == [.number(1), .number(2)], "oldest first")
        #expect(versions[1]["replaces"] == .number(1) && versions[0]["replaces"] == .null)
        #expect(versions[0]["created_at"] == "2026-06-15T10:22:01Z")

        let booker = CertificateJSON.certificate(Self.certificate(), admin: false, verifyBase: "http://portal.example")
        #expect(booker["verification_code"] == .null && booker["verification_url"] == .null)
        guard case .array(let current)? = booker["versions"] else { Issue.record("no versions"); return }
        #expect(current.map { $0["number"] } == [.number(2)])
    }

    @Test func aTemplateBodyIsCheckedMemberByMember() throws {
        let template = try CertificateJSON.template(from: ["name": "Default", "primary_colour": "#112233", "revision": 3,
                                                           "logo_png_base64": .string(Data([1, 2, 3]).base64EncodedString())], id: "default")
        #expect(template.templateId == "default" && template.name == "Default" && template.revision == 3 && template.logoPng == [1, 2, 3])
        #expect(throws: APIError.invalid("title", "must be a string")) { try CertificateJSON.template(from: ["title": 5], id: "x") }
        #expect(throws: APIError.invalid("logo_png_base64", "must be a PNG in base64")) {
            try CertificateJSON.template(from: ["logo_png_base64": "%%%"], id: "x")
        }
    }
}

@Suite struct VerifyPageTests {
    @Test func everythingIsEscapedAndOnlyTheVerificationIsShown() {
        var verification = Certportal_Certificates_V1_Verification()
        verification.holder = "<script>alert(1)</script> Zoë \"Q\" O'Brien"
        verification.course = "First Aid & CPR"
        verification.completionDate = "2026-03-02"
        verification.state = "revoked"
        verification.certificateNumber = "CP-2026-000012"
        verification.provider = "Acme <Training>"
        let page = VerifyPage(providerName: "Zoë's <Training>", hasLogo: false).response(for: verification)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(page.status == 200 && page.header("content-type")?.hasPrefix("text/html") == true)
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Zoë &quot;Q&quot; O&#39;Brien"))
        #expect(html.contains("First Aid &amp; CPR") && html.contains("Acme &lt;Training&gt;") && html.contains("Zoë&#39;s &lt;Training&gt;"))
        #expect(html.contains("Revoked") && html.contains("Does not expire"))
        #expect(!html.contains("style=") && !html.contains("<script"), "the CSP allows neither")
        #expect(html.contains("/branding/theme.css"))
    }

    @Test func theThemeCarriesTheProvidersColourOnly() {
        let css = String(decoding: VerifyPage.theme(colour: "#ffee00").body, as: UTF8.self)
        #expect(css.contains("--brand: #ffee00") && css.contains("--brand-ink: #111111"))
        #expect(String(decoding: VerifyPage.theme(colour: "red;}</style>").body, as: UTF8.self).contains("#1f5fa8"))
    }
}

@Suite struct JSONBodyLimitTests {
    @Test func aJSONBodyOverOneMebibyteIs413() throws {
        var body = Array("{\"a\":\"".utf8) + [UInt8](repeating: 0x61, count: 1 << 20) + Array("\"}".utf8)
        let call = Call(request: HTTPRequest(method: "POST", path: "/api/x", headers: ["content-type": "application/json"], body: body),
                        session: nil, pathParameters: [:], requestID: "t")
        #expect(throws: APIError(413, "payload_too_large", "the request body is over 1048576 bytes")) { try call.jsonBody() }
        body = Array("{\"a\":1}".utf8)
        let small = Call(request: HTTPRequest(method: "POST", path: "/api/x", headers: ["content-type": "application/json"], body: body),
                         session: nil, pathParameters: [:], requestID: "t")
        #expect(try small.jsonBody()["a"] == .number(1))
    }
}
