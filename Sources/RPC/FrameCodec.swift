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
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maxBodyBytes: Int = FrameFormat.defaultMaxBodyBytes) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// True while some bytes of an incomplete frame are buffered.
    public var hasPartialFrame: Bool { start < buffer.count }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(FrameError) -> Frame? {
        let available = buffer.count - start
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
            body = buffer[bodyStart..<bodyStart + length]
        }
        do {
            return try body.withUnsafeBytes { raw in try Frame(serializedBytes: raw) }
        } catch {
            throw .notAFrame((error as? ProtoDecodingError)?.reason ?? "\(error)")
        }
    }
}

/// Writes frames: header, then the (optionally compressed) body.
public enum FrameEncoder {
    public static func append(_ frame: Frame, compress: Bool = false, to output: inout [UInt8]) {
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
