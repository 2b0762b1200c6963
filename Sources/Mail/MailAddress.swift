/// An e-mail address with an optional display name, checked when made.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The display name, any Unicode (RFC 2047 encoded when rendered); may be empty.
    public var name: String
    /// The addr-spec, `local@domain`.
    public var address: String

    /// Refuses an address that could not be sent or would break a header (see ``check()``).
    public init(_ address: String, name: String = "") throws(MailError) {
        self.address = address
        self.name = name
        try check()
    }

    /// The same checks as `init`, for a value whose fields were changed after it was made.
    public func check() throws(MailError) {
        if let reason = Self.problem(address) { throw .invalid("address \"\(Self.printable(address))\": \(reason)") }
        if let bad = name.unicodeScalars.first(where: isControl) {
            throw .invalid("display name of \(address): control character U+\(hex(bad)) (CR, LF and the like are refused)")
        }
    }

    /// What is wrong with an addr-spec, or nil.
    static func problem(_ address: String) -> String? {
        if address.isEmpty { return "empty" }
        if address.utf8.count > 254 { return "longer than 254 bytes" }
        for scalar in address.unicodeScalars {
            if isControl(scalar) { return "control character U+\(hex(scalar)) (CR, LF and the like are refused)" }
            if scalar == " " { return "contains a space" }
            if !scalar.isASCII { return "non-ASCII character \"\(scalar)\" (SMTPUTF8 is not used; give the domain in punycode)" }
            if "<>()[],;:\\\"".unicodeScalars.contains(scalar) { return "contains \"\(scalar)\"" }
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return parts.count == 1 ? "no @" : "more than one @" }
        let local = parts[0], domain = parts[1]
        if local.isEmpty { return "nothing before the @" }
        if domain.isEmpty { return "no domain after the @" }
        if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") { return "misplaced dot before the @" }
        if domain.hasPrefix(".") || domain.hasSuffix(".") || domain.contains("..") { return "misplaced dot in the domain" }
        return nil
    }

    /// `Name <address>` as written in a header (unencoded), or the address alone.
    public var description: String {
        name.isEmpty ? address : "\(name) <\(address)>"
    }

    /// The address with control characters shown as `\u{…}`, for error messages.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(300))).unicodeScalars
            .map { isControl($0) ? "\\u{\(hex($0))}" : String($0) }.joined()
    }
}

func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
        || scalar.value == 0x2028 || scalar.value == 0x2029
}

func hex(_ scalar: Unicode.Scalar) -> String {
    let digits = String(scalar.value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
