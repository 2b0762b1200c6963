import Testing
import Sodium

@Suite struct TokensTests {
    static let urlSafe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    @Test func randomBytesHaveTheRequestedLengthAndDiffer() {
        #expect(Sodium.randomBytes(0) == [])
        #expect(Sodium.randomBytes(1).count == 1)
        let a = Sodium.randomBytes(32), b = Sodium.randomBytes(32)
        #expect(a.count == 32)
        #expect(a != b)
    }

    @Test func randomTokensAreDistinctURLSafeAndSized() {
        let tokens = (0..<1000).map { _ in Sodium.randomToken() }
        #expect(Set(tokens).count == tokens.count)
        for token in tokens {
            #expect(token.count == 43, "32 bytes → 43 unpadded base64 characters")
            #expect(token.allSatisfy(Self.urlSafe.contains), "\(token)")
            #expect(Sodium.base64URLDecode(token)?.count == 32)
        }
        // 4n/3 rounded up, no padding.
        for (bytes, characters) in [(0, 0), (1, 2), (2, 3), (3, 4), (16, 22), (64, 86)] {
            let token = Sodium.randomToken(bytes: bytes)
            #expect(token.count == characters, "\(bytes) bytes")
            #expect(token.allSatisfy(Self.urlSafe.contains))
        }
    }

    @Test func base64URLRoundTrips() {
        for count in 0...70 {
            let bytes = Sodium.randomBytes(count)
            let text = Sodium.base64URLEncode(bytes)
            #expect(!text.contains("="))
            #expect(Sodium.base64URLDecode(text) == bytes)
        }
    }

    @Test func base64URLKnownAnswers() {
        // RFC 4648 test vectors, unpadded; 0xFB 0xFF shows the URL-safe alphabet.
        let vectors: [(String, String)] = [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"),
            ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            #expect(Sodium.base64URLEncode(Array(plain.utf8)) == encoded)
            #expect(Sodium.base64URLDecode(encoded) == Array(plain.utf8))
        }
        #expect(Sodium.base64URLEncode([0xFB, 0xFF]) == "-_8")
        #expect(Sodium.base64URLDecode("-_8") == [0xFB, 0xFF])
    }

    @Test func invalidBase64URLIsNil() {
        let invalid = [
            "Zg==",         // padding
            "+/8",          // standard alphabet
            "Zm9v Yg",      // whitespace
            "Z",            // impossible length
            "Zh",           // non-zero trailing bits
            "Zm9v\0",       // embedded NUL
            "Zm9vé",        // non-ASCII
            "Zm9v!",
        ]
        for text in invalid {
            #expect(Sodium.base64URLDecode(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test func constantTimeEqual() {
        #expect(Sodium.constantTimeEqual([], []))
        #expect(Sodium.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Sodium.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Sodium.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(!Sodium.constantTimeEqual([], [0]))
        let secret = Sodium.randomBytes(32)
        #expect(Sodium.constantTimeEqual(secret, Array(secret)))
    }

    @Test func genericHashKnownAnswers() {
        // BLAKE2b-256 and BLAKE2b-512 of the empty input.
        #expect(hex(Sodium.genericHash([]))
            == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
        #expect(hex(Sodium.genericHash([], outputLength: 64))
            == "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
            + "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce")
        // BLAKE2b-512("abc"), RFC 7693 appendix A.
        #expect(hex(Sodium.genericHash(Array("abc".utf8), outputLength: 64))
            == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    }

    @Test func genericHashDependsOnTheKey() {
        let input = Array("invitation token".utf8)
        let plain = Sodium.genericHash(input)
        let keyA = Sodium.randomBytes(32), keyB = Sodium.randomBytes(32)
        let keyed = Sodium.genericHash(input, key: keyA)
        #expect(keyed.count == 32)
        #expect(keyed != plain)
        #expect(keyed == Sodium.genericHash(input, key: keyA))
        #expect(keyed != Sodium.genericHash(input, key: keyB))
        #expect(Sodium.genericHash(input, outputLength: 16).count == 16)
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
