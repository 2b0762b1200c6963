#if canImport(Glibc)
internal import Glibc
#endif
internal import Foundation

/// The baseline the RPC latency is compared with: a length-prefixed echo over plain
/// blocking TCP, one thread per connection, no framing library, no protobuf.
public enum RawEcho {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Serves echo on 127.0.0.1:port until killed. Blocks the calling thread.
    public static func serve(port: Int) throws -> Never {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 128) == 0 else { throw Failure(description: "bind 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        FileHandle.standardOutput.write(Data("raw echo listening on 127.0.0.1:\(port)\n".utf8))
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { continue }
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let thread = Thread {
                var header = [UInt8](repeating: 0, count: 4)
                var body = [UInt8](repeating: 0, count: 1 << 20)
                while readFully(fd, &header, 4) {
                    let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
                    guard length <= body.count, readFully(fd, &body, length) else { break }
                    guard writeFully(fd, header + body[0..<length]) else { break }
                }
                close(fd)
            }
            thread.start()
        }
    }

    /// One round trip at a time for `duration`; returns the latency histogram.
    public static func measure(port: Int, payloadSize: Int, duration: Duration) throws -> Histogram {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let length = payloadSize
        let message = [UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                       UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
            + [UInt8](repeating: 0x61, count: length)
        var reply = [UInt8](repeating: 0, count: message.count)
        var histogram = Histogram()
        let clock = ContinuousClock()
        let end = clock.now + duration
        while clock.now < end {
            let started = clock.now
            guard writeFully(fd, message), readFully(fd, &reply, reply.count) else {
                throw Failure(description: "the echo server closed the connection")
            }
            histogram.record(clock.now - started)
        }
        return histogram
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

private func readFully(_ fd: Int32, _ buffer: inout [UInt8], _ count: Int) -> Bool {
    var done = 0
    while done < count {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, count - done) }
        if n <= 0 { if n < 0 && errno == EINTR { continue }; return false }
        done += n
    }
    return true
}

private func writeFully(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { if n < 0 && errno == EINTR { continue }; return false }
        done += n
    }
    return true
}
