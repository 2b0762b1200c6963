import RPCTesting
import Foundation
import RPC
import Messages
#if canImport(Glibc)
import Glibc
#endif

/// A hand-driven TCP connection for sending hostile bytes. Its blocking socket calls run on
/// threads of their own.
final class RawConnection: @unchecked Sendable {
    // @unchecked: the descriptor is used by one test task at a time.
    let fd: Int32
    private var decoder = FrameDecoder(maxBodyBytes: 64 << 20)

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw ServiceProcessFailure("connect: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ frame: Frame) { send(FrameEncoder.encode(frame)) }

    func closeWrite() { shutdown(fd, Int32(SHUT_WR)) }

    enum Event: Equatable { case frame(Frame), endOfFile, timedOut }

    /// The next frame from the server, end of file, or a time-out.
    func next(timeout: Duration = .seconds(10)) async -> Event {
        await withCheckedContinuation { continuation in
            Thread { [self] in continuation.resume(returning: blockingNext(timeout: timeout)) }.start()
        }
    }

    private func blockingNext(timeout: Duration) -> Event {
        let end = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let frame = try? decoder.next() { return .frame(frame) }
            let left = end - ContinuousClock.now
            guard left > .zero else { return .timedOut }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            if poll(&entry, 1, max(ms, 1)) == 0 { return .timedOut }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return .endOfFile }
            decoder.append(Array(buffer[0..<n]))
        }
    }

    /// Reads until the server's go_away and end of file; returns the go_away's reason.
    func expectGoAwayAndClose() async -> String? {
        var reason: String?
        while true {
            switch await next() {
            case .frame(let frame):
                if case .goAway(let goAway) = frame.kind { reason = goAway.reason }
            case .endOfFile:
                return reason
            case .timedOut:
                return nil
            }
        }
    }
}

func header(flags: UInt8, length: UInt32) -> [UInt8] {
    [flags, UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
}

func openCallFrame(_ id: UInt64, method: String) -> Frame {
    var headers = Certportal_Rpc_V1_Headers()
    headers.method = method
    var frame = Frame()
    frame.callId = id
    frame.kind = .headers(headers)
    return frame
}
