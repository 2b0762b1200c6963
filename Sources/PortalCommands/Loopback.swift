internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Ports on 127.0.0.1 for the services `certportal up` starts, picked up front so a
/// restarted service comes back on the same port.
final class LoopbackPorts {
    private var ports: [String: Int] = [:]
    /// Sockets bound to the picked ports, held until `release()` so no two picks collide.
    private var held: [Int32] = []

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Reserves `port` for `name` (0: a free one); fails when the port is taken.
    func reserve(_ name: String, port: Int) throws(Failure) {
        let (fd, bound) = try port == 0 ? Self.bindFree() : Self.bind(port)
        held.append(fd)
        ports[name] = bound
    }

    /// A free port below the kernel's ephemeral range: the ports are released before the
    /// services bind them, and in that moment any process binding port 0 (a test, a client)
    /// could be handed one from the ephemeral range, but never one of these. Random, so two
    /// portals started at once rarely try the same; the ephemeral range if none is free.
    private static func bindFree() throws(Failure) -> (Int32, Int) {
        let low = ephemeralLow()
        let candidates = max(1024, low - 12_000)..<max(1025, low)
        for _ in 0..<64 {
            if let picked = try? bind(Int.random(in: candidates)) { return picked }
        }
        return try bind(0)
    }

    /// The first port of `net.ipv4.ip_local_port_range` (32768 when it cannot be read).
    static func ephemeralLow() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
              let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first,
              let low = Int(first), low > 1024 else { return 32768 }
        return low
    }

    /// The port picked for `name`; picks a free one the first time.
    func port(_ name: String) throws(Failure) -> Int {
        if let port = ports[name] { return port }
        try reserve(name, port: 0)
        return ports[name]!
    }

    func address(_ name: String) throws(Failure) -> String { "127.0.0.1:\(try port(name))" }

    /// Closes the held sockets: the services bind the ports next.
    func release() {
        for fd in held { close(fd) }
        held = []
    }

    deinit { release() }

    private static func bind(_ port: Int) throws(Failure) -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot create a socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        // Like the services themselves: a port in TIME_WAIT is free, one being listened on is not.
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = IPv4Address(host: "127.0.0.1", port: port)
        let status = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        // Listening too, so a port another process binds with SO_REUSEADDR is refused as well.
        guard status == 0, listen(fd, 1) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "port \(port) on 127.0.0.1 is not free (\(reason))")
        }
        _ = address.withSockaddr { pointer, length in
            var length = length
            return getsockname(fd, pointer, &length)
        }
        return (fd, address.port)
    }
}

/// A plain HTTP/1.1 `GET` on loopback, for the gateway's health check: the status code,
/// or nil when nothing answers. Blocks: call it from a thread of its own (`status(…)` does).
enum HTTPProbe {
    static func status(host: String = "127.0.0.1", port: Int, path: String, timeout: Duration = .seconds(2)) async -> Int? {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: get(host: host, port: port, path: path, timeout: timeout)) }.start()
        }
    }

    private static func get(host: String, port: Int, path: String, timeout: Duration) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = IPv4Address(host: host, port: port)
        let connected = address.withSockaddr { connect(fd, $0, $1) }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n\r\n".utf8)
        ChildProcess.writeAll(fd, request)
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !response.contains(0x0A) {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        // "HTTP/1.1 200 OK"
        let statusLine = String(decoding: response.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return nil }
        return Int(parts[1])
    }
}

/// A `sockaddr_in` for `bind`, `connect` and `getsockname`.
struct IPv4Address {
    private var storage = sockaddr_in()

    init(host: String, port: Int) {
        storage.sin_family = sa_family_t(AF_INET)
        storage.sin_port = in_port_t(UInt16(port).bigEndian)
        storage.sin_addr.s_addr = inet_addr(host)
    }

    var port: Int { Int(UInt16(bigEndian: storage.sin_port)) }

    mutating func withSockaddr<Result>(_ body: (UnsafeMutablePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
