public import Messages
internal import Deflate

public typealias Frame = Certportal_Rpc_V1_Frame

/// Why a byte stream is not valid CPRPC/1: each is a connection error.
public enum FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownFlags(UInt8)
    case tooLarge(length: Int, limit: Int)
    case badCompression(String)
    case notAFrame(String)

    public var description: String {
        switch self {
        case .unknownFlags(let flags): "unknown frame flag bits 0x\(String(flags, radix: 16))"
        case .tooLarge(let length, let limit): "frame of \(length) bytes exceeds the limit of \(limit)"
        case .badCompression(let reason): "bad compressed frame: \(reason)"
        case .notAFrame(let reason): "body is not a Frame: \(reason)"
        }
    }
}

/// Frame layout constants (PROTOCOL.md section 1).
public enum FrameFormat {
    public static let headerSize = 5
    public static let compressedFlag: UInt8 = 0x01
    /// Bodies below this size are never compressed.
    public static let compressionThreshold = 1024
    public static let defaultMaxBodyBytes = 4 << 20
}

/// Turns a byte stream into frames. A pure value type: bytes in, frames out; it checks
/// flags and length before it buffers a body, so a hostile length never allocates.
public struct FrameDecoder: Sendable {
    public let maxBodyBytes: Int
    /// Unread bytes are `start..<end`; the rest is room for more (a socket reads into it).
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0

    public init(maxBodyBytes: Int = FrameFormat.defaultMaxBodyBytes) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// True while some bytes of an incomplete frame are buffered.
    public var hasPartialFrame: Bool { start < end }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        makeRoom(bytes.count)
        buffer.withUnsafeMutableBytes { raw in
            UnsafeMutableRawBufferPointer(rebasing: raw[end..<end + bytes.count]).copyMemory(from: bytes)
        }
        end += bytes.count
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Lets `read` (a socket read) write straight into the room after the unread bytes: no
    /// copy on the way in. It gets `room` bytes, or all the rest of a larger frame whose
    /// header is in, so that a large frame ends where a read ends and its bytes are never
    /// moved to make room for the next.
    mutating func read(room: Int, _ read: (UnsafeMutableRawBufferPointer) throws(SystemCallError) -> IOResult) throws(SystemCallError) -> IOResult {
        var count = room
        let unread = end - start
        if unread >= FrameFormat.headerSize {
            let length = Int(buffer[start + 1]) << 24 | Int(buffer[start + 2]) << 16
                | Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
            let missing = FrameFormat.headerSize + length - unread
            if length <= maxBodyBytes && missing > room { count = missing }
        }
        makeRoom(count)
        let outcome = buffer.withUnsafeMutableBytes { raw in
            Result { () throws(SystemCallError) in try read(UnsafeMutableRawBufferPointer(rebasing: raw[end..<end + count])) }
        }
        let result = try outcome.get()
        if case .processed(let count) = result { end += count }
        return result
    }

    /// At least `room` bytes free after the unread ones: the unread bytes move to the front
    /// when that is enough, else the buffer doubles (its size stays for the next frames).
    private mutating func makeRoom(_ room: Int) {
        if start == end {
            start = 0
            end = 0
        }
        guard buffer.count - end < room else { return }
        if start > 0 && buffer.count - (end - start) >= room {
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: end - start)
            }
        } else {
            var grown = [UInt8](repeating: 0, count: max(buffer.count * 2, end - start + room))
            grown.withUnsafeMutableBytes { raw in
                buffer.withUnsafeBytes { old in
                    UnsafeMutableRawBufferPointer(rebasing: raw[0..<end - start]).copyMemory(from: UnsafeRawBufferPointer(rebasing: old[start..<end]))
                }
            }
            buffer = grown
        }
        end -= start
        start = 0
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(FrameError) -> Frame? {
        let available = end - start
        guard available >= FrameFormat.headerSize else { return nil }
        let flags = buffer[start]
        guard flags & ~FrameFormat.compressedFlag == 0 else { throw .unknownFlags(flags) }
        let length = Int(buffer[start + 1]) << 24 | Int(buffer[start + 2]) << 16
            | Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
        guard length <= maxBodyBytes else { throw .tooLarge(length: length, limit: maxBodyBytes) }
        guard available >= FrameFormat.headerSize + length else { return nil }
        let bodyStart = start + FrameFormat.headerSize
        start = bodyStart + length
        let body: ArraySlice<UInt8>
        if flags & FrameFormat.compressedFlag != 0 {
            do {
                body = try Deflate.decompress(buffer[bodyStart..<bodyStart + length], limit: maxBodyBytes)[...]
            } catch {
                throw .badCompression(error.description)
            }
        } else {
            if let frame = Self.messageFrame(buffer, bodyStart..<bodyStart + length) { return frame }
            body = buffer[bodyStart..<bodyStart + length]
        }
        do {
            return try body.withUnsafeBytes { raw in try Frame(serializedBytes: raw) }
        } catch {
            throw .notAFrame((error as? ProtoDecodingError)?.reason ?? "\(error)")
        }
    }
}

