import CertificateFiles
import Foundation
import Testing

// Serialized: the checks decode whole images and PDFs on the calling thread, and two such
// tests at once would take both of the cooperative pool's threads from every other test.
@Suite(.serialized) struct CertificateFileCheckTests {
    // MARK: Accepted

    @Test(arguments: [[], ["-interlace", "PNG"], ["-depth", "16"], ["-colorspace", "Gray"]])
    func acceptsPNGsMadeByImageMagick(options: [String]) async throws {
        let png = try await Fixtures.image("png", options: options)
        #expect(try await Fixtures.convertAccepts(png, as: "png"))
        #expect(try CertificateFileCheck.inspect(png) == .png)
    }

    @Test(arguments: [[], ["-interlace", "JPEG"], ["-colorspace", "Gray"], ["-sampling-factor", "4:2:0"]])
    func acceptsJPEGsMadeByImageMagick(options: [String]) async throws {
        let jpeg = try await Fixtures.image("jpg", options: options)
        #expect(try await Fixtures.convertAccepts(jpeg, as: "jpg"))
        #expect(try CertificateFileCheck.inspect(jpeg) == .jpeg)
    }

    @Test func acceptsAPDFThatQPDFChecksClean() async throws {
        let pdf = Fixtures.pdf()
        #expect(try await Fixtures.qpdfCheck(pdf) == 0)
        #expect(try CertificateFileCheck.inspect(pdf) == .pdf)
    }

    @Test func acceptsAPDFRewrittenByQPDFWithObjectStreams() async throws {
        let dir = try Fixtures.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.pdf"), output = dir.appendingPathComponent("out.pdf")
        try Data(Fixtures.pdf()).write(to: input)
        #expect(try await Fixtures.run(Fixtures.qpdf, ["--object-streams=generate", "--linearize", input.path, output.path]) == 0)
        let pdf = try Array(Data(contentsOf: output))
        #expect(try await Fixtures.qpdfCheck(pdf) == 0)
        #expect(try CertificateFileCheck.inspect(pdf) == .pdf)
    }

    @Test func judgesByContentNotByName() async throws {
        // Saved under the wrong names and read back: only the bytes count.
        let dir = try Fixtures.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files: [(String, [UInt8], CertificateFileKind)] = [
            ("certificate.pdf", try await Fixtures.image("png"), .png),
            ("certificate.png", try await Fixtures.image("jpg"), .jpeg),
            ("certificate.jpg", Fixtures.pdf(), .pdf),
        ]
        for (name, bytes, kind) in files {
            let url = dir.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            #expect(try CertificateFileCheck.inspect(Array(Data(contentsOf: url))) == kind, "\(name)")
        }
        #expect(CertificateFileKind.jpeg.fileExtension == "jpg")
        #expect(CertificateFileKind.jpeg.mediaType == "image/jpeg")
        #expect(CertificateFileKind.pdf.mediaType == "application/pdf")
        #expect(CertificateFileKind.png.mediaType == "image/png")
    }

    // MARK: Refused PNGs

