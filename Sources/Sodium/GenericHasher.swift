internal import CSodium

/// BLAKE2b (`crypto_generichash`) over bytes given in pieces, for checking a file as it
/// streams past without holding it. Not Sendable: one owner feeds it.
public final class GenericHasher {
    private let state: UnsafeMutableRawPointer
    private let outputLength: Int
    private var finished = false

    /// `outputLength` within 16...64 bytes (32: BLAKE2b-256, as `Sodium.genericHash`).
    public init(outputLength: Int = 32) {
        let outputRange = crypto_generichash_bytes_min()...crypto_generichash_bytes_max()
        precondition(outputRange.contains(outputLength), "GenericHasher: outputLength \(outputLength) not in \(outputRange)")
        Sodium.prepare()
        self.outputLength = outputLength
        // The state is opaque to Swift (its 64-byte alignment does not import): allocate it so aligned.
        state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        _ = crypto_generichash_init(OpaquePointer(state), nil, 0, outputLength)
    }

    deinit { state.deallocate() }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "GenericHasher: update after finish")
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        _ = crypto_generichash_update(OpaquePointer(state),
                                      base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest; the hasher takes no more bytes after it.
    public func finish() -> [UInt8] {
        precondition(!finished, "GenericHasher: finish twice")
        finished = true
        var output = [UInt8](repeating: 0, count: outputLength)
        _ = crypto_generichash_final(OpaquePointer(state), &output, outputLength)
        return output
    }
}
