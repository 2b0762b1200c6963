// The bridge between the generated Swift values and protobuf-c's C structs. The generated
// code (Generated/*.pb.swift) supplies, per message, the calls into the protoc-c functions
// and the field-by-field copies; everything generic lives here.
//
// Encoding builds the C struct in a CArena (the stack for small messages; bytes fields
// point into their arrays), sizes it with protobuf_c_message_get_packed_size, packs it
// with protobuf_c_message_pack straight into the caller's array, then frees the arena at
// once. Decoding runs protobuf_c_message_unpack
// (default allocator), copies the C struct into Swift values and frees it with
// protobuf_c_message_free_unpacked. (protoc-c writes typed *__pack/*__unpack wrappers for
// top-level messages only, so the generic functions serve nested ones too.)
//
// What protobuf-c 1.4 does and does not check, and what is done about it here:
// - It rejects malformed wire data (truncated varints or lengths, wire types that do not
//   match the field's type, unknown wire types): `decode` turns that into a
//   ProtoDecodingError. It gives no reason, so the error cannot say which field.
// - It does not validate UTF-8 in string fields: `string(_:field:)` does, and an invalid
//   string is a ProtoDecodingError naming the field, never a crash or a repaired string.
// - Its strings are NUL-terminated: a string containing U+0000 is cut at the NUL, on
//   encode (strlen) and on decode. Use bytes for data that may contain NUL.
// - It keeps unknown fields on the C struct; the Swift values drop them, so re-encoding
//   a decoded message loses fields this code does not know. Unknown enum values survive.

internal import CMessages
internal import CProtobufC

/// A generated message's C side: its protoc-c struct and the copies between the struct and
/// the Swift value. Conformances are generated; see CBridge.
protocol CBackedMessage: ProtoMessage {
    associatedtype CMessage

    /// The generated `*__init`: the struct with every field at its default (the
    /// `*__INIT` macros do not import into Swift).
    static func cInit(_ message: UnsafeMutablePointer<CMessage>)
    /// The struct's `base`, which the protobuf_c_message_* functions take.
    static func cBase(_ message: UnsafeMutablePointer<CMessage>) -> UnsafeMutablePointer<ProtobufCMessage>

    /// Sets the fields of an initialised struct; all memory comes from `arena`.
    func cFill(_ c: UnsafeMutablePointer<CMessage>, arena: inout CArena)
    /// Copies an unpacked struct into a Swift value.
    init(copying c: UnsafePointer<CMessage>) throws(CBridge.InvalidString)
}

/// Generic encoding and decoding, and the field conversions the generated code calls.
enum CBridge {
    /// A string field that is not valid UTF-8; `decode` makes it a ProtoDecodingError.
    struct InvalidString: Error {
        /// The field's full name, e.g. "certportal.rpc.v1.Metadata.key".
        var field: StaticString
    }

