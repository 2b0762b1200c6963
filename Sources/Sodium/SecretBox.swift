internal import CSodium

/// Authenticated encryption for sealed cookies (`crypto_secretbox_easy`, XSalsa20-Poly1305).
/// A sealed message is a 24-byte random nonce followed by the ciphertext and its tag.
public struct SecretBox: Sendable {
    /// Length of a key in bytes (32).
    public static let keyLength = crypto_secretbox_keybytes()

    /// Nonce bytes at the start of a sealed message.
    static let nonceLength = crypto_secretbox_noncebytes()
    /// Authentication tag bytes that sealing adds to the plaintext.
    static let tagLength = crypto_secretbox_macbytes()

    private let key: [UInt8]

    /// A box for `key`, which must be `keyLength` bytes long.
    public init(key: [UInt8]) throws(SodiumError) {
        guard key.count == Self.keyLength else {
            throw SodiumError("SecretBox key: \(key.count) bytes, expected \(Self.keyLength)")
        }
        self.key = key
    }

    /// A new random key (`crypto_secretbox_keygen`).
    public static func generateKey() -> [UInt8] {
        Sodium.prepare()
        var key = [UInt8](repeating: 0, count: keyLength)
        crypto_secretbox_keygen(&key)
        return key
    }

    /// Encrypts and authenticates `plaintext` under a fresh random nonce.
    public func seal(_ plaintext: [UInt8]) -> [UInt8] {
        Sodium.prepare()
        let nonceLength = Self.nonceLength
        var sealed = [UInt8](repeating: 0, count: nonceLength + Self.tagLength + plaintext.count)
        let status = sealed.withUnsafeMutableBufferPointer { sealed in
            let nonce = sealed.baseAddress!
            randombytes_buf(nonce, nonceLength)
            return withNonNullPointer(to: plaintext) { message, messageLength in
                key.withUnsafeBufferPointer { key in
                    crypto_secretbox_easy(nonce + nonceLength, message, UInt64(messageLength), nonce, key.baseAddress!)
                }
            }
        }
        // Fails only for messages longer than crypto_secretbox_MESSAGEBYTES_MAX (~2^64).
        precondition(status == 0, "crypto_secretbox_easy failed")
        return sealed
    }

    /// The plaintext of a message `seal` made with this key; nil when it is too short,
    /// tampered with, or sealed with another key.
    public func open(_ sealed: [UInt8]) -> [UInt8]? {
        let nonceLength = Self.nonceLength
        guard sealed.count >= nonceLength + Self.tagLength else { return nil }
        Sodium.prepare()
        let ciphertextLength = sealed.count - nonceLength
        // One spare byte so the output pointer is never nil, even for an empty plaintext.
        var plaintext = [UInt8](repeating: 0, count: ciphertextLength - Self.tagLength + 1)
        let status = sealed.withUnsafeBufferPointer { sealed in
            let nonce = sealed.baseAddress!
            return key.withUnsafeBufferPointer { key in
                crypto_secretbox_open_easy(
                    &plaintext, nonce + nonceLength, UInt64(ciphertextLength), nonce, key.baseAddress!)
            }
        }
        guard status == 0 else { return nil }
        plaintext.removeLast()
        return plaintext
    }
}
