import Testing
import Sodium

@Suite struct PasswordHashTests {
    /// The one hash at interactive strength (~0.1 s, 64 MiB): the others use `.minimal`.
    @Test func interactiveHashVerifiesAndNeedsNoRehash() throws {
        let hash = try Sodium.hashPassword("correct horse battery staple")
        #expect(hash.hasPrefix("$argon2id$"))
        #expect(Sodium.verifyPassword("correct horse battery staple", hash: hash))
        #expect(!Sodium.verifyPassword("correct horse battery stapler", hash: hash))
        #expect(!Sodium.needsRehash(hash, strength: .interactive))
        #expect(Sodium.needsRehash(hash, strength: .moderate))
    }

    @Test func wrongPasswordFails() throws {
        let hash = try Sodium.hashPassword("s3cret", strength: .minimal)
        #expect(hash.hasPrefix("$argon2id$"))
        #expect(Sodium.verifyPassword("s3cret", hash: hash))
        #expect(!Sodium.verifyPassword("s3cret ", hash: hash))
        #expect(!Sodium.verifyPassword("S3cret", hash: hash))
        #expect(!Sodium.verifyPassword("", hash: hash))
    }

    @Test func unicodeAndEmptyPasswords() throws {
        let password = "Zoë Łukasz 李雷 محمد 🔐"
        let hash = try Sodium.hashPassword(password, strength: .minimal)
        #expect(Sodium.verifyPassword(password, hash: hash))
        // Same text, decomposed: different bytes, so a different password.
        #expect(!Sodium.verifyPassword("Zoe\u{308} Łukasz 李雷 محمد 🔐", hash: hash))

        let empty = try Sodium.hashPassword("", strength: .minimal)
        #expect(Sodium.verifyPassword("", hash: empty))
        #expect(!Sodium.verifyPassword("x", hash: empty))
    }

    @Test func embeddedNULIsPartOfThePassword() throws {
        let hash = try Sodium.hashPassword("abc\0def", strength: .minimal)
        #expect(Sodium.verifyPassword("abc\0def", hash: hash))
        #expect(!Sodium.verifyPassword("abc", hash: hash))
    }

    @Test func hashesAreSalted() throws {
        let first = try Sodium.hashPassword("same", strength: .minimal)
        let second = try Sodium.hashPassword("same", strength: .minimal)
        #expect(first != second)
        #expect(Sodium.verifyPassword("same", hash: first))
        #expect(Sodium.verifyPassword("same", hash: second))
    }

    @Test func malformedHashesFailVerificationAndNeedRehash() throws {
        let hash = try Sodium.hashPassword("pw", strength: .minimal)
        let malformed = [
            "",
            "not a hash",
            "$argon2id$",
            String(hash.prefix(30)),  // cut inside the salt
            "$argon2x$" + hash.dropFirst("$argon2id$".count),
            hash + "\0trailing",
            hash + String(repeating: "A", count: 200),
        ]
        for candidate in malformed {
            #expect(!Sodium.verifyPassword("pw", hash: candidate), "\(candidate.debugDescription)")
            #expect(Sodium.needsRehash(candidate, strength: .minimal), "\(candidate.debugDescription)")
        }
        // A shortened digest may still parse (argon2 allows outputs down to 16 bytes), so
        // needsRehash can't tell; verification still fails.
        #expect(!Sodium.verifyPassword("pw", hash: String(hash.dropLast(5))))
    }

    @Test func weakerHashNeedsRehash() throws {
        let hash = try Sodium.hashPassword("pw", strength: .minimal)
        #expect(Sodium.needsRehash(hash, strength: .interactive))
        #expect(Sodium.needsRehash(hash))
        #expect(!Sodium.needsRehash(hash, strength: .minimal))
    }

    @Test func argon2iHashNeedsRehashWhateverItsParameters() {
        // argon2i at argon2id's minimal parameters: libsodium alone would say "no rehash".
        let argon2i = "$argon2i$v=19$m=8,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
            + String(repeating: "A", count: 43)
        #expect(Sodium.needsRehash(argon2i, strength: .minimal))
        #expect(!Sodium.verifyPassword("pw", hash: argon2i))
    }
}
