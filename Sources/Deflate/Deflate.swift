internal import CZlib

/// zlib (RFC 1950) compression for CPRPC/1 frame bodies.
public enum Deflate {
    /// Why a body could not be inflated.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The inflated body would exceed the receiver's limit (a zlib bomb, or just too big).
        case exceedsLimit(Int)
        /// The bytes are not a complete, valid zlib stream.
        case corrupt(String)

        public var description: String {
            switch self {
            case .exceedsLimit(let limit): "inflated body exceeds the limit of \(limit) bytes"
            case .corrupt(let reason): "invalid zlib data: \(reason)"
            }
        }
    }

    /// Compresses `input` into a zlib stream.
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        precondition(cz_deflate_init(&stream, level) == Z_OK, "deflateInit failed: out of memory")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let produced = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                // zlib's next_in is not const-qualified but deflate never writes through it.
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                let status = deflate(&stream, Z_FINISH)
                // deflateBound guarantees one Z_FINISH call suffices.
                precondition(status == Z_STREAM_END, "deflate did not finish within deflateBound")
                return Int(stream.total_out)
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Inflates a zlib stream, refusing to produce more than `limit` bytes. Memory use is
    /// bounded by the limit however large the stream claims to be.
    public static func decompress(_ input: some Collection<UInt8>, limit: Int) throws(Failure) -> [UInt8] {
        let bytes = Array(input)
        var stream = z_stream()
        guard cz_inflate_init(&stream) == Z_OK else { throw .corrupt("inflateInit failed") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(bytes.count * 4, 256)))
        let chunkSize = 64 * 1024
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var status: Int32 = Z_OK
        let result: Failure? = bytes.withUnsafeBufferPointer { inBuf -> Failure? in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = uInt(inBuf.count)
            while true {
                let produced = chunk.withUnsafeMutableBufferPointer { outBuf -> Int in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return chunkSize - Int(stream.avail_out)
                }
                if output.count + produced > limit { return .exceedsLimit(limit) }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    return stream.avail_in == 0 ? nil : .corrupt("trailing bytes after the stream")
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible: the input ended before the stream did.
                    return .corrupt("truncated stream")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    return .corrupt(reason)
                }
            }
        }
        if let result { throw result }
        return output
    }
}