    @Test func refusesAPNGTruncatedAtAnyPoint() async throws {
        let png = try await Fixtures.image("png")
        let chunks = Fixtures.chunks(png)
        let data = try #require(chunks.first { $0.type == "IDAT" })
        let end = try #require(chunks.last { $0.type == "IEND" })
        let cuts = [4, 8, 20, 33, data.dataOffset + data.length / 2, data.crcOffset + 2, end.offset, png.count - 1]
        for cut in cuts {
            let truncated = Array(png.prefix(cut))
            if cut >= 8 { #expect(try await !Fixtures.convertAccepts(truncated, as: "png"), "convert accepts a cut at \(cut)") }
            let expected = cut < 8 ? "not a PDF, PNG or JPEG" : "the file is a PNG that ends early (truncated)"
            #expect(refusal(truncated)?.contains(expected) == true, "cut at \(cut): \(refusal(truncated) ?? "accepted")")
        }
    }

    @Test(arguments: ["IHDR", "IDAT", "IEND", "tEXt"])
    func refusesAPNGWithABadCRC(in chunkType: String) async throws {
        var png = try await Fixtures.image("png")
        let chunk = try #require(Fixtures.chunks(png).first { $0.type == chunkType }, "convert wrote no \(chunkType)")
        png[chunk.crcOffset + 1] ^= 0x5A
        #expect(try await !Fixtures.convertAccepts(png, as: "png"))
        let reason = try #require(refusal(png))
        #expect(reason.hasPrefix("the PNG is damaged: "), "\(reason)")
        #expect(reason.contains("CRC"), "\(reason)")
    }

    @Test func refusesAPNGWithDamagedImageData() async throws {
        var png = try await Fixtures.image("png")
        let data = try #require(Fixtures.chunks(png).first { $0.type == "IDAT" })
        // Damage the compressed data and make the CRC right again: only zlib can tell.
        for index in data.dataOffset + 10..<data.dataOffset + 30 { png[index] ^= 0xFF }
        let crc = Fixtures.crc32(png[data.offset + 4..<data.crcOffset])
        png.replaceSubrange(data.crcOffset..<data.crcOffset + 4, with: Fixtures.bigEndian(crc))
        #expect(try await !Fixtures.convertAccepts(png, as: "png"))
        #expect(refusal(png)?.hasPrefix("the PNG is damaged: ") == true, "\(refusal(png) ?? "accepted")")
    }

    @Test func refusesAPNGDeclaringTooManyPixelsBeforeDecoding() async throws {
        let bomb = Fixtures.png(try await Fixtures.image("png"), declaring: 100_000, by: 100_000)
        // Refused by its header: its image data is a small picture's, so had the rows been
        // decoded the reason would be damaged data, not the declared size (no timing needed).
        #expect(refusal(bomb) == "the PNG is 100,000 × 100,000 pixels; the limit is 20,000 × 20,000")
        let wide = Fixtures.png(try await Fixtures.image("png"), declaring: 20_001, by: 10)
        #expect(refusal(wide) == "the PNG is 20,001 × 10 pixels; the limit is 20,000 × 20,000")
    }

    // MARK: Refused JPEGs

    @Test func refusesAJPEGTruncatedAtAnyPoint() async throws {
        let jpeg = try await Fixtures.image("jpg")
        for cut in [jpeg.count / 3, jpeg.count / 2, jpeg.count - 100, jpeg.count - 2] {
            let truncated = Array(jpeg.prefix(cut))
            #expect(try await !Fixtures.convertAccepts(truncated, as: "jpg"), "convert accepts a cut at \(cut)")
            #expect(refusal(truncated) == "the file is a JPEG that ends early (truncated)", "cut at \(cut)")
        }
        let progressive = try await Fixtures.image("jpg", options: ["-interlace", "JPEG"])
        #expect(refusal(Array(progressive.prefix(progressive.count / 2))) == "the file is a JPEG that ends early (truncated)")
    }

    @Test func refusesAJPEGWithGarbageInItsData() async throws {
        var jpeg = try await Fixtures.image("jpg")
        // Markers in the middle of the entropy-coded data (0xFF 0xD0+ are restart markers nobody declared).
        for index in stride(from: jpeg.count / 2, to: jpeg.count / 2 + 40, by: 2) {
            jpeg[index] = 0xFF
            jpeg[index + 1] = 0xC8
        }
        #expect(try await !Fixtures.convertAccepts(jpeg, as: "jpg"))
        #expect(refusal(jpeg)?.hasPrefix("the JPEG is damaged: ") == true, "\(refusal(jpeg) ?? "accepted")")
    }

    @Test func refusesAJPEGDeclaringTooManyPixels() async throws {
        var jpeg = try await Fixtures.image("jpg", options: ["-interlace", "none"])
        // The baseline frame header, FF C0: length (2), precision (1), height (2), width (2).
        let frame = try #require((0..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange(frame + 5..<frame + 9, with: [0xEA, 0x60, 0x75, 0x30])  // 60,000 high, 30,000 wide
        #expect(refusal(jpeg) == "the JPEG is 30,000 × 60,000 pixels; the limit is 20,000 × 20,000")
    }

    @Test func refusesAProgressiveJPEGTooLargeToDecodeInBoundedMemory() async throws {
        var jpeg = try await Fixtures.image("jpg", options: ["-interlace", "JPEG"])
        // The progressive frame header, FF C2: a whole-image buffer of 20,000 × 20,000 × 3 coefficients.
        let frame = try #require((0..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC2 })
        jpeg.replaceSubrange(frame + 5..<frame + 9, with: [0x4E, 0x20, 0x4E, 0x20])
        #expect(refusal(jpeg) == "the JPEG is 20,000 × 20,000 pixels, too large to decode in 512 MB")
    }

    // MARK: Refused PDFs

    @Test func refusesAPDFWithABrokenCrossReferenceTable() async throws {
        let good = String(decoding: Fixtures.pdf(), as: UTF8.self)
        let broken = Array(good.replacingOccurrences(of: "startxref\n", with: "startxref\n9")
            .replacingOccurrences(of: "0000000015 00000 n", with: "0000000001 00000 n").utf8)
        #expect(try await Fixtures.qpdfCheck(broken) != 0)
        let reason = try #require(refusal(broken))
        #expect(reason.hasPrefix("the PDF is damaged: "), "\(reason)")
    }

    @Test func refusesAPDFWithBrokenObjects() async throws {
        let missingPages = Fixtures.pdf(pagesReference: "9 0 R")
        #expect(try await Fixtures.qpdfCheck(missingPages) != 0)
        #expect(refusal(missingPages)?.hasPrefix("the PDF is damaged: ") == true, "\(refusal(missingPages) ?? "accepted")")

        var wrongLength = String(decoding: Fixtures.pdf(), as: UTF8.self)
        wrongLength = wrongLength.replacingOccurrences(of: "/Length 56", with: "/Length 96")
        #expect(try await Fixtures.qpdfCheck(Array(wrongLength.utf8)) != 0)
        #expect(refusal(Array(wrongLength.utf8))?.hasPrefix("the PDF is damaged: ") == true)

        let badContent = Fixtures.pdf(content: "BT /F1 24 Tf 72 720 Td (Certificate of completion Tj ET")
        #expect(try await Fixtures.qpdfCheck(badContent) != 0)
        #expect(refusal(badContent)?.hasPrefix("the PDF is damaged: ") == true, "\(refusal(badContent) ?? "accepted")")

        let cut = Array(Fixtures.pdf().prefix(200))
        #expect(try await Fixtures.qpdfCheck(cut) != 0)
        #expect(refusal(cut)?.hasPrefix("the PDF is damaged: ") == true, "\(refusal(cut) ?? "accepted")")
    }

    /// Page contents judged as `qpdf --check` judges them (it parses every page's content stream).
    @Test(arguments: [
        ("BT /F1 24 Tf 72 720 Td [(Certi) -20 (ficate)] TJ ET", true),
        ("q 1 0 0 1 0 0 cm BI /W 2 /H 1 /BPC 8 /CS /G ID \u{0}\u{1} EI Q", true),
        ("/Span << /ActualText (Zo\\353 \\(x\\)) /Nested << /A [1 2.5 -3] >> >> BDC EMC % a comment ]\n", true),
        ("BT /F1 12 Tf <5a6F 65> Tj (a (nested) string) Tj ET", true),
        ("BT /F1 24 Tf 72 720 Td (x) Tj ET ]", false),
        ("BT /F1 24 Tf 72 720 Td (x) Tj ET >>", false),
        ("BT /F1 24 Tf [ (x) Tj ET", false),
        ("BT /F1 24 Tf << /A 1 (x) Tj ET", false),
        ("BT <4142 Tj ET", false),
        ("BT /F1 24 Tf 72 720 Td (x) Tj ET } {", false),
        ("q BI /W 1 /H 1 /BPC 8 /CS /G ID \u{FF} Q", false),
        ("BT /F1 24 Tf 72 720 Td (Certificate of completion Tj ET", false),
    ])
    func judgesPageContentLikeQPDF(content: String, valid: Bool) async throws {
        let pdf = Fixtures.pdf(content: content)
        #expect(try await Fixtures.qpdfCheck(pdf) == 0 ? valid : !valid, "qpdf --check disagrees with the fixture")
        let reason = refusal(pdf)
        if valid {
            #expect(reason == nil)
        } else {
            #expect(reason?.hasPrefix("the PDF is damaged: ") == true, "\(reason ?? "accepted")")
        }
    }

    @Test func acceptsAPDFEncryptedWithAnOwnerPasswordOnly() async throws {
        // Anyone can open it (the user password is empty); qpdf --check accepts it too.
        let pdf = try await Fixtures.encrypted(Fixtures.pdf(), userPassword: "")
        #expect(try await Fixtures.qpdfCheck(pdf) == 0)
        #expect(try CertificateFileCheck.inspect(pdf) == .pdf)
    }

    @Test func refusesAnEncryptedPDFAsSuch() async throws {
        let pdf = try await Fixtures.encrypted(Fixtures.pdf())
        #expect(try await Fixtures.qpdfCheck(pdf) != 0)
        #expect(refusal(pdf) == "the PDF is encrypted and needs a password to open; upload it without the password")
    }

    // MARK: Refused for what they are

    @Test func refusesATextFileNamedPDF() {
        let text = Array("Dear admin,\nplease find the certificate attached.\n".utf8)
        // Named certificate.pdf by its sender; only the bytes are looked at.
        #expect(refusal(text) == "the file is not a PDF, PNG or JPEG (it starts with \"Dear admin, plea…\")")
    }

    @Test func refusesAnEmptyFile() {
        #expect(refusal([]) == "the file is empty")
    }

    @Test func refusesRandomBytes() {
        var generator = SeededGenerator(state: 2026)
        let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let reason = refusal(bytes) ?? "accepted"
        #expect(reason.hasPrefix("the file is not a PDF, PNG or JPEG (it starts with the bytes "), "\(reason)")
    }

    @Test func refusesRandomBytesBehindEachMagicNumber() {
        var generator = SeededGenerator(state: 7)
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(refusal(Array("%PDF-1.7\n".utf8) + noise)?.hasPrefix("the PDF is damaged: ") == true)
        #expect(refusal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + noise)?.hasPrefix("the PNG is damaged: ") == true)
        #expect(refusal([0xFF, 0xD8, 0xFF] + noise)?.hasPrefix("the JPEG is damaged: ") == true)
    }

    @Test func refusesAFileOverTheLimitBeforeParsing() {
        let big = Array("%PDF-1.4\n".utf8) + [UInt8](repeating: 0x20, count: Int(31.2 * 1024 * 1024) - 9)
        #expect(refusal(big) == "the file is 31.2 MB; the limit is 20 MB")
        let justOver = [UInt8](repeating: 0x20, count: CertificateFileCheck.maxBytes + 1)
        #expect(refusal(justOver) == "the file is 20.1 MB; the limit is 20 MB")
    }

    @Test func sniffsTheFirstBytesOnly() {
        #expect(CertificateFileCheck.sniff(Array("%PDF-".utf8)) == .pdf)
        #expect(CertificateFileCheck.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == .png)
        #expect(CertificateFileCheck.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(CertificateFileCheck.sniff([0x89, 0x50, 0x4E]) == nil)
        #expect(CertificateFileCheck.sniff(Array("GIF89a".utf8)) == nil)
        #expect(CertificateFileCheck.sniff([]) == nil)
    }

    // MARK: Threads

    @Test func inspectsOnManyThreadsAtOnce() async throws {
        let good: [([UInt8], CertificateFileKind)] = [
            (try await Fixtures.image("png"), .png), (try await Fixtures.image("jpg"), .jpeg), (Fixtures.pdf(), .pdf),
        ]
        let bad = [Array(try await Fixtures.image("png").prefix(300)), Array(try await Fixtures.image("jpg").prefix(300)),
                   Fixtures.pdf(pagesReference: "9 0 R")]
        let failures = await withTaskGroup(of: Int.self) { group in
            for round in 0..<64 {
                group.addTask {
                    let (bytes, kind) = good[round % good.count]
                    let accepted = (try? CertificateFileCheck.inspect(bytes)) == kind
                    let refused = refusal(bad[round % bad.count]) != nil
                    return accepted && refused ? 0 : 1
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
    }
}
