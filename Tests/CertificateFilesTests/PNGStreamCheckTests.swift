import CertificateFiles
import Testing

// Serialized, as CertificateFileCheckTests: the checks decode on the calling thread.
@Suite(.serialized) struct PNGStreamCheckTests {
    /// The piece sizes every fixture is streamed in: whole, 1, 7 and 65,536 bytes, and random.
    static let cuts: [(name: String, sizes: @Sendable (Int) -> [Int])] = [
        ("whole", { [$0] }),
        ("1 byte", { Array(repeating: 1, count: $0) }),
        ("7 bytes", { pieces(of: $0, sized: 7) }),
        ("65,536 bytes", { pieces(of: $0, sized: 65_536) }),
        ("random", { count in
            var generator = SeededGenerator(state: UInt64(count))
            var sizes: [Int] = []
            var left = count
            while left > 0 {
                let size = min(left, Int.random(in: 1...100_000, using: &generator))
                sizes.append(size)
                left -= size
            }
            return sizes
        }),
    ]

    static func pieces(of count: Int, sized size: Int) -> [Int] {
        stride(from: 0, to: count, by: size).map { min(size, count - $0) }
    }

    /// The reason the stream refuses `bytes` fed in pieces of `sizes`, or nil when it accepts them.
    static func streamedRefusal(_ bytes: [UInt8], sizes: [Int]) -> String? {
        let check = PNGStreamCheck()
        var offset = 0
        do throws(FileRefusal) {
            for size in sizes {
                try check.feed(Array(bytes[offset..<offset + size]))
                offset += size
            }
            try check.finish()
            return nil
        } catch {
            return error.reason
        }
    }

    /// Expects the stream's verdict on `bytes`, in every cut, to be `inspect`'s; returns that verdict.
    @discardableResult
    static func expectSameVerdict(_ bytes: [UInt8], _ label: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let expected = refusal(bytes)
        for cut in cuts {
            let streamed = streamedRefusal(bytes, sizes: cut.sizes(bytes.count))
            #expect(streamed == expected, "\(label), fed \(cut.name)", sourceLocation: sourceLocation)
        }
        return expected
    }

    /// A PNG of noise, several of the decoder's 64 KiB blocks long.
    static func noise() async throws -> [UInt8] {
        let png = try await Fixtures.image("png", width: 200, height: 150, options: ["+noise", "Random"])
        #expect(png.count > 3 * 65_536)
        return png
    }

    /// `png` with one byte changed and the CRC of the chunk holding it made right again.
    static func flipping(_ png: [UInt8], at index: Int, with mask: UInt8) -> [UInt8] {
        var bytes = png
        bytes[index] ^= mask
        if let chunk = Fixtures.chunks(png).first(where: { $0.dataOffset <= index && index < $0.crcOffset }) {
            let crc = Fixtures.crc32(bytes[chunk.offset + 4..<chunk.crcOffset])
            bytes.replaceSubrange(chunk.crcOffset..<chunk.crcOffset + 4, with: Fixtures.bigEndian(crc))
        }
        return bytes
    }

    // MARK: Accepted

    @Test(arguments: [[], ["-interlace", "PNG"], ["-depth", "16"], ["-colorspace", "Gray"], ["-colors", "8"]])
    func acceptsPNGsMadeByImageMagick(options: [String]) async throws {
        let png = try await Fixtures.image("png", options: options)
        #expect(try await Fixtures.convertAccepts(png, as: "png"))
        #expect(Self.expectSameVerdict(png, "\(options)") == nil)
    }

    // Adam7 passes that are empty for images this small still end with the last row.
    @Test(arguments: [(1, 1), (1, 2), (2, 1), (3, 3), (2, 7), (9, 4), (5, 5)])
    func acceptsTinyInterlacedPNGs(width: Int, height: Int) async throws {
        let png = try await Fixtures.image("png", width: width, height: height, options: ["-interlace", "PNG"])
        #expect(Self.expectSameVerdict(png, "\(width) × \(height)") == nil)
    }

    @Test func acceptsAPNGOfSeveralBlocks() async throws {
        let png = try await Self.noise()
        #expect(try await Fixtures.convertAccepts(png, as: "png"))
        #expect(Self.expectSameVerdict(png, "noise") == nil)
    }

    @Test func ignoresBytesAfterIEND() async throws {
        let png = try await Fixtures.image("png")
        #expect(Self.expectSameVerdict(png + Array("trailing bytes".utf8), "short trailer") == nil)
        var generator = SeededGenerator(state: 11)
        let trailer = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(Self.expectSameVerdict(png + trailer, "trailer over a block") == nil)
    }

    // MARK: Refused

    @Test func refusesAPNGTruncatedAtAnyPoint() async throws {
        for png in [try await Fixtures.image("png"), try await Self.noise()] {
            let chunks = Fixtures.chunks(png)
            let data = try #require(chunks.first { $0.type == "IDAT" })
            let end = try #require(chunks.last)
            #expect(end.type == "IEND")
            // end.offset: cut right after the last IDAT, without IEND.
            let cuts = [8, 20, 32, 33, 34, data.dataOffset + data.length / 2, data.crcOffset + 2, end.offset,
                        png.count - 1, 65_536, 65_537]
            for cut in cuts where cut < png.count {
                let verdict = Self.expectSameVerdict(Array(png.prefix(cut)), "cut at \(cut)")
                #expect(verdict == "the file is a PNG that ends early (truncated)", "cut at \(cut)")
            }
        }
    }

