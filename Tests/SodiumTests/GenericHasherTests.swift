import Sodium
import Testing

@Suite struct GenericHasherTests {
    @Test func piecesHashLikeTheWhole() {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for piece in [1, 7, 4096, 65536, 100_000] {
            let hasher = GenericHasher()
            var offset = 0
            while offset < bytes.count {
                hasher.update(Array(bytes[offset..<min(bytes.count, offset + piece)]))
                offset += piece
            }
            #expect(hasher.finish() == Sodium.genericHash(bytes), "pieces of \(piece)")
        }
        #expect(GenericHasher().finish() == Sodium.genericHash([]))
        #expect(GenericHasher(outputLength: 64).finish() == Sodium.genericHash([], outputLength: 64))
    }
}
