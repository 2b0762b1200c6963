import Foundation
import Synchronization
import Testing
import HTTPServer
import RPCTesting

/// Request bodies the server streams: the handler runs once the headers are in and reads
/// the body while it arrives, from a real client over loopback.
@Suite struct StreamedRequestBodyTests {
    /// What a handler read of a streamed body, and how it ended.
    final class Reading: Sendable {
        private let state = Mutex((bytes: 0, pieces: 0, ending: ""))
        func add(_ count: Int) { state.withLock { $0.bytes += count; $0.pieces += 1 } }
        func end(_ text: String) { state.withLock { $0.ending = text } }
        var bytes: Int { state.withLock { $0.bytes } }
        var ending: String { state.withLock { $0.ending } }
    }

    /// A server streaming the bodies of /upload: the handler answers with the count and a
    /// digest of what it read, or the error that ended the body.
    static func server(_ reading: Reading, limits: HTTPServerLimits = HTTPServerLimits()) throws -> HTTPServer {
        try HTTPServer(port: 0, limits: limits, streamsBody: { $0.path == "/upload" }) { request in
            guard let stream = request.bodyStream else {
                return HTTPResponse(status: 200, body: Array("whole \(request.body.count)".utf8))
            }
            var hash: UInt64 = 14_695_981_039_346_656_037
            do {
                for try await piece in stream {
                    StreamedBodyTests.hash(&hash, piece)
                    reading.add(piece.count)
                }
                reading.end("complete")
                return HTTPResponse(status: 200, body: Array("streamed \(reading.bytes) \(hash)".utf8))
            } catch let error as HTTPBodyError {
                reading.end("\(error)")
                return HTTPResponse(status: error == .incomplete ? 400 : 413, body: Array("\(error)".utf8))
            } catch {
                return HTTPResponse(status: 500)
            }
        }
    }

    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<400 where !condition() { try await Task.sleep(for: .milliseconds(25)) }
    }

    @Test func theHandlerReadsTheBodyWhileItArrivesByteExact() async throws {
        let reading = Reading()
        var limits = HTTPServerLimits()
        limits.maxBodyBytes = 8 << 20
        let server = try Self.server(reading, limits: limits)
        defer { server.stop() }
        let half = 3 << 20
        let body = (0..<(2 * half)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 13) }
        var expected: UInt64 = 14_695_981_039_346_656_037
        StreamedBodyTests.hash(&expected, body)

        let socket = try RawClient(port: server.port)
        defer { socket.close() }
        socket.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n")
        await socket.send(body[..<half])
        // The first half reaches the handler while the second is not sent yet.
        try await Self.waitUntil { reading.bytes == half }
        #expect(reading.bytes == half, "the handler read \(reading.bytes) of the \(half) bytes sent so far")
        #expect(reading.ending == "")
        await socket.send(body[half...])
        let answer = String(decoding: await socket.receive(Int.max), as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(200))")
        #expect(answer.hasSuffix("streamed \(body.count) \(expected)"), "\(answer.suffix(100))")

        // Other paths get their body whole, as before.
        let whole = try await fetch("http://127.0.0.1:\(server.port)/other", method: "POST", body: Data(count: 5000))
        #expect(whole.text == "whole 5000")
    }

    @Test func aStreamedBodyOverTheLimitEndsAsTooLarge() async throws {
        let reading = Reading()
        var limits = HTTPServerLimits()
        limits.maxBodyBytes = 100_000
        let server = try Self.server(reading, limits: limits)
        defer { server.stop() }
        // Declared too large: refused before the handler runs.
        let declared = try await fetch("http://127.0.0.1:\(server.port)/upload", method: "POST", body: Data(count: 100_001))
        #expect(declared.status == 413 && declared.text.contains("payload_too_large"))
        #expect(reading.ending == "")
        // Chunked, no size declared: the handler hears it once the limit is passed.
        let socket = try RawClient(port: server.port)
        defer { socket.close() }
        socket.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        let piece = String(repeating: "x", count: 50_000)
        for _ in 0..<3 { socket.send(String(50_000, radix: 16) + "\r\n" + piece + "\r\n") }
        socket.send("0\r\n\r\n")
        let answer = String(decoding: await socket.receive(Int.max), as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(200))")
        #expect(reading.ending == "the request body is over 100000 bytes")
        #expect(reading.bytes <= 100_000)
    }

    @Test func aClientThatBreaksOffMidBodyEndsItAsIncomplete() async throws {
        let reading = Reading()
        let server = try Self.server(reading)
        defer { server.stop() }
        let socket = try RawClient(port: server.port)
        socket.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n")
        await socket.send([UInt8](repeating: 1, count: 100_000)[...])
        try await Self.waitUntil { reading.bytes == 100_000 }
        socket.close()
        try await Self.waitUntil { !reading.ending.isEmpty }
        #expect(reading.ending == "the client went away before the request body was complete")
        #expect(reading.bytes == 100_000)
    }

    @Test func aHandlerThatAnswersWithoutReadingTheBodyIsNotHeldUp() async throws {
        var limits = HTTPServerLimits()
        limits.maxBodyBytes = 16 << 20
        let server = try HTTPServer(port: 0, limits: limits, streamsBody: { _ in true }) { _ in
            HTTPResponse(status: 401, body: Array("no".utf8))
        }
        defer { server.stop() }
        // Far more than the pipe holds unread: the rest is dropped, not waited for.
        let answer = try await fetch("http://127.0.0.1:\(server.port)/upload", method: "POST", body: Data(count: 8 << 20))
        #expect(answer.status == 401 && answer.text == "no")
    }
}

extension RawClient {
    /// Sends all of `bytes` (or until the peer goes), on a thread of its own.
    func send(_ bytes: ArraySlice<UInt8>) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                var offset = bytes.startIndex
                while offset < bytes.endIndex {
                    let sent = bytes[offset...].withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, 0) }
                    if sent <= 0 { break }
                    offset += sent
                }
                continuation.resume()
            }.start()
        }
    }
}
