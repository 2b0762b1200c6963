/// The protobuf wire format by hand, for the few hot paths that write or read a message
/// without its Swift struct (each with a test holding it to the generated code).
public enum ProtoWire {
    public enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    public static func key(field: UInt64, type: WireType, into bytes: inout [UInt8]) {
        varint(field << 3 | type.rawValue, into: &bytes)
    }

    /// The bytes `varint` writes for `value`.
    public static func varintLength(_ value: UInt64) -> Int {
        (64 - value.leadingZeroBitCount + 6) / 7 + (value == 0 ? 1 : 0)
    }

    public static func varint(_ value: UInt64, into bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Appends a proto3 bytes or string field (nothing when empty, as the generated encoder does).
    public static func appendField(_ field: UInt64, bytes value: UnsafeBufferPointer<UInt8>, into bytes: inout [UInt8]) {
        guard !value.isEmpty else { return }
        key(field: field, type: .lengthDelimited, into: &bytes)
        varint(UInt64(value.count), into: &bytes)
        bytes.append(contentsOf: value)
    }

    /// Appends a proto3 varint field (nothing when 0, as the generated encoder does).
    public static func appendField(_ field: UInt64, _ value: UInt64, into bytes: inout [UInt8]) {
        guard value != 0 else { return }
        key(field: field, type: .varint, into: &bytes)
        varint(value, into: &bytes)
    }

    /// Reads a message's fields in the order they come: the field number, and its value as
    /// a varint or its bytes (length-delimited); fixed-width fields are skipped.
    public struct Reader {
        public enum Value {
            case varint(UInt64)
            case bytes(UnsafeRawBufferPointer)
        }

        let bytes: UnsafeRawBufferPointer
        var offset = 0
        let messageName: String

        public init(_ bytes: UnsafeRawBufferPointer, messageName: String) {
            self.bytes = bytes
            self.messageName = messageName
        }

        /// The next field, nil at the end; throws when the bytes end inside one, a varint
        /// holds more than 64 bits, or a field uses a wire type proto3 doesn't (groups).
        public mutating func next() throws(ProtoDecodingError) -> (field: UInt64, value: Value)? {
            while offset < bytes.count {
                let key = try varint()
                let field = key >> 3
                guard field > 0 else { throw invalid("field number 0") }
                switch key & 7 {
                case WireType.varint.rawValue:
                    return (field, .varint(try varint()))
                case WireType.lengthDelimited.rawValue:
                    let length = try varint()
                    guard length <= UInt64(bytes.count - offset) else { throw invalid("field \(field) runs past the end") }
                    let start = offset
                    offset += Int(length)
                    return (field, .bytes(UnsafeRawBufferPointer(rebasing: bytes[start..<offset])))
                case WireType.fixed64.rawValue:
                    try skip(8, field)
                case WireType.fixed32.rawValue:
                    try skip(4, field)
                default:
                    throw invalid("field \(field) has wire type \(key & 7)")
                }
            }
            return nil
        }

        private mutating func skip(_ count: Int, _ field: UInt64) throws(ProtoDecodingError) {
            guard count <= bytes.count - offset else { throw invalid("field \(field) runs past the end") }
            offset += count
        }

        private mutating func varint() throws(ProtoDecodingError) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count, shift < 64 {
                let byte = bytes[offset]
                offset += 1
                // The tenth byte has room for the 64th bit only.
                if shift == 63 && byte > 1 { throw invalid("a varint holds more than 64 bits") }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            throw invalid(offset < bytes.count ? "a varint holds more than 64 bits" : "a varint runs past the end")
        }

        private func invalid(_ reason: String) -> ProtoDecodingError {
            ProtoDecodingError(messageName: messageName, reason: reason)
        }
    }
}

/// A message of type `Message` kept as its wire bytes: what a hot path sends or receives
/// when it writes or reads the bytes itself (`MethodDescriptor.encodedResponse`).
public struct EncodedMessage<Message: ProtoMessage>: ProtoMessage {
    public static var protoMessageName: String { Message.protoMessageName }

    public var bytes: [UInt8]

    public init() { bytes = [] }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Copies the bytes as they are: the reader checks them.
    public init(serializedBytes bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError) {
        self.bytes = Array(bytes)
    }

    public func serialize(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// The bytes decoded by the generated code.
    public func decoded() throws(ProtoDecodingError) -> Message {
        try Message(serializedBytes: bytes)
    }
}

extension MethodDescriptor {
    /// The same method with its response as wire bytes.
    public var encodedResponse: MethodDescriptor<Request, EncodedMessage<Response>> {
        MethodDescriptor<Request, EncodedMessage<Response>>(service: service, method: method, shape: shape, idempotent: idempotent)
    }
}
