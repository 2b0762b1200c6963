import Foundation
import Synchronization
import Testing
import CertificatePDF

// Serialized: each render takes the calling thread for a while; two at once would take both
// of the cooperative pool's threads from every other test in the process.
@Suite(.serialized) struct RenderTests {
    @Test func longNameIs120Characters() { #expect(Fixtures.longName.count == 120) }

    /// Each name, checked by qpdf, pdftotext, pdffonts and zbarimg.
    @Test(arguments: Fixtures.names)
    func nameRendersToAValidCertificate(name: String) async throws {
        let content = Fixtures.content(name: name)
        let pdf = try RenderedPDF(CertificateRenderer.render(.standard, content))
        defer { pdf.remove() }
        try await pdf.expectValid()

        let text = try await pdf.text()
        #expect(text.contains(normalised(name)), "\(text)")
        #expect(text.contains(content.certificateNumber))
        #expect(text.contains("2 March 2026"))
        #expect(text.contains("1 March 2029"))

        let fonts = try await pdf.fonts()
        #expect(!fonts.isEmpty)
        for font in fonts { #expect(font.embedded, "\(font.name) is not embedded") }

        #expect(try await pdf.qrPayloads() == [content.verificationURL])
    }

    @Test func metadataNamesTitleAndProvider() throws {
        let bytes = try CertificateRenderer.render(.standard, Fixtures.content())
        // cairo writes the Info dictionary's strings in UTF-16BE hex when they are not ASCII.
        let pdf = String(decoding: bytes, as: UTF8.self)
        #expect(pdf.contains("/Author (Northwind Safety Training)"))
        #expect(pdf.contains("/Title"))
    }

    @Test func noExpiryRendersDoesNotExpire() async throws {
        let pdf = try RenderedPDF(CertificateRenderer.render(.standard, Fixtures.content(expiry: nil)))
        defer { pdf.remove() }
        try await pdf.expectValid()
        #expect(try await pdf.text().lowercased().contains("does not expire"))
    }

    @Test func logoPortraitAndLongTextsStayValid() async throws {
        var template = CertificateTemplate.standard
        template.orientation = .portrait
        template.logoPNG = Fixtures.logoPNG
        template.primaryColour = "#0b5d3b"
        template.accentColour = "#c9a227"
        template.body = "This is to certify that {contact_name} of {organisation_name} completed {course_name} on {completion_date}. "
            + String(repeating: "The course covered risk assessment, alarms, extinguishers and evacuation drills. ", count: 9)
        template.footer = String(repeating: "Certificate {certificate_number} · verify at {verification_url} · ", count: 3)
        let content = Fixtures.content(name: Fixtures.longName)
        let pdf = try RenderedPDF(CertificateRenderer.render(template, content))
        defer { pdf.remove() }
        try await pdf.expectValid()
        #expect(try await pdf.text().contains(Fixtures.longName))
        #expect(try await pdf.qrPayloads() == [content.verificationURL])
    }

    /// The longest texts validate() allows still fit, in both orientations, with usual content.
    @Test(arguments: [PageOrientation.landscape, .portrait])
    func longestAllowedTemplateTextsFit(orientation: PageOrientation) async throws {
        var template = CertificateTemplate.standard
        template.orientation = orientation
        template.title = String(repeating: "Certificate ", count: 10)
        template.body = "This is to certify that {contact_name} of {organisation_name} completed {course_name} on {completion_date}."
        while template.body.count < 900 { template.body += " The course covered alarms, extinguishers and drills." }
        template.footer = "Certificate {certificate_number} · verify at {verification_url}"
        while template.footer.count < 330 { template.footer += " · Kept on record by the provider." }
        template.signatory = String(repeating: "Trainer ", count: 12)
        try CertificateRenderer.validate(template)
        let pdf = try RenderedPDF(CertificateRenderer.render(template, Fixtures.content()))
        defer { pdf.remove() }
        try await pdf.expectValid()
    }

    /// The longest content render() accepts fits the standard template, in both orientations.
    @Test(arguments: [PageOrientation.landscape, .portrait])
    func longestAllowedContentFits(orientation: PageOrientation) async throws {
        var template = CertificateTemplate.standard
        template.orientation = orientation
        var content = Fixtures.content(name: String(String(repeating: "Wolfeschlegelstein ", count: 11).prefix(200)),
                                       number: String(repeating: "9", count: 64))
        content.courseName = String(String(repeating: "Course ", count: 29).prefix(200))
        content.organisationName = String(String(repeating: "Organisation ", count: 16).prefix(200))
        content.providerName = String(String(repeating: "Provider ", count: 14).prefix(120))
        content.verificationURL = "https://certs.example.org/verify/" + String(repeating: "a", count: 200 - 33)
        let pdf = try RenderedPDF(CertificateRenderer.render(template, content))
        defer { pdf.remove() }
        try await pdf.expectValid()
        #expect(try await pdf.text().contains(content.certificateNumber))
    }

    @Test func characterNoFontHasIsAnErrorNamingTheText() throws {
        let unassigned = "Zoë \u{0378}"
        #expect {
            try CertificateRenderer.render(.standard, Fixtures.content(name: unassigned))
        } throws: { error in
            "\(error)".contains("contactName") && "\(error)".contains(unassigned)
        }
    }

    /// Writes sample certificates to $CERTIFICATE_SAMPLES (a directory) to look at; off unless set.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CERTIFICATE_SAMPLES"] != nil))
    func writeSamples() throws {
        let directory = ProcessInfo.processInfo.environment["CERTIFICATE_SAMPLES"]!
        var withLogo = CertificateTemplate.standard
        withLogo.logoPNG = Fixtures.logoPNG
        var portrait = withLogo
        portrait.orientation = .portrait
        for (index, name) in Fixtures.names.enumerated() {
            for (suffix, template) in [("landscape", CertificateTemplate.standard), ("logo", withLogo), ("portrait", portrait)] {
                let bytes = try CertificateRenderer.render(template, Fixtures.content(name: name, expiry: index == 0 ? nil : "2029-03-01"))
                try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/\(index)-\(suffix).pdf"))
            }
        }
    }

    @Test func badContentIsRefusedNamingTheField() {
        var content = Fixtures.content()
        content.completionDate = "02/03/2026"
        #expect { try CertificateRenderer.render(.standard, content) } throws: { "\($0)".contains("completionDate") }
        content = Fixtures.content()
        content.verificationURL = "https://certs.example.org/vérifier"
        #expect { try CertificateRenderer.render(.standard, content) } throws: { "\($0)".contains("verificationURL") }
        content = Fixtures.content()
        content.contactName = String(repeating: "W", count: 201)
        #expect { try CertificateRenderer.render(.standard, content) } throws: { "\($0)".contains("contactName") }
    }

    @Test func eightConcurrentRendersGiveEightValidPDFs() async throws {
        let contents = (0..<8).map { index in
            Fixtures.content(name: Fixtures.names[index % Fixtures.names.count], number: "CP-2026-\(100 + index)")
        }
        let rendered = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, content) in contents.enumerated() {
                group.addTask { (index, try CertificateRenderer.render(.standard, content)) }
            }
            return try await group.reduce(into: [Int: [UInt8]]()) { $0[$1.0] = $1.1 }
        }
        #expect(rendered.count == 8)
        for (index, content) in contents.enumerated() {
            let pdf = try RenderedPDF(try #require(rendered[index]))
            defer { pdf.remove() }
            try await pdf.expectValid()
            let text = try await pdf.text()
            #expect(text.contains(normalised(content.contactName)))
            #expect(text.contains(content.certificateNumber))
        }
    }

