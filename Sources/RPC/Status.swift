/// A gRPC status code (PROTOCOL.md section 4). A struct around the raw number so the set
/// can grow and unknown codes from peers survive.
public struct RPCStatusCode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let ok = Self(rawValue: 0)
    public static let cancelled = Self(rawValue: 1)
    public static let unknown = Self(rawValue: 2)
    public static let invalidArgument = Self(rawValue: 3)
    public static let deadlineExceeded = Self(rawValue: 4)
    public static let notFound = Self(rawValue: 5)
    public static let alreadyExists = Self(rawValue: 6)
    public static let permissionDenied = Self(rawValue: 7)
    public static let resourceExhausted = Self(rawValue: 8)
    public static let failedPrecondition = Self(rawValue: 9)
    public static let aborted = Self(rawValue: 10)
    public static let outOfRange = Self(rawValue: 11)
    public static let unimplemented = Self(rawValue: 12)
    public static let internalError = Self(rawValue: 13)
    public static let unavailable = Self(rawValue: 14)
    public static let dataLoss = Self(rawValue: 15)
    public static let unauthenticated = Self(rawValue: 16)

    private static let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    ]

    public var description: String {
        rawValue < Self.names.count ? Self.names[Int(rawValue)] : "CODE_\(rawValue)"
    }

    /// Parses "NOT_FOUND" or "5".
    public init?(name: String) {
        if let index = Self.names.firstIndex(of: name.uppercased()) {
            self.init(rawValue: UInt32(index))
        } else if let number = UInt32(name) {
            self.init(rawValue: number)
        } else {
            return nil
        }
    }
}

/// The error every call fails with: a status code, a human-readable message, trailing
/// metadata, and (server side only, never sent) the underlying cause.
public struct RPCError: Error, Sendable, CustomStringConvertible {
    public var code: RPCStatusCode
    public var message: String
    public var metadata: Metadata
    public var cause: (any Error)?

    public init(_ code: RPCStatusCode, _ message: String, metadata: Metadata = [:], cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.metadata = metadata
        self.cause = cause
    }

    public var description: String { message.isEmpty ? "\(code)" : "\(code): \(message)" }
}

/// Domain errors opt in to a status code by conforming; anything else thrown by a handler
/// ends the call with UNKNOWN and no internals.
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}

extension RPCError: RPCErrorConvertible {
    public var rpcError: RPCError { self }
}
