#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
internal import Foundation

/// A failed system call: its name and errno.
public struct SystemCallError: Error, Sendable, CustomStringConvertible {
    public let call: String
    public let errno: Int32
    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// The outcome of a non-blocking read or write.
enum IOResult: Equatable {
    case processed(Int)
    case wouldBlock
    case endOfFile
}

/// Every system call goes through here: EINTR is retried, EAGAIN becomes a value, the rest
/// a typed error.
enum Syscall {
    static func check(_ name: String, _ body: () -> Int) throws(SystemCallError) -> Int {
        while true {
            let result = body()
            if result >= 0 { return result }
            if errno == EINTR { continue }
            throw SystemCallError(call: name, errno: errno)
        }
    }

    static func nonBlocking(_ name: String, _ body: () -> Int) throws(SystemCallError) -> IOResult {
        while true {
            let result = body()
            if result > 0 { return .processed(result) }
            if result == 0 { return .endOfFile }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: throw SystemCallError(call: name, errno: errno)
            }
        }
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> IOResult {
        try nonBlocking("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemCallError) -> IOResult {
        // MSG_NOSIGNAL: a peer that went away is an EPIPE error, not a process-killing SIGPIPE.
        try nonBlocking("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Waits for `events` on `fd`; returns the revents, or 0 on time-out. Blocks: call only
    /// from a dedicated thread.
    static func poll(_ fd: Int32, events: Int16, timeoutMilliseconds: Int32) throws(SystemCallError) -> Int16 {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let ready = try check("poll") { Int(Glibc.poll(&entry, 1, timeoutMilliseconds)) }
        return ready == 0 ? 0 : entry.revents
    }

    static func setNonBlocking(_ fd: Int32) throws(SystemCallError) {
        let flags = try check("fcntl") { Int(fcntl(fd, F_GETFL)) }
        _ = try check("fcntl") { Int(fcntl(fd, F_SETFL, Int32(flags) | O_NONBLOCK)) }
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }
}

/// TCP endpoints, resolved numerically or through /etc/hosts (never a slow DNS lookup on a
/// cooperative thread: callers resolve on their own threads).
enum TCP {
    private static func resolve(host: String, port: Int, passive: Bool) throws(SystemCallError) -> [(Int32, Data)] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = passive ? AI_PASSIVE : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SystemCallError(call: "getaddrinfo(\(host))", errno: status == EAI_SYSTEM ? errno : EINVAL)
        }
        defer { freeaddrinfo(first) }
        var result: [(Int32, Data)] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            result.append((info.pointee.ai_family, Data(bytes: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen))))
            cursor = info.pointee.ai_next
        }
        return result
    }

    /// Binds and listens; returns the descriptor and the bound port (useful with port 0).
    static func listen(host: String, port: Int, backlog: Int32 = 1024) throws(SystemCallError) -> (fd: Int32, port: Int) {
        var lastError = SystemCallError(call: "bind", errno: EADDRNOTAVAIL)
        for (family, address) in try resolve(host: host, port: port, passive: true) {
            let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = SystemCallError(call: "socket", errno: errno); continue }
            Syscall.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            let bound = address.withUnsafeBytes { raw in
                bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
                lastError = SystemCallError(call: "bind/listen \(host):\(port)", errno: errno)
                Glibc.close(fd)
                continue
            }
            return (fd, localPort(fd))
        }
        throw lastError
    }

    static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// Connects with a time-out. Blocks: call only from a dedicated thread.
    static func connect(host: String, port: Int, timeoutMilliseconds: Int32) throws(SystemCallError) -> Int32 {
        var lastError = SystemCallError(call: "connect \(host):\(port)", errno: ECONNREFUSED)
        for (family, address) in try resolve(host: host, port: port, passive: false) {
            let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = SystemCallError(call: "socket", errno: errno); continue }
            do throws(SystemCallError) {
                try Syscall.setNonBlocking(fd)
                let started = address.withUnsafeBytes { raw in
                    Glibc.connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
                }
                if started != 0 && errno != EINPROGRESS {
                    throw SystemCallError(call: "connect \(host):\(port)", errno: errno)
                }
                if started != 0 {
                    let revents = try Syscall.poll(fd, events: Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds)
                    if revents == 0 { throw SystemCallError(call: "connect \(host):\(port)", errno: ETIMEDOUT) }
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    if error != 0 { throw SystemCallError(call: "connect \(host):\(port)", errno: error) }
                }
                configureConnected(fd)
                return fd
            } catch {
                lastError = error
                Glibc.close(fd)
            }
        }
        throw lastError
    }

    /// Accepts one connection, or nil when the listener was shut down. Blocks: call only
    /// from a dedicated thread.
    static func accept(_ listener: Int32) -> Int32? {
        while true {
            let fd = Glibc.accept(listener, nil, nil)
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                configureConnected(fd)
                do { try Syscall.setNonBlocking(fd) } catch { Glibc.close(fd); continue }
                return fd
            }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors: back off instead of spinning; the listener stays up.
                usleep(10_000)
            default:
                return nil
            }
        }
    }

    private static func configureConnected(_ fd: Int32) {
        Syscall.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    static func shutdown(_ fd: Int32) { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }
}

/// Starts a named, detached OS thread: used for everything that blocks (poll, accept,
/// connect), so the cooperative pool never does.
func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
    let context = Unmanaged.passRetained(ThreadContext(name: name, body: body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, 512 * 1024)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let status = pthread_create(&thread, &attributes, { raw in
        let context = Unmanaged<ThreadContext>.fromOpaque(raw!).takeRetainedValue()
        context.body()
        return nil
    }, context)
    precondition(status == 0, "pthread_create failed: \(status)")
}

private final class ThreadContext: Sendable {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
