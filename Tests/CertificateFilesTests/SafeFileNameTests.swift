import CertificateFiles
import Testing

@Suite struct SafeFileNameTests {
    @Test func makesTheCertificateName() {
        #expect(SafeFileName.make(contact: "Zoë Brown", course: "First Aid at Work", date: "2026-03-02", fileExtension: "pdf")
            == "Zoë Brown - First Aid at Work - 2026-03-02.pdf")
        #expect(SafeFileName.make(contact: "A/B", course: "Level 3: Safeguarding?", date: "2026-03-02", fileExtension: ".JPG")
            == "A_B - Level 3- Safeguarding_ - 2026-03-02.jpg")
    }

    @Test func makesALongCertificateNameShortKeepingTheDate() {
        let name = SafeFileName.make(contact: "Zoë Brown", course: String(repeating: "Advanced Paediatric Life Support ", count: 10),
                                     date: "2026-03-02", fileExtension: "pdf")
        #expect(name.utf8.count <= 180)
        #expect(name.hasPrefix("Zoë Brown - Advanced Paediatric"))
        #expect(name.hasSuffix(" - 2026-03-02.pdf"))
    }

    @Test(arguments: [
        ("../../etc/passwd", "etc_passwd"),
        ("/etc/passwd", "etc_passwd"),
        ("..\\..\\windows\\system.ini", "windows_system.ini"),
        ("..", "file"),
        ("../", "file"),
        ("a/./b/../c.pdf", "a_b_c.pdf"),
    ])
    func removesPathSegments(name: String, expected: String) {
        let safe = SafeFileName.sanitize(name)
        #expect(safe == expected)
        #expect(!safe.contains("/") && !safe.contains("\\") && !safe.contains(".."))
    }

    @Test(arguments: [
        ("CON.pdf", "_CON.pdf"), ("con", "_con"), ("Nul.tar.gz", "_Nul.tar.gz"), ("COM1.jpg", "_COM1.jpg"),
        ("lpt9.png", "_lpt9.png"), ("AUX .pdf", "_AUX.pdf"), ("PRN", "_PRN"),
        ("CONTRACT.pdf", "CONTRACT.pdf"), ("COM10.pdf", "COM10.pdf"), ("icon.png", "icon.png"),
    ])
    func avoidsWindowsReservedNames(name: String, expected: String) {
        #expect(SafeFileName.sanitize(name) == expected)
    }

    @Test func removesControlAndForbiddenCharacters() {
        #expect(SafeFileName.sanitize("a\u{0}b\u{7}c\u{1B}[31m.pdf") == "abc[31m.pdf")
        #expect(SafeFileName.sanitize("line\none\ttab.pdf") == "line one tab.pdf")
        #expect(SafeFileName.sanitize("<a>:\"b\"|c?*.pdf") == "_a_-'b'_c__.pdf")
        // U+202E would show "invoice‮fdp.exe" as "invoiceexe.pdf".
        #expect(SafeFileName.sanitize("invoice\u{202E}fdp.exe") == "invoicefdp.exe")
        #expect(SafeFileName.sanitize("\u{7F}\u{9F}") == "file")
        #expect(SafeFileName.sanitize("\u{FEFF}a\u{200E}b\u{2066}c") == "abc")
    }

    @Test func trimsDotsAndSpaces() {
        #expect(SafeFileName.sanitize("  .hidden.pdf. . ") == "hidden.pdf")
        #expect(SafeFileName.sanitize("report .pdf") == "report.pdf")
        #expect(SafeFileName.sanitize("   ") == "file")
        #expect(SafeFileName.sanitize("") == "file")
        #expect(SafeFileName.sanitize(".pdf") == "pdf")
    }

    @Test func shortensALongNameKeepingTheExtensionAndWholeCharacters() {
        for unit in ["a", "é", "日本", "👩🏽‍⚕️", "e\u{301}"] {
            let name = String(repeating: unit, count: 300) + ".pdf"
            let safe = SafeFileName.sanitize(name)
            #expect(safe.utf8.count <= 180, "\(unit)")
            #expect(safe.hasSuffix(".pdf"), "\(unit)")
            // Valid UTF-8, whole characters only: the stem is the same unit repeated.
            #expect(String(validating: Array(safe.utf8), as: UTF8.self) == safe)
            let stem = safe.dropLast(4)
            let normalisedUnit = SafeFileName.sanitize(unit)
            #expect(stem.count > 0 && String(stem) == String(repeating: normalisedUnit, count: stem.count / normalisedUnit.count))
        }
        let small = SafeFileName.sanitize(String(repeating: "x", count: 300) + ".pdf", maxBytes: 40)
        #expect(small.utf8.count == 40 && small.hasSuffix(".pdf"))
    }

    @Test func normalisesToNFC() {
        let decomposed = "Zoe\u{0308}.pdf"
        #expect(Array(SafeFileName.sanitize(decomposed).utf8) == Array("Zo\u{00EB}.pdf".utf8))
    }

    @Test func keepsEmojiAndCJK() {
        #expect(SafeFileName.sanitize("证书 🎓 王小明.pdf") == "证书 🎓 王小明.pdf")
        #expect(SafeFileName.sanitize("応急手当 - 2026-03-02.png") == "応急手当 - 2026-03-02.png")
        #expect(SafeFileName.sanitize("محمد 👩🏽‍⚕️.jpg") == "محمد 👩🏽‍⚕️.jpg")
    }

    @Test func uniqueNamesCountDuplicates() {
        var names = SafeFileName.UniqueNames()
        #expect(names.claim("a.pdf") == "a.pdf")
        #expect(names.claim("a.pdf") == "a (2).pdf")
        #expect(names.claim("a.pdf") == "a (3).pdf")
        #expect(names.claim("b") == "b")
        #expect(names.claim("b") == "b (2)")
    }

    @Test func uniqueNamesTreatNFDAndNFCAsTheSame() {
        var names = SafeFileName.UniqueNames()
        #expect(names.claim("Zo\u{00EB} Brown.pdf") == "Zoë Brown.pdf")
        let second = names.claim("Zoe\u{0308} Brown.pdf")
        #expect(Array(second.utf8) == Array("Zo\u{00EB} Brown (2).pdf".utf8))
    }

    @Test func uniqueNamesIgnoreCase() {
        var names = SafeFileName.UniqueNames()
        #expect(names.claim("Certificate.PDF") == "Certificate.PDF")
        #expect(names.claim("certificate.pdf") == "certificate (2).pdf")
        #expect(names.claim("CERTIFICATE (2).pdf") == "CERTIFICATE (2) (2).pdf")
        #expect(names.claim("ÉTÉ.pdf") == "ÉTÉ.pdf")
        #expect(names.claim("été.pdf") == "été (2).pdf")
    }

    @Test func uniqueNamesSkipNamesClaimedOutright() {
        var names = SafeFileName.UniqueNames()
        #expect(names.claim("a (2).pdf") == "a (2).pdf")
        #expect(names.claim("a.pdf") == "a.pdf")
        #expect(names.claim("a.pdf") == "a (3).pdf")
    }

    @Test func uniqueNamesStayWithinTheLimit() {
        var names = SafeFileName.UniqueNames()
        let long = String(repeating: "ü", count: 200) + ".pdf"
        let first = names.claim(long), second = names.claim(long)
        #expect(first != second)
        #expect(first.utf8.count <= 180 && second.utf8.count <= 180)
        #expect(second.hasSuffix(" (2).pdf"))
    }
}
