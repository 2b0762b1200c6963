internal import CSodium

/// libsodium for the portal: password hashes, random tokens, digests and sealed cookies.
///
/// This module is the only one that touches libsodium's pointers; everything it exposes is
/// `[UInt8]`, `String` and `Sendable` value types.
public enum Sodium {
    /// `sodium_init()` has to run before any other libsodium call (it picks the fastest
    /// implementations and opens the random source). A `static let` is initialised exactly
    /// once, on first use, thread-safely; every entry point touches it through `prepare()`.
    private static let initialised: Void = {
        // 0: initialised now, 1: already initialised. -1 means no usable random source,
        // and nothing in this module would be safe to run after that.
        guard sodium_init() >= 0 else { fatalError("sodium_init() failed: no usable random source") }
    }()

    /// Runs `sodium_init()` the first time it is called; a no-op after that.
    static func prepare() { initialised }
}

/// A libsodium call that failed, and why.
public struct SodiumError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}

/// Calls `body` with `text`'s UTF-8 bytes as a C `char` pointer (never nil, NUL-terminated)
/// and their count; embedded NULs are part of the count, so pass the count on, not strlen.
func withCChars<Result>(of text: String, _ body: (UnsafePointer<CChar>, Int) -> Result) -> Result {
    text.withCString { body($0, text.utf8.count) }
}

/// The text before the first NUL of a C string buffer, decoded as UTF-8.
func string(fromNULTerminated buffer: [CChar]) -> String {
    let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Calls `body` with `bytes` as a C pointer that is never nil, even for an empty array:
/// libsodium does not promise to accept NULL with a zero length everywhere.
func withNonNullPointer<Result>(to bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> Result) -> Result {
    if bytes.isEmpty {
        var placeholder: UInt8 = 0
        return withUnsafePointer(to: &placeholder) { body($0, 0) }
    }
    return bytes.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
}