    static func encode<M: CBackedMessage>(_ message: M, into buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: CArena.scratchBytes, alignment: CArena.alignment) { scratch in
            var arena = CArena(scratch: scratch)
            let c = arena.message(message)
            let base = M.cBase(c)
            let size = protobuf_c_message_get_packed_size(base)
            guard size > 0 else { return }
            let written: Int
            if buffer.isEmpty && buffer.capacity < size {
                // A fresh array: pack into uninitialised storage, no zero fill.
                var packed = 0
                buffer = [UInt8](unsafeUninitializedCapacity: size) { out, initialized in
                    packed = protobuf_c_message_pack(base, out.baseAddress!)
                    initialized = packed
                }
                written = packed
            } else if buffer.capacity - buffer.count < size {
                // Appending past the capacity (e.g. after a frame header): a new array of
                // the bytes so far, the message packed into its uninitialised rest (no
                // zero fill, no regrow copy).
                let old = buffer
                var packed = 0
                buffer = [UInt8](unsafeUninitializedCapacity: old.count + size) { out, initialized in
                    old.withUnsafeBufferPointer { prefix in
                        if let source = prefix.baseAddress {
                            out.baseAddress!.initialize(from: source, count: prefix.count)
                        }
                    }
                    packed = protobuf_c_message_pack(base, out.baseAddress! + old.count)
                    initialized = old.count + packed
                }
                written = packed
            } else {
                // Appending within the capacity: Array has no uninitialised append, so grow
                // with zeros and pack over them.
                let start = buffer.count
                buffer.append(contentsOf: repeatElement(0, count: size))
                written = buffer.withUnsafeMutableBufferPointer { out in
                    protobuf_c_message_pack(base, out.baseAddress! + start)
                }
            }
            precondition(written == size, "protobuf-c packed \(written) bytes of \(M.protoMessageName), expected \(size)")
        }
    }

    static func decode<M: CBackedMessage>(_ bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError) -> M {
        // An empty encoding is the message with every field at its default.
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return M() }
        let data = base.assumingMemoryBound(to: UInt8.self)
        guard let unpacked = protobuf_c_message_unpack(descriptor(of: M.self), nil, bytes.count, data) else {
            throw ProtoDecodingError(
                messageName: M.protoMessageName,
                reason: "\(bytes.count) bytes are not a valid protobuf encoding of it (rejected by protobuf-c)")
        }
        defer { protobuf_c_message_free_unpacked(unpacked, nil) }
        do throws(InvalidString) {
            // The C cast `(Foo *) message`: protobuf-c allocated and filled the whole struct.
            return try M(copying: UnsafePointer<M.CMessage>(OpaquePointer(unpacked)))
        } catch {
            throw ProtoDecodingError(
                messageName: M.protoMessageName,
                reason: "string field \(error.field) is not valid UTF-8")
        }
    }

    /// The message's ProtobufCMessageDescriptor: the global the generated `*__init` stores in
    /// `base.descriptor` (its real address; Swift may copy an imported C constant instead).
    static func descriptor<M: CBackedMessage>(of _: M.Type) -> UnsafePointer<ProtobufCMessageDescriptor> {
        withUnsafeTemporaryAllocation(of: M.CMessage.self, capacity: 1) { scratch in
            let c = scratch.baseAddress!
            M.cInit(c)
            return M.cBase(c).pointee.descriptor
        }
    }

    // MARK: C to Swift

    static func string(_ p: UnsafeMutablePointer<CChar>?, field: StaticString) throws(InvalidString) -> String {
        guard let p, p.pointee != 0 else { return "" }
        guard let string = String(validatingCString: p) else { throw InvalidString(field: field) }
        return string
    }

    static func strings(
        _ p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, count: Int, field: StaticString
    ) throws(InvalidString) -> [String] {
        guard let p, count > 0 else { return [] }
        var result: [String] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            result.append(try string(p[index], field: field))
        }
        return result
    }

    static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let start = data.data else { return [] }
        return [UInt8](UnsafeBufferPointer(start: start, count: data.len))
    }

    static func bytesArray(_ p: UnsafeMutablePointer<ProtobufCBinaryData>?, count: Int) -> [[UInt8]] {
        guard let p, count > 0 else { return [] }
        return UnsafeBufferPointer(start: p, count: count).map(bytes)
    }

    static func message<M: CBackedMessage>(_ p: UnsafeMutablePointer<M.CMessage>?) throws(InvalidString) -> M {
        guard let p else { return M() }
        return try M(copying: p)
    }

    static func messages<M: CBackedMessage>(
        _ p: UnsafeMutablePointer<UnsafeMutablePointer<M.CMessage>?>?, count: Int
    ) throws(InvalidString) -> [M] {
        guard let p, count > 0 else { return [] }
        var result: [M] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            result.append(try message(p[index]))
        }
        return result
    }

    static func array<T>(_ p: UnsafeMutablePointer<T>?, count: Int) -> [T] {
        guard let p, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: count))
    }

    static func map<T, U>(_ p: UnsafeMutablePointer<T>?, count: Int, _ transform: (T) -> U) -> [U] {
        guard let p, count > 0 else { return [] }
        return UnsafeBufferPointer(start: p, count: count).map(transform)
    }
}

/// Scratch memory for the C side of one encode (structs, NUL-terminated string copies,
/// arrays), freed all at once. It starts in a stack buffer, so a small message allocates
/// nothing on the heap; bigger ones take heap blocks that the deinit frees.
struct CArena: ~Copyable {
    /// The stack scratch `CBridge.encode` provides.
    static let scratchBytes = 1024
    /// Enough for every C type in the generated structs.
    static let alignment = 16

