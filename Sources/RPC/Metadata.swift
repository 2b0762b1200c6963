/// Call metadata: ordered key/value pairs, keys lower-case ASCII, repeated keys allowed.
public struct Metadata: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    public private(set) var entries: [(key: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (key, value) in elements { add(key, value) }
    }

    /// Appends a pair; the key is lower-cased as the protocol requires.
    public mutating func add(_ key: String, _ value: String) {
        entries.append((key.lowercased(), value))
    }

    /// Replaces every value of `key` with one value (or removes the key when nil).
    public subscript(key: String) -> String? {
        get { entries.first { $0.key == key.lowercased() }?.value }
        set {
            let lowered = key.lowercased()
            entries.removeAll { $0.key == lowered }
            if let newValue { entries.append((lowered, newValue)) }
        }
    }

    public func values(for key: String) -> [String] {
        let lowered = key.lowercased()
        return entries.filter { $0.key == lowered }.map(\.value)
    }

    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[(key: String, value: String)]> {
        entries.makeIterator()
    }

    public static func == (lhs: Metadata, rhs: Metadata) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0 == $1 }
    }

    public func hash(into hasher: inout Hasher) {
        for (key, value) in entries { hasher.combine(key); hasher.combine(value) }
    }
}

/// Metadata keys reserved by CPRPC/1 (PROTOCOL.md section 5).
public enum MetadataKey {
    public static let acceptEncoding = "accept-encoding"
    public static let meshToken = "cp-mesh-token"
    public static let principal = "cp-principal"
    public static let requestID = "cp-request-id"
    /// The person behind the principal (the gateway's user's e-mail), for audits.
    public static let actor = "cp-actor"
}

/// Who the end user is, as asserted by the gateway and checked by every service.
public enum Principal: Sendable, Hashable, CustomStringConvertible {
    case admin
    case booker(String)
    case orgrep(String)

    /// Parses `admin`, `booker:<id>` or `orgrep:<id>`; nil for anything else.
    public init?(_ text: String) {
        if text == "admin" { self = .admin; return }
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let id = String(text[text.index(after: colon)...])
        guard !id.isEmpty else { return nil }
        switch text[..<colon] {
        case "booker": self = .booker(id)
        case "orgrep": self = .orgrep(id)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .admin: "admin"
        case .booker(let id): "booker:\(id)"
        case .orgrep(let id): "orgrep:\(id)"
        }
    }
}
