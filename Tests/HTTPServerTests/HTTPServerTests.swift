import Foundation
import Synchronization
import Testing
import HTTPServer
import RPCTesting

/// A real HTTPServer on a free loopback port, driven by Foundation's HTTP client.
@Suite struct HTTPServerTests {
    @Test func aRequestReachesTheHandlerWithItsPartsDecoded() async throws {
        let server = try HTTPServer(port: 0) { request in
            let summary = [
                "method=\(request.method)", "path=\(request.path)",
                "q=\(request.query.map { "\($0.name):\($0.value)" }.joined(separator: ","))",
                "header=\(request.header("X-Test") ?? "-")", "cookie=\(request.cookies["cp"] ?? "-")",
                "body=\(String(decoding: request.body, as: UTF8.self))", "client=\(request.clientAddress)",
            ].joined(separator: "\n")
            return HTTPResponse(status: 201, headers: [("Content-Type", "text/plain"), ("X-Answer", "yes")], body: Array(summary.utf8))
        }
        defer { server.stop() }
        let answer = try await fetch("http://127.0.0.1:\(server.port)/api/some%20thing?a=1&b=x%2By&a=2&z=Zo%C3%AB",
                                          method: "POST", headers: ["X-Test": "hello", "Cookie": "cp=abc; other=1"],
                                          body: Data("{\"k\":\"Łukasz\"}".utf8))
        #expect(answer.status == 201)
        #expect(answer.headers["x-answer"] == "yes")
        let text = answer.text
        #expect(text.contains("method=POST"))
        #expect(text.contains("path=/api/some thing"))
        #expect(text.contains("q=a:1,b:x+y,a:2,z:Zoë"))
        #expect(text.contains("header=hello"))
        #expect(text.contains("cookie=abc"))
        #expect(text.contains("body={\"k\":\"Łukasz\"}"))
        #expect(text.contains("client=127.0.0.1"))
    }

    @Test func aBodyOverTheLimitIsRefusedWithoutReachingTheHandler() async throws {
        var limits = HTTPServerLimits()
        limits.maxBodyBytes = 1000
        let server = try HTTPServer(port: 0, limits: limits) { request in
            HTTPResponse(status: 200, body: Array("got \(request.body.count)".utf8))
        }
        defer { server.stop() }
        let small = try await fetch("http://127.0.0.1:\(server.port)/", method: "POST", body: Data(count: 1000))
        #expect(small.status == 200)
        #expect(small.text == "got 1000")
        let large = try await fetch("http://127.0.0.1:\(server.port)/", method: "POST", body: Data(count: 5000))
        #expect(large.status == 413)
        #expect(large.text.contains("payload_too_large"))
    }

    @Test func aSlowRequestDoesNotHoldUpOthers() async throws {
        let gate = Gate()
        let server = try HTTPServer(port: 0) { request in
            if request.path == "/slow" { await gate.wait() }
            return HTTPResponse(status: 200, body: Array(request.path.utf8))
        }
        defer { server.stop() }
        let answered = Flag()
        let slow = Task {
            let answer = try await fetch("http://127.0.0.1:\(server.port)/slow")
            answered.set()
            return answer
        }
        // Twenty quick requests complete while the slow one is held; it is answered only
        // once the gate opens.
        for index in 0..<20 {
            let quick = try await fetch("http://127.0.0.1:\(server.port)/quick\(index)")
            #expect(quick.text == "/quick\(index)")
        }
        #expect(!answered.isSet, "the slow request was answered before its gate opened")
        await gate.open()
        #expect(try await slow.value.text == "/slow")
    }

    @Test func aTakenPortIsAClearError() throws {
        let first = try HTTPServer(port: 0) { _ in HTTPResponse(status: 200) }
        defer { first.stop() }
        #expect(throws: HTTPServerError.self) { _ = try HTTPServer(port: first.port) { _ in HTTPResponse(status: 200) } }
        #expect(throws: HTTPServerError.self) { _ = try HTTPServer(host: "not-an-address", port: 0) { _ in HTTPResponse(status: 200) } }
    }
}

/// Holds requests until opened.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}

final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
