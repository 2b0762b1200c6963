import Testing
import Sodium

@Suite struct SecretBoxTests {
    @Test func roundTrips() throws {
        let box = try SecretBox(key: SecretBox.generateKey())
        for plaintext in [[], [0], Array("session=42; booker=Zoë".utf8), Sodium.randomBytes(10_000)] {
            let sealed = box.seal(plaintext)
            #expect(sealed.count == 24 + 16 + plaintext.count, "nonce, tag, ciphertext")
            #expect(box.open(sealed) == plaintext)
        }
    }

    @Test func sealingTwiceUsesFreshNonces() throws {
        let box = try SecretBox(key: SecretBox.generateKey())
        let a = box.seal([1, 2, 3]), b = box.seal([1, 2, 3])
        #expect(a.prefix(24) != b.prefix(24))
        #expect(a != b)
    }

    @Test func everyTamperedByteIsRejected() throws {
        let box = try SecretBox(key: SecretBox.generateKey())
        let sealed = box.seal(Array("cookie".utf8))
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(box.open(tampered) == nil, "byte \(index)")
        }
        #expect(box.open(sealed + [0]) == nil)
        #expect(box.open(Array(sealed.dropLast())) == nil)
    }

    @Test func anotherKeyCannotOpen() throws {
        let sealed = try SecretBox(key: SecretBox.generateKey()).seal([1, 2, 3])
        #expect(try SecretBox(key: SecretBox.generateKey()).open(sealed) == nil)
    }

    @Test func tooShortInputIsNil() throws {
        let box = try SecretBox(key: SecretBox.generateKey())
        for count in [0, 1, 23, 24, 39] {
            #expect(box.open([UInt8](repeating: 0, count: count)) == nil, "\(count) bytes")
        }
        // 40 bytes is the smallest well-formed length (empty plaintext), but not authentic.
        #expect(box.open([UInt8](repeating: 0, count: 40)) == nil)
    }

    @Test func keysHaveTheRightLength() throws {
        #expect(SecretBox.keyLength == 32)
        #expect(SecretBox.generateKey().count == 32)
        #expect(SecretBox.generateKey() != SecretBox.generateKey())
        for count in [0, 16, 31, 33, 64] {
            do {
                _ = try SecretBox(key: [UInt8](repeating: 7, count: count))
                Issue.record("a \(count)-byte key was accepted")
            } catch {
                #expect(error.description.contains("expected 32"), "\(error)")
            }
        }
    }
}
