/// One SQLite value: the five storage classes SQLite itself has.
public enum DatabaseValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var isNull: Bool { self == .null }

    /// The integer, or `nil` when the value is not an integer.
    public var int64: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    /// The number as a `Double`, converting integers; `nil` for other storage classes.
    public var double: Double? {
        switch self {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    /// The text, or `nil` when the value is not text.
    public var string: String? {
        if case .text(let value) = self { value } else { nil }
    }

    /// The bytes, or `nil` when the value is not a blob.
    public var blob: [UInt8]? {
        if case .blob(let value) = self { value } else { nil }
    }
}

/// A Swift value that can be bound to a statement parameter.
public protocol Bindable: Sendable {
    var databaseValue: DatabaseValue { get }
}

extension DatabaseValue: Bindable {
    public var databaseValue: DatabaseValue { self }
}

extension Int64: Bindable {
    public var databaseValue: DatabaseValue { .integer(self) }
}

extension Int: Bindable {
    public var databaseValue: DatabaseValue { .integer(Int64(self)) }
}

extension Double: Bindable {
    public var databaseValue: DatabaseValue { .real(self) }
}

extension String: Bindable {
    public var databaseValue: DatabaseValue { .text(self) }
}

extension Array: Bindable where Element == UInt8 {
    public var databaseValue: DatabaseValue { .blob(self) }
}

/// SQLite has no boolean type; booleans are stored as the integers 0 and 1.
extension Bool: Bindable {
    public var databaseValue: DatabaseValue { .integer(self ? 1 : 0) }
}

/// The values for a statement's parameters, by position (`[1, "Zoë", nil]`) or by name
/// (`[":name": "Zoë"]`). `nil` binds SQL NULL.
public struct Bindings: Sendable, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    enum Values: Sendable {
        case positional([DatabaseValue])
        case named([(name: String, value: DatabaseValue)])
    }

    let values: Values

    /// Values for the parameters `?1`, `?2`, … in order.
    public init(_ values: [(any Bindable)?]) {
        self.values = .positional(values.map { $0?.databaseValue ?? .null })
    }

    /// Values by parameter name; the name may include its prefix (`:id`) or leave it out (`id`).
    public init(_ values: [String: (any Bindable)?]) {
        self.values = .named(values.map { (name: $0.key, value: $0.value?.databaseValue ?? .null) })
    }

    public init(arrayLiteral elements: (any Bindable)?...) {
        self.init(elements)
    }

    public init(dictionaryLiteral elements: (String, (any Bindable)?)...) {
        self.values = .named(elements.map { (name: $0.0, value: $0.1?.databaseValue ?? .null) })
    }
}