    @Test(arguments: ["IHDR", "gAMA", "IDAT", "tEXt", "IEND"])
    func refusesAPNGWithABadCRC(in chunkType: String) async throws {
        var png = try await Fixtures.image("png")
        let chunk = try #require(Fixtures.chunks(png).first { $0.type == chunkType }, "convert wrote no \(chunkType)")
        png[chunk.crcOffset + 1] ^= 0x5A
        let verdict = Self.expectSameVerdict(png, "bad CRC in \(chunkType)")
        #expect(verdict?.hasPrefix("the PNG is damaged: ") == true, "\(verdict ?? "accepted")")
    }

    @Test func refusesAPNGWithAFlippedByteInItsImageData() async throws {
        for png in [try await Fixtures.image("png"), try await Self.noise()] {
            let data = try #require(Fixtures.chunks(png).first { $0.type == "IDAT" })
            for index in [data.dataOffset + 10, data.dataOffset + data.length / 2, data.crcOffset - 6] {
                let damaged = Self.flipping(png, at: index, with: 0x10)
                let verdict = Self.expectSameVerdict(damaged, "byte \(index) flipped")
                #expect(verdict?.hasPrefix("the PNG is damaged: ") == true, "byte \(index): \(verdict ?? "accepted")")
            }
        }
    }

    @Test func refusesAPNGDeclaringTooManyPixels() async throws {
        let png = try await Fixtures.image("png")
        let bomb = Fixtures.png(png, declaring: 100_000, by: 100_000)
        let verdict = Self.expectSameVerdict(bomb, "bomb")
        #expect(verdict == "the PNG is 100,000 × 100,000 pixels; the limit is 20,000 × 20,000")
        let wide = Fixtures.png(png, declaring: 20_001, by: 10)
        #expect(Self.expectSameVerdict(wide, "wide") == "the PNG is 20,001 × 10 pixels; the limit is 20,000 × 20,000")
    }

    // The header ends at byte 33: that piece is refused, without more bytes, and every call after it.
    @Test func refusesATooLargeHeaderOnThePieceThatCompletesIt() async throws {
        let bomb = Fixtures.png(try await Fixtures.image("png"), declaring: 100_000, by: 100_000)
        let reason = "the PNG is 100,000 × 100,000 pixels; the limit is 20,000 × 20,000"

        let exact = PNGStreamCheck()
        #expect(throws: FileRefusal(reason: reason)) { try exact.feed(Array(bomb.prefix(33))) }
        #expect(throws: FileRefusal(reason: reason)) { try exact.feed(Array(bomb.dropFirst(33))) }
        #expect(throws: FileRefusal(reason: reason)) { try exact.finish() }

        let sevens = PNGStreamCheck()
        for start in stride(from: 0, to: 28, by: 7) {
            #expect(throws: Never.self) { try sevens.feed(Array(bomb[start..<start + 7])) }
        }
        #expect(throws: FileRefusal(reason: reason)) { try sevens.feed(Array(bomb[28..<35])) }

        let whole = PNGStreamCheck()
        #expect(throws: FileRefusal(reason: reason)) { try whole.feed(bomb) }
    }

    @Test func refusesWithTheSameReasonAfterTheFirstRefusal() async throws {
        // A bad CRC in the first of convert's IDAT chunks (32 KiB each): refused on the first piece.
        var png = try await Self.noise()
        let data = try #require(Fixtures.chunks(png).first { $0.type == "IDAT" })
        #expect(data.crcOffset < 65_536)
        png[data.crcOffset] ^= 0x01
        let reason = try #require(refusal(png))
        let check = PNGStreamCheck()
        var refusals: [String] = []
        for start in stride(from: 0, to: png.count, by: 65_536) {
            do throws(FileRefusal) {
                try check.feed(Array(png[start..<min(start + 65_536, png.count)]))
            } catch {
                refusals.append(error.reason)
            }
        }
        #expect(throws: FileRefusal(reason: reason)) { try check.finish() }
        #expect(refusals == Array(repeating: reason, count: (png.count + 65_535) / 65_536))
    }

    /// Single bytes changed (the chunk's CRC made right) all over a small PNG, seeded: the stream
    /// refuses or accepts each exactly as `inspect` does.
    @Test func judgesDamageAnywhereAsInspectDoes() async throws {
        let png = try await Fixtures.image("png", options: ["-interlace", "PNG"])
        var generator = SeededGenerator(state: 5)
        for _ in 0..<150 {
            let index = Int.random(in: 8..<png.count, using: &generator)
            let mask = UInt8.random(in: 1...255, using: &generator)
            Self.expectSameVerdict(Self.flipping(png, at: index, with: mask), "byte \(index) ^ \(mask)")
        }
    }

    // MARK: Threads

    // Sendable: fed by one caller at a time, in order, each piece from another task.
    @Test func isFedFromTaskAfterTask() async throws {
        let png = try await Self.noise()
        let check = PNGStreamCheck()
        for start in stride(from: 0, to: png.count, by: 10_000) {
            let piece = Array(png[start..<min(start + 10_000, png.count)])
            try await Task.detached { try check.feed(piece) }.value
        }
        try await Task.detached { try check.finish() }.value
    }
}