    /// Prints the throughput of two threads rendering 200 certificates between them (a
    /// figure to watch, not a timed test), and the CPU time per render, which does not
    /// depend on what else the machine runs at the time.
    @Test func throughputOfTwoThreads() async throws {
        let names = Fixtures.names
        let renders = 200, threads = 2
        let start = ContinuousClock.now
        let (failures, cpuSeconds) = await withCheckedContinuation { (continuation: CheckedContinuation<(Int, Double), Never>) in
            Thread {
                let failed = Atomic<Int>(0), cpuNanoseconds = Atomic<Int>(0)
                // concurrentPerform runs its iterations on threads of its own (blocking this one).
                DispatchQueue.concurrentPerform(iterations: threads) { thread in
                    let cpuStart = threadCPUNanoseconds()
                    for index in stride(from: thread, to: renders, by: threads) {
                        let content = Fixtures.content(name: names[index % names.count], number: "CP-2026-\(index)")
                        if (try? CertificateRenderer.render(.standard, content)) == nil { failed.add(1, ordering: .relaxed) }
                    }
                    cpuNanoseconds.add(threadCPUNanoseconds() - cpuStart, ordering: .relaxed)
                }
                continuation.resume(returning: (failed.load(ordering: .relaxed), Double(cpuNanoseconds.load(ordering: .relaxed)) / 1e9))
            }.start()
        }
        let elapsed = (ContinuousClock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        #expect(failures == 0)
        let cpuPerRender = cpuSeconds / Double(renders)
        print("CertificatePDF: \(renders) renders on \(threads) threads in \(String(format: "%.2f", seconds)) s: "
              + "\(String(format: "%.0f", Double(renders) / seconds)) renders/s; "
              + "\(String(format: "%.1f", cpuPerRender * 1000)) ms CPU each, "
              + "\(String(format: "%.0f", Double(threads) / cpuPerRender)) renders/s on \(threads) idle cores")
    }
}

/// CPU time the calling thread has used.
func threadCPUNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
}
