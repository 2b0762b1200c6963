import Mail
import Testing

@Suite struct MailAddressTests {
    @Test func goodAddressesAreKept() throws {
        let address = try MailAddress("zoe.bronte+certs@example.co.uk", name: "Zoë Brontë")
        #expect(address.address == "zoe.bronte+certs@example.co.uk")
        #expect(address.name == "Zoë Brontë")
        #expect(address.description == "Zoë Brontë <zoe.bronte+certs@example.co.uk>")
        #expect(try MailAddress("a@b").description == "a@b")
    }

    @Test(arguments: [
        ("", "empty"),
        ("booker.example.test", "no @"),
        ("a@b@example.test", "more than one @"),
        ("@example.test", "nothing before the @"),
        ("booker@", "no domain after the @"),
        ("book er@example.test", "space"),
        ("booker@example.test\r\nBcc: x@y", "control character U+000D"),
        ("booker@exa\nmple.test", "control character U+000A"),
        ("<booker@example.test>", "\"<\""),
        ("booker@example.test>", "\">\""),
        ("a,b@example.test", "\",\""),
        ("zoë@example.test", "non-ASCII"),
        ("booker@example..test", "dot"),
        (String(repeating: "a", count: 250) + "@b.cd", "longer than 254"),
    ])
    func badAddressesAreRefusedWithTheReason(address: String, reason: String) {
        do {
            _ = try MailAddress(address)
            Issue.record("\(address) was accepted")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.message.contains(reason), "\(error.message)")
            #expect(!error.message.contains("\r") && !error.message.contains("\n"), "the message shows control characters escaped")
        }
    }

    @Test func aDisplayNameWithALineBreakIsRefused() {
        #expect(throws: MailError.self) { try MailAddress("a@example.test", name: "Ada\r\nBcc: evil@example.test") }
    }
}

@Suite struct SMTPSettingsTests {
    @Test func aFullURL() throws {
        let settings = try SMTPSettings(url: "smtp://mailer%40portal:p%3Ass@smtp.example.test:2525?security=none")
        #expect(settings.host == "smtp.example.test")
        #expect(settings.port == 2525)
        #expect(settings.security == .none)
        #expect(settings.username == "mailer@portal")
        #expect(settings.password == "p:ss")
    }

    @Test func defaultsFollowTheSecurity() throws {
        let plain = try SMTPSettings(url: "smtp://relay.test")
        #expect(plain.security == .startTLS && plain.port == 587 && plain.username == nil)
        #expect(try SMTPSettings(url: "smtp://relay.test?security=none").port == 25)
        #expect(try SMTPSettings(url: "smtp://relay.test?security=tls").port == 465)
        let smtps = try SMTPSettings(url: "smtps://user@relay.test/")
        #expect(smtps.security == .tls && smtps.port == 465 && smtps.username == "user" && smtps.password == nil)
        let v6 = try SMTPSettings(url: "smtp://[::1]:25?security=none")
        #expect(v6.host == "[::1]" && v6.port == 25)
    }

    @Test(arguments: [
        ("http://relay.test", "scheme"),
        ("smtp://", "host"),
        ("smtp://:pass@relay.test", "user"),
        ("smtp://user:%zz@relay.test", "password"),
        ("smtp://relay.test:0", "port"),
        ("smtp://relay.test:70000", "port"),
        ("smtp://relay.test:smtp", "port"),
        ("smtp://relay.test?security=ssl", "security"),
        ("smtp://relay.test?tls=yes", "query"),
        ("smtps://relay.test?security=none", "security"),
        ("smtp://relay.test/mail", "path"),
        ("smtp://relay test", "host"),
        ("smtp://[::1", "host"),
    ])
    func badURLsNameThePart(url: String, part: String) {
        do {
            _ = try SMTPSettings(url: url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.message.hasPrefix("SMTP URL \(part)"), "\(url): \(error.message)")
        }
    }
}
