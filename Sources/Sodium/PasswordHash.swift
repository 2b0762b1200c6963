internal import CSodium

/// Argon2id cost parameters for password hashes.
public enum PasswordStrength: Sendable {
    /// libsodium's interactive limits: about 0.1 s and 64 MiB per hash; for logins.
    case interactive
    /// libsodium's moderate limits: about 0.7 s and 256 MiB per hash.
    case moderate
    /// The smallest limits argon2id allows; for tests only.
    case minimal

    /// `crypto_pwhash`'s (opslimit, memlimit) for this strength.
    var limits: (operations: UInt64, memory: Int) {
        switch self {
        case .interactive: (UInt64(crypto_pwhash_opslimit_interactive()), crypto_pwhash_memlimit_interactive())
        case .moderate: (UInt64(crypto_pwhash_opslimit_moderate()), crypto_pwhash_memlimit_moderate())
        case .minimal: (UInt64(crypto_pwhash_opslimit_min()), crypto_pwhash_memlimit_min())
        }
    }
}

extension Sodium {
    /// The prefix of every hash `hashPassword` makes.
    static let argon2idPrefix = "$argon2id$"

    /// Argon2id hash string (`crypto_pwhash_str`, the `$argon2id$…` encoded form, salt and
    /// parameters included) of a password.
    ///
    /// CPU- and memory-bound for the strength's duration: don't call it on a thread that
    /// must stay responsive.
    public static func hashPassword(
        _ password: String, strength: PasswordStrength = .interactive
    ) throws(SodiumError) -> String {
        prepare()
        let (operations, memory) = strength.limits
        var output = [CChar](repeating: 0, count: crypto_pwhash_strbytes())
        let status = withCChars(of: password) { passwordPointer, passwordLength in
            crypto_pwhash_str(&output, passwordPointer, UInt64(passwordLength), operations, memory)
        }
        guard status == 0 else {
            throw SodiumError("crypto_pwhash_str failed (out of memory for \(memory) bytes, or password too long)")
        }
        return string(fromNULTerminated: output)
    }

    /// True when `password` matches the stored `hash` (`crypto_pwhash_str_verify`); false for
    /// a wrong password or a malformed hash.
    public static func verifyPassword(_ password: String, hash: String) -> Bool {
        guard let hash = hashBuffer(hash) else { return false }
        prepare()
        return withCChars(of: password) { passwordPointer, passwordLength in
            crypto_pwhash_str_verify(hash, passwordPointer, UInt64(passwordLength)) == 0
        }
    }

    /// True when the stored hash was not made with argon2id at exactly `strength`'s
    /// parameters (`crypto_pwhash_str_needs_rehash`): weaker or stronger ones, argon2i, or a
    /// malformed hash. Rehash at the next successful login.
    public static func needsRehash(_ hash: String, strength: PasswordStrength = .interactive) -> Bool {
        // libsodium alone answers "no" for an argon2i hash with matching parameters.
        guard hash.hasPrefix(argon2idPrefix), let hash = hashBuffer(hash) else { return true }
        prepare()
        let (operations, memory) = strength.limits
        return crypto_pwhash_str_needs_rehash(hash, operations, memory) != 0
    }

    /// `hash` as the `char[crypto_pwhash_STRBYTES]` libsodium's prototypes ask for, NUL-padded;
    /// nil when it cannot be a hash libsodium made. libsodium reads up to the first NUL, so
    /// a string with an embedded NUL would be judged by its prefix alone.
    private static func hashBuffer(_ hash: String) -> [CChar]? {
        let bytes = hash.utf8
        let length = crypto_pwhash_strbytes()
        guard !bytes.contains(0), bytes.count < length else { return nil }
        return bytes.map { CChar(bitPattern: $0) } + [CChar](repeating: 0, count: length - bytes.count)
    }
}
