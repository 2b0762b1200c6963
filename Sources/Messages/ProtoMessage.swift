/// A protobuf message as a Swift value; protobuf-c does the wire encoding underneath.
///
/// Every type generated from `Protos/` (by `scripts/generate-protos`) conforms.
public protocol ProtoMessage: Sendable, Equatable {
    /// A message with every field at its default.
    init()

    /// Decodes wire bytes; throws ProtoDecodingError when they are not a valid message of this type.
    init(serializedBytes bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError)

    /// Appends the wire encoding to `buffer`.
    func serialize(into buffer: inout [UInt8])

    /// The full protobuf name, e.g. "certportal.rpc.v1.Frame".
    static var protoMessageName: String { get }
}

extension ProtoMessage {
    /// Decodes wire bytes; throws ProtoDecodingError when they are not a valid message of this type.
    public init(serializedBytes bytes: [UInt8]) throws(ProtoDecodingError) {
        // Array.withUnsafeBytes only rethrows `any Error`; carry the typed error out in a Result.
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ProtoDecodingError) -> Self in try Self(serializedBytes: raw) }
        }
        self = try result.get()
    }

    /// The wire encoding as a new array.
    public func serializedBytes() -> [UInt8] {
        var buffer: [UInt8] = []
        serialize(into: &buffer)
        return buffer
    }
}

/// Bytes that are not a valid encoding of the message type they were decoded as.
public struct ProtoDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The full protobuf name of the type being decoded, e.g. "certportal.rpc.v1.Frame".
    public var messageName: String
    /// What was wrong, e.g. which string field was not UTF-8.
    public var reason: String

    public init(messageName: String, reason: String) {
        self.messageName = messageName
        self.reason = reason
    }

    public var description: String {
        "cannot decode \(messageName): \(reason)"
    }
}
