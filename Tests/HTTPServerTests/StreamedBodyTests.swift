import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import Synchronization
@testable import HTTPServer
import RPCTesting

/// Streamed response bodies: produced while they are sent, with back pressure.
@Suite struct StreamedBodyTests {
    /// Deterministic bytes: chunk `index` of a body, 64 KiB (the last one shorter).
    static func chunk(_ index: Int, total: Int, size: Int = 64 * 1024) -> [UInt8] {
        let count = min(size, total - index * size)
        var state = UInt64(index + 1) &* 0x9E3779B97F4A7C15
        var bytes = [UInt8](repeating: 0, count: count)
        var position = 0
        while position < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            var word = state
            for _ in 0..<8 where position < count {
                bytes[position] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                position += 1
            }
        }
        return bytes
    }

    static func hash(_ hash: inout UInt64, _ bytes: some Sequence<UInt8>) {
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
    }

    final class Peak: Sendable {
        let value = Mutex(0)
        func note(_ bytes: Int) { value.withLock { $0 = max($0, bytes) } }
    }

    /// What the server holds of a body is the pipe's few chunks, never the body.
    @Test func aFiftyMegabyteBodyArrivesByteExactWhileTheServersMemoryStaysBounded() async throws {
        let total = 50 * 1024 * 1024
        let chunks = (total + 65535) / 65536
        let held = Peak()
        let server = try HTTPServer(port: 0) { _ in
            HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], stream: HTTPBodyStream(size: UInt64(total)) { writer in
                for index in 0..<chunks {
                    try await writer.write(Self.chunk(index, total: total))
                    held.note(writer.pipe.mostHeldBytes)
                }
            })
        }
        defer { server.stop() }
        var expected: UInt64 = 0xcbf29ce484222325
        for index in 0..<chunks { Self.hash(&expected, Self.chunk(index, total: total)) }

        // To a file: Foundation's client does not hold the body in memory either.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/big")!)
        request.timeoutInterval = 120
        let (file, response) = try await URLSession.shared.download(for: request)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Length") == "\(total)")
        let most = held.value.withLock { $0 }
        #expect(most > 0 && most <= (BodyPipe.maxQueuedChunks + 1) * 65536, "the server held \(most) bytes of a 50 MB body at once")

        let data = try Data(contentsOf: file)
        #expect(data.count == total)
        var received: UInt64 = 0xcbf29ce484222325
        Self.hash(&received, data)
        #expect(received == expected, "byte-exact")
    }

    @Test func aProducerWaitsWhileTheClientDoesNotRead() async throws {
        let total = 50 * 1024 * 1024
        let chunks = (total + 65535) / 65536
        let written = Atomic<Int>(0)
        let server = try HTTPServer(port: 0) { _ in
            HTTPResponse(status: 200, stream: HTTPBodyStream(size: UInt64(total)) { writer in
                for index in 0..<chunks {
                    try await writer.write(Self.chunk(index, total: total))
                    written.add(65536, ordering: .relaxed)
                }
            })
        }
        defer { server.stop() }
        let socket = try RawClient(port: server.port)
        defer { socket.close() }
        socket.send("GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let start = await socket.receive(1 << 20)
        try await Task.sleep(for: .seconds(1))
        // Only the pipe's few chunks and the sockets' buffers are ahead of the reader.
        let ahead = written.load(ordering: .relaxed) - start.count
        #expect(ahead < 20 * 1024 * 1024, "the producer got \(ahead) bytes ahead of a client that stopped reading")
        let headerEnd = try #require(start.indices.first { start[$0..<min($0 + 4, start.count)].elementsEqual([13, 10, 13, 10]) })
        let whole = start + (await socket.receive(headerEnd + 4 + total - start.count))
        var received: UInt64 = 0xcbf29ce484222325
        Self.hash(&received, whole[(headerEnd + 4)...])
        var expected: UInt64 = 0xcbf29ce484222325
        for index in 0..<chunks { Self.hash(&expected, Self.chunk(index, total: total)) }
        #expect(whole.count - headerEnd - 4 == total)
        #expect(received == expected)
    }

    @Test func aBodyOfUnknownSizeIsSentChunked() async throws {
        let total = 300_000
        let server = try HTTPServer(port: 0) { _ in
            HTTPResponse(status: 200, headers: [("Content-Type", "application/x-ndjson")], stream: HTTPBodyStream { writer in
                for index in 0..<((total + 65535) / 65536) {
                    try await writer.write(Self.chunk(index, total: total))
                    try await Task.sleep(for: .milliseconds(5))
                }
            })
        }
        defer { server.stop() }
        let answer = try await fetch("http://127.0.0.1:\(server.port)/")
        #expect(answer.status == 200)
        #expect(answer.headers["content-length"] == nil)
        var expected = [UInt8]()
        for index in 0..<((total + 65535) / 65536) { expected += Self.chunk(index, total: total) }
        #expect([UInt8](answer.body) == expected)
    }

    @Test(arguments: [UInt64(1_000_000), nil])
    func aProducerThatFailsMidwayEndsTheResponseEarly(size: UInt64?) async throws {
        let server = try HTTPServer(port: 0) { _ in
            HTTPResponse(status: 200, stream: HTTPBodyStream(size: size) { writer in
                try await writer.write([UInt8](repeating: 65, count: 100_000))
                struct Broken: Error {}
                throw Broken()
            })
        }
        defer { server.stop() }
        do {
            let answer = try await fetch("http://127.0.0.1:\(server.port)/")
            // A client may hand over what it got: a short body, never a whole one.
            #expect(answer.body.count <= 100_000, "got \(answer.body.count) bytes")
        } catch {
            // The connection broke off: what a client should see.
        }
    }

    @Test func theProducerStopsWhenTheClientGoesAway() async throws {
        let stopped = Mutex<Bool?>(nil)
        let written = Atomic<Int>(0)
        let server = try HTTPServer(port: 0) { _ in
            HTTPResponse(status: 200, stream: HTTPBodyStream { writer in
                do {
                    while true {
                        try await writer.write([UInt8](repeating: 66, count: 64 * 1024))
                        written.add(1, ordering: .relaxed)
                    }
                } catch {
                    stopped.withLock { $0 = true }
                    throw error
                }
            })
        }
        defer { server.stop() }
        // A client that reads the start of an endless body and hangs up.
        let socket = try RawClient(port: server.port)
        socket.send("GET /endless HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let start = await socket.receive(200_000)
        #expect(start.count > 0)
        socket.close()
        for _ in 0..<200 where stopped.withLock({ $0 }) == nil {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(stopped.withLock { $0 } == true, "the producer was not stopped (it wrote \(written.load(ordering: .relaxed)) chunks)")
        // Back pressure held it: it wrote a bounded number of chunks beyond what was read.
        #expect(written.load(ordering: .relaxed) < 200)
    }
}

extension StreamedBodyTests {
    @Test func stoppingTheServerEndsABodyWhoseProducerIsSlow() async throws {
        let cancelled = Mutex(false)
        let server = try HTTPServer(port: 0) { _ in
            HTTPResponse(status: 200, stream: HTTPBodyStream { writer in
                do {
                    try await writer.write(Array("a start\n".utf8))
                    try await Task.sleep(for: .seconds(3600))
                } catch {
                    cancelled.withLock { $0 = true }
                    throw error
                }
            })
        }
        let socket = try RawClient(port: server.port)
        defer { socket.close() }
        socket.send("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let start = await socket.receive(1)
        #expect(!start.isEmpty)
        // stop() waits for libmicrohttpd's threads: off the cooperative pool.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                server.stop()
                continuation.resume()
            }.start()
        }
        for _ in 0..<100 where !cancelled.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(cancelled.withLock { $0 }, "the producer was cancelled once the server stopped")
    }
}

/// A bare TCP client, for a peer that reads slowly or hangs up mid-response. Its blocking
/// calls run on a thread of their own (`await socket.receive`), never the cooperative pool's.
final class RawClient: Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Reads until `count` bytes arrived (or the peer closed), on a thread of its own.
    func receive(_ count: Int) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.receiveBlocking(count)) }.start()
        }
    }

    private func receiveBlocking(_ count: Int) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received.count < count {
            let got = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if got <= 0 { break }
            received += buffer[0..<got]
        }
        return received
    }

    func close() { Glibc.close(fd) }
}
