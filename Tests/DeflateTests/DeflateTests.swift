import Testing
import Deflate

@Suite struct DeflateTests {
    @Test func roundTripsBinaryAndText() throws {
        let inputs: [[UInt8]] = [
            [],
            [0, 0, 0, 1, 2, 3, 0],
            Array("Zoë Łukasz 李雷 محمد".utf8),
            (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) },
        ]
        for input in inputs {
            let compressed = Deflate.compress(input)
            #expect(compressed.first == 0x78, "zlib header (RFC 1950) expected")
            #expect(try Deflate.decompress(compressed, limit: input.count) == input)
        }
    }

    @Test func compressesRepetitiveData() {
        let input = [UInt8](repeating: 65, count: 10_000)
        #expect(Deflate.compress(input).count < 200)
    }

    @Test func refusesOutputOverTheLimit() throws {
        // 64 MiB of zeros compresses to ~64 KiB: a bomb against a 4 MiB limit.
        let bomb = Deflate.compress([UInt8](repeating: 0, count: 64 << 20))
        #expect(bomb.count < 100_000)
        #expect(throws: Deflate.Failure.exceedsLimit(4 << 20)) {
            try Deflate.decompress(bomb, limit: 4 << 20)
        }
        // Exactly at the limit is fine.
        let exact = Deflate.compress([UInt8](repeating: 7, count: 1000))
        #expect(try Deflate.decompress(exact, limit: 1000).count == 1000)
        #expect(throws: Deflate.Failure.exceedsLimit(999)) { try Deflate.decompress(exact, limit: 999) }
    }

    @Test func rejectsCorruptAndTruncatedStreams() {
        let good = Deflate.compress(Array("hello, certificates".utf8))
        #expect(throws: Deflate.Failure.self) { try Deflate.decompress(good.dropLast(3), limit: 1 << 20) }
        #expect(throws: Deflate.Failure.self) { try Deflate.decompress([0x12, 0x34, 0x56], limit: 1 << 20) }
        #expect(throws: Deflate.Failure.self) { try Deflate.decompress(good + [1, 2], limit: 1 << 20) }
        #expect(throws: Deflate.Failure.self) { try Deflate.decompress([UInt8](), limit: 1 << 20) }
    }
}
