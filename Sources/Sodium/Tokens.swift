internal import CSodium

extension Sodium {
    /// `count` bytes from libsodium's CSPRNG (`randombytes_buf`).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "randomBytes: negative count \(count)")
        guard count > 0 else { return [] }
        prepare()
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialised in
            randombytes_buf(buffer.baseAddress!, count)
            initialised = count
        }
    }

    /// `count` random bytes as URL-safe base64 without padding: for invitation tokens,
    /// verification codes and session ids. 32 bytes give 43 characters.
    public static func randomToken(bytes count: Int = 32) -> String {
        base64URLEncode(randomBytes(count))
    }

    /// Constant-time comparison (`sodium_memcmp`) for secrets such as token digests; false
    /// when the lengths differ (the length itself is not secret).
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        prepare()
        return a.withUnsafeBytes { a in
            b.withUnsafeBytes { b in sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
    }

    /// BLAKE2b (`crypto_generichash`) of `bytes`, optionally keyed: for storing token digests.
    ///
    /// `outputLength` must be within 16...64 (`crypto_generichash_BYTES_MIN...MAX`) and a key,
    /// when given, 16...64 bytes long (`crypto_generichash_KEYBYTES_MIN...MAX`); anything else
    /// is a programming error and traps.
    public static func genericHash(_ bytes: [UInt8], key: [UInt8]? = nil, outputLength: Int = 32) -> [UInt8] {
        let outputRange = crypto_generichash_bytes_min()...crypto_generichash_bytes_max()
        precondition(outputRange.contains(outputLength), "genericHash: outputLength \(outputLength) not in \(outputRange)")
        if let key {
            let keyRange = crypto_generichash_keybytes_min()...crypto_generichash_keybytes_max()
            precondition(keyRange.contains(key.count), "genericHash: key of \(key.count) bytes, expected \(keyRange)")
        }
        prepare()
        var output = [UInt8](repeating: 0, count: outputLength)
        let status = withNonNullPointer(to: bytes) { input, inputLength in
            if let key {
                return withNonNullPointer(to: key) { key, keyLength in
                    crypto_generichash(&output, outputLength, input, UInt64(inputLength), key, keyLength)
                }
            }
            return crypto_generichash(&output, outputLength, input, UInt64(inputLength), nil, 0)
        }
        // Only fails for lengths out of range, which the preconditions rule out.
        precondition(status == 0, "crypto_generichash failed")
        return output
    }

    /// URL-safe base64 without padding (`sodium_bin2base64`, URLSAFE_NO_PADDING variant).
    public static func base64URLEncode(_ bytes: [UInt8]) -> String {
        prepare()
        let variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING
        // The encoded length includes the terminating NUL.
        var output = [CChar](repeating: 0, count: sodium_base64_encoded_len(bytes.count, variant))
        withNonNullPointer(to: bytes) { input, inputLength in
            _ = sodium_bin2base64(&output, output.count, input, inputLength, variant)
        }
        return string(fromNULTerminated: output)
    }

    /// The bytes of URL-safe unpadded base64 text; nil when the text is not exactly that
    /// (padding, `+` or `/`, whitespace, non-zero trailing bits, an impossible length).
    public static func base64URLDecode(_ text: String) -> [UInt8]? {
        prepare()
        // Every 4 characters carry 3 bytes; a partial group carries fewer.
        let capacity = text.utf8.count / 4 * 3 + 2
        var output = [UInt8](repeating: 0, count: capacity)
        var decodedLength = 0
        let status = withCChars(of: text) { input, inputLength in
            // No ignored characters, and no end pointer: libsodium then fails unless it
            // consumed the whole text.
            sodium_base642bin(
                &output, output.count, input, inputLength,
                nil, &decodedLength, nil, sodium_base64_VARIANT_URLSAFE_NO_PADDING)
        }
        guard status == 0 else { return nil }
        output.removeSubrange(decodedLength...)
        return output
    }
}