    private var cursor: UnsafeMutableRawPointer
    private var end: UnsafeMutableRawPointer
    private var blocks: [UnsafeMutableRawPointer] = []
    /// Arrays whose storage the C struct points into (bytes fields).
    private var retained: [[UInt8]] = []
    private var nextBlockBytes = 4096

    init(scratch: UnsafeMutableRawBufferPointer) {
        cursor = scratch.baseAddress!
        end = cursor + scratch.count
    }

    deinit {
        for block in blocks {
            block.deallocate()
        }
    }

    mutating func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let byteCount = MemoryLayout<T>.stride * count
        return allocateBytes(byteCount, alignment: MemoryLayout<T>.alignment)
            .bindMemory(to: T.self, capacity: count)
    }

    private mutating func allocateBytes(_ byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        precondition(alignment <= Self.alignment)
        let start = cursor.alignedUp(toMultipleOf: alignment)
        if start <= end && end - start >= byteCount {
            cursor = start + byteCount
            return start
        }
        if byteCount > nextBlockBytes / 2 {
            // A large string or bytes field gets a block of its own; the current one stays.
            let block = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: Self.alignment)
            blocks.append(block)
            return block
        }
        let block = UnsafeMutableRawPointer.allocate(byteCount: nextBlockBytes, alignment: Self.alignment)
        blocks.append(block)
        cursor = block + byteCount
        end = block + nextBlockBytes
        nextBlockBytes = min(nextBlockBytes * 2, 1 << 20)
        return block
    }

    // MARK: Swift to C

    /// A NUL-terminated copy of the string's UTF-8.
    mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        let count = string.utf8.count
        let p = allocate(CChar.self, count: count + 1)
        string.withUTF8 { utf8 in
            if let source = utf8.baseAddress {
                UnsafeMutableRawPointer(p).copyMemory(from: source, byteCount: utf8.count)
            }
        }
        p[count] = 0
        return p
    }

    mutating func cStrings(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let p = allocate(UnsafeMutablePointer<CChar>?.self, count: strings.count)
        for (index, string) in strings.enumerated() {
            (p + index).initialize(to: cString(string))
        }
        return p
    }

    /// The array's own storage, not a copy (a file chunk is packed once, not copied
    /// first): the arena holds a reference to the array until it is freed, and nothing
    /// can mutate that storage in place meanwhile (a write to any copy copies first).
    mutating func binaryData(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        retained.append(bytes)
        let p = bytes.withUnsafeBufferPointer { UnsafeMutablePointer(mutating: $0.baseAddress!) }
        return ProtobufCBinaryData(len: bytes.count, data: p)
    }

    mutating func binaryData(_ values: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData> {
        let p = allocate(ProtobufCBinaryData.self, count: values.count)
        for (index, bytes) in values.enumerated() {
            (p + index).initialize(to: binaryData(bytes))
        }
        return p
    }

    /// The message's C struct, initialised and filled.
    mutating func message<M: CBackedMessage>(_ message: M) -> UnsafeMutablePointer<M.CMessage> {
        let c = allocate(M.CMessage.self, count: 1)
        M.cInit(c)
        message.cFill(c, arena: &self)
        return c
    }

    mutating func messages<M: CBackedMessage>(_ messages: [M]) -> UnsafeMutablePointer<UnsafeMutablePointer<M.CMessage>?> {
        let p = allocate(UnsafeMutablePointer<M.CMessage>?.self, count: messages.count)
        for (index, element) in messages.enumerated() {
            (p + index).initialize(to: message(element))
        }
        return p
    }

    mutating func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let p = allocate(T.self, count: values.count)
        values.withUnsafeBufferPointer { source in
            p.initialize(from: source.baseAddress!, count: source.count)
        }
        return p
    }

    mutating func map<T, U>(_ values: [T], _ transform: (T) -> U) -> UnsafeMutablePointer<U> {
        let p = allocate(U.self, count: values.count)
        for (index, value) in values.enumerated() {
            (p + index).initialize(to: transform(value))
        }
        return p
    }
}
