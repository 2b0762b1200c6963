import Testing
import CertificatePDF

@Suite struct FillTests {
    @Test func everyPlaceholderIsReplaced() {
        let content = Fixtures.content()
        let text = CertificateRenderer.placeholders.map { "[{\($0)}]" }.joined(separator: " ")
        let filled = CertificateRenderer.fill(text, content)
        #expect(!filled.contains("{"), "\(filled)")
        #expect(filled == "[Northwind Safety Training] [Zoë Brontë] [Fire Safety and Evacuation Level 2] [Acme Logistics Ltd]"
                + " [2 March 2026] [1 March 2029] [CP-2026-000123] [https://certs.example.org/verify/CP-2026-000123?k=7f3a9c2e]")
        #expect(CertificateRenderer.placeholders.count == 8)
    }

    @Test func missingExpiryReadsDoesNotExpire() {
        let filled = CertificateRenderer.fill("valid: {expiry_date}", Fixtures.content(expiry: nil))
        #expect(filled == "valid: does not expire")
    }

    @Test func datesAreReadable() {
        var content = Fixtures.content()
        for (iso, readable) in [("2026-03-02", "2 March 2026"), ("2024-02-29", "29 February 2024"), ("1999-12-31", "31 December 1999")] {
            content.completionDate = iso
            #expect(CertificateRenderer.fill("{completion_date}", content) == readable)
        }
    }

    @Test func valuesAreNotExpandedAgainAndUnknownNamesStay() {
        let content = Fixtures.content(name: "{course_name}")
        #expect(CertificateRenderer.fill("{contact_name} / {nope} / { / {course_name", content)
                == "{course_name} / {nope} / { / {course_name")
    }
}

@Suite struct ValidateTests {
    @Test func standardTemplateIsValid() throws {
        try CertificateRenderer.validate(.standard)
        var withLogo = CertificateTemplate.standard
        withLogo.logoPNG = Fixtures.logoPNG
        try CertificateRenderer.validate(withLogo)
    }

    /// The error a template edit gets, as text.
    func refusal(_ edit: (inout CertificateTemplate) -> Void) -> String? {
        var template = CertificateTemplate.standard
        edit(&template)
        do {
            try CertificateRenderer.validate(template)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func badColoursAreRefusedNamingTheField() {
        for bad in ["1f3a5f", "#1f3a5", "#1f3a5fa", "#gg3a5f", "navy", "", "#+f3a5f", "#１f3a5f"] {
            #expect(refusal { $0.primaryColour = bad }?.contains("primaryColour") == true, "\(bad)")
            #expect(refusal { $0.accentColour = bad }?.contains("accentColour") == true, "\(bad)")
        }
        #expect(refusal { $0.primaryColour = "#ABCDEF" } == nil)
    }

    @Test func unknownPlaceholderIsNamed() throws {
        let message = try #require(refusal { $0.body = "This is to certify that {contact_name} passed {exam_score}." })
        #expect(message.contains("body"))
        #expect(message.contains("{exam_score}"))
        #expect(refusal { $0.footer = "No {certificate_number" }?.contains("footer") == true)
        #expect(refusal { $0.title = "{course_nam}" }?.contains("{course_nam}") == true)
        #expect(refusal { $0.signatory = "{Signatory}" }?.contains("signatory") == true)
    }

    @Test func logoThatIsNotAPNGIsRefused() throws {
        let jpeg: [UInt8] = [0xff, 0xd8, 0xff, 0xe0, 0, 0x10] + Array("JFIF".utf8) + [UInt8](repeating: 0, count: 100)
        #expect(refusal { $0.logoPNG = jpeg }?.contains("logoPNG") == true)
        // The signature alone is not enough: the image must decode.
        let truncated = Array(Fixtures.logoPNG.prefix(60))
        #expect(refusal { $0.logoPNG = truncated }?.contains("logoPNG") == true)
        #expect(refusal { $0.logoPNG = [] }?.contains("logoPNG") == true)
    }

    @Test func lengthsAreChecked() {
        #expect(refusal { $0.title = "" }?.contains("title") == true)
        #expect(refusal { $0.body = String(repeating: "x", count: 1001) }?.contains("body") == true)
        #expect(refusal { $0.templateID = "" }?.contains("templateID") == true)
        #expect(refusal { $0.signatory = String(repeating: "x", count: 101) }?.contains("signatory") == true)
    }
}