// Message frames carry every byte of every call, so both directions take a short way for
// them: the Frame's two fields written and read here (the same bytes protobuf-c writes), the
// payload copied once, where the generic path copies it twice. Anything else, or anything
// unusual in a message frame, goes through protobuf-c.
extension FrameDecoder {
    /// A frame that is exactly `call_id` (field 1, varint) and `message` (field 3, bytes),
    /// decoded with one copy of the payload; nil for anything else.
    static func messageFrame(_ buffer: [UInt8], _ range: Range<Int>) -> Frame? {
        buffer.withUnsafeBytes { bytes -> Frame? in
            var reader = ProtoWire.Reader(UnsafeRawBufferPointer(rebasing: bytes[range]), messageName: Frame.protoMessageName)
            var callID: UInt64 = 0
            var payload: UnsafeRawBufferPointer?
            do {
                while let (field, value) = try reader.next() {
                    switch (field, value) {
                    case (1, .varint(let value)): callID = value
                    case (3, .bytes(let bytes)) where payload == nil: payload = bytes
                    default: return nil
                    }
                }
            } catch {
                return nil  // the generic decoder refuses it, in its own words
            }
            guard let payload else { return nil }
            return Frame(callId: callID, kind: .message(Array(payload)))
        }
    }
}

/// Writes frames: header, then the (optionally compressed) body.
public enum FrameEncoder {
    public static func append(_ frame: Frame, compress: Bool = false, to output: inout [UInt8]) {
        if !compress, case .message(let payload)? = frame.kind {
            appendMessage(callID: frame.callId, payload, to: &output)
            return
        }
        let headerAt = output.count
        output.append(contentsOf: [0, 0, 0, 0, 0])
        frame.serialize(into: &output)
        var length = output.count - headerAt - FrameFormat.headerSize
        var flags: UInt8 = 0
        if compress && length >= FrameFormat.compressionThreshold {
            let compressed = Deflate.compress(Array(output[(headerAt + FrameFormat.headerSize)...]))
            if compressed.count < length {
                output.removeSubrange((headerAt + FrameFormat.headerSize)...)
                output.append(contentsOf: compressed)
                length = compressed.count
                flags = FrameFormat.compressedFlag
            }
        }
        output[headerAt] = flags
        output[headerAt + 1] = UInt8(truncatingIfNeeded: length >> 24)
        output[headerAt + 2] = UInt8(truncatingIfNeeded: length >> 16)
        output[headerAt + 3] = UInt8(truncatingIfNeeded: length >> 8)
        output[headerAt + 4] = UInt8(truncatingIfNeeded: length)
    }

    /// An uncompressed message frame: `call_id` (when not 0) and `message`, in field order
    /// as protobuf-c packs them, the payload copied once into space reserved for all of it.
    static func appendMessage(callID: UInt64, _ payload: [UInt8], to output: inout [UInt8]) {
        var fields: [UInt8] = []
        if callID != 0 {
            fields.append(0x08)
            ProtoWire.varint(callID, into: &fields)
        }
        fields.append(0x1A)
        ProtoWire.varint(UInt64(payload.count), into: &fields)
        let length = fields.count + payload.count
        output.reserveCapacity(output.count + FrameFormat.headerSize + length)
        output.append(0)
        output.append(UInt8(truncatingIfNeeded: length >> 24))
        output.append(UInt8(truncatingIfNeeded: length >> 16))
        output.append(UInt8(truncatingIfNeeded: length >> 8))
        output.append(UInt8(truncatingIfNeeded: length))
        output.append(contentsOf: fields)
        output.append(contentsOf: payload)
    }

    public static func encode(_ frame: Frame, compress: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        append(frame, compress: compress, to: &output)
        return output
    }
}

extension Frame {
    init(callId: UInt64, kind: Kind) {
        self.init()
        self.callId = callId
        self.kind = kind
    }
}

extension Metadata {
    init(_ entries: [Certportal_Rpc_V1_Metadata]) {
        self.init()
        for entry in entries { add(entry.key, entry.value) }
    }

    var wire: [Certportal_Rpc_V1_Metadata] {
        entries.map { entry in
            var item = Certportal_Rpc_V1_Metadata()
            item.key = entry.key
            item.value = entry.value
            return item
        }
    }
}
