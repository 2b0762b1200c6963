import Testing
import RPC
import Messages
import Deflate
import RPCTesting

/// Bad bytes on the wire: the server answers as PROTOCOL.md says (go_away, then close),
/// never crashes, and keeps serving other connections.
@Suite(.serialized) struct HostileBytesTests {
    @Test func unknownFlagBitsEndTheConnection() async throws {
        try await withInteropServer { server in
            let raw = try RawConnection(port: server.port)
            raw.send(header(flags: 0x80, length: 2) + [0x08, 0x01])
            let reason = await raw.expectGoAwayAndClose()
            #expect(reason?.contains("flag") == true, "go_away reason: \(reason ?? "none")")
            try await server.expectHealthy()
        }
    }

    @Test func aLengthOverTheLimitIsRefusedBeforeTheBody() async throws {
        try await withInteropServer(["--max-frame-bytes", "65536"]) { server in
            let raw = try RawConnection(port: server.port)
            // Only the header: the server must decide from it alone, without waiting for
            // (or allocating) 1 GiB.
            raw.send(header(flags: 0, length: 1 << 30))
            let reason = await raw.expectGoAwayAndClose()
            #expect(reason?.contains("exceeds") == true, "go_away reason: \(reason ?? "none")")
            try await server.expectHealthy()
        }
    }

    @Test func aBodyThatIsNotAFrameEndsTheConnection() async throws {
        try await withInteropServer { server in
            let raw = try RawConnection(port: server.port)
            let garbage: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x12]
            raw.send(header(flags: 0, length: UInt32(garbage.count)) + garbage)
            let reason = await raw.expectGoAwayAndClose()
            #expect(reason?.contains("not a Frame") == true, "go_away reason: \(reason ?? "none")")
            try await server.expectHealthy()
        }
    }

    @Test func aZlibBombIsRefused() async throws {
        try await withInteropServer(["--max-frame-bytes", "1048576"]) { server in
            var frame = Frame()
            frame.callId = 1
            frame.kind = .message([UInt8](repeating: 0, count: 64 << 20))
            let bomb = Deflate.compress(frame.serializedBytes())
            #expect(bomb.count < 1 << 20)
            let raw = try RawConnection(port: server.port)
            raw.send(openCallFrame(1, method: "/certportal.testing.v1.TestService/UnaryCall"))
            raw.send(header(flags: 1, length: UInt32(bomb.count)) + bomb)
            let reason = await raw.expectGoAwayAndClose()
            #expect(reason?.contains("exceeds") == true, "go_away reason: \(reason ?? "none")")
            try await server.expectHealthy()
        }
    }

    @Test func aTruncatedFrameThenCloseLeavesTheServerServing() async throws {
        try await withInteropServer { server in
            let raw = try RawConnection(port: server.port)
            let frame = FrameEncoder.encode(openCallFrame(1, method: "/certportal.testing.v1.TestService/EmptyCall"))
            raw.send(Array(frame.prefix(frame.count - 3)))
            raw.closeWrite()
            #expect(await raw.next() == .endOfFile)
            try await server.expectHealthy()
        }
    }

    @Test func aPeerThatStallsMidFrameIsDisconnected() async throws {
        try await withInteropServer(["--read-timeout-ms", "300"]) { server in
            let raw = try RawConnection(port: server.port)
            raw.send(header(flags: 0, length: 100) + [0x08])
            let reason = await raw.expectGoAwayAndClose()
            #expect(reason?.contains("read timeout") == true, "go_away reason: \(reason ?? "none")")
            try await server.expectHealthy()
        }
    }

    @Test func tenThousandCallsOnOneConnectionHitTheLimitCleanly() async throws {
        try await withInteropServer(["--max-calls", "1000"]) { server in
            let raw = try RawConnection(port: server.port)
            var bytes: [UInt8] = []
            for id in 1...10_000 {
                // StreamingInputCall stays open until the half-close, which never comes.
                FrameEncoder.append(openCallFrame(UInt64(id), method: "/certportal.testing.v1.TestService/StreamingInputCall"), to: &bytes)
            }
            raw.send(bytes)
            var exhausted = 0
            while exhausted < 9_000 {
                guard case .frame(let frame) = await raw.next(), case .trailers(let trailers) = frame.kind else { break }
                if trailers.code == RPCStatusCode.resourceExhausted.rawValue { exhausted += 1 }
            }
            #expect(exhausted == 9_000)
            // The other connections are served, and so are the 1,000 open calls: half-close
            // them and each answers.
            try await server.expectHealthy()
            var closes: [UInt8] = []
            for id in 1...1000 {
                var frame = Frame()
                frame.callId = UInt64(id)
                frame.kind = .halfClose(.init())
                FrameEncoder.append(frame, to: &closes)
            }
            raw.send(closes)
            var ok = 0
            while ok < 1000 {
                guard case .frame(let frame) = await raw.next() else { break }
                if case .trailers(let trailers) = frame.kind, trailers.code == 0 { ok += 1 }
            }
            #expect(ok == 1000)
        }
    }

    @Test func framesForUnknownOrEndedCallsAreIgnored() async throws {
        try await withInteropServer { server in
            let raw = try RawConnection(port: server.port)
            var message = Frame()
            message.callId = 77
            message.kind = .message([1, 2, 3])
            raw.send(message)
            var ping = Certportal_Rpc_V1_Ping()
            ping.opaque = 99
            var frame = Frame()
            frame.kind = .ping(ping)
            raw.send(frame)
            guard case .frame(let reply) = await raw.next(), case .ping(let answer) = reply.kind else {
                Issue.record("no ping answer")
                return
            }
            #expect(answer.opaque == 99 && answer.ack)
        }
    }

    @Test func aRequestThatDoesNotDecodeIsInvalidArgument() async throws {
        try await withInteropServer { server in
            let raw = try RawConnection(port: server.port)
            raw.send(openCallFrame(1, method: "/certportal.testing.v1.TestService/UnaryCall"))
            var message = Frame()
            message.callId = 1
            message.kind = .message([0x12, 0xFF])  // field 2 length-delimited, truncated
            raw.send(message)
            var close = Frame()
            close.callId = 1
            close.kind = .halfClose(.init())
            raw.send(close)
            guard case .frame(let reply) = await raw.next(), case .trailers(let trailers) = reply.kind else {
                Issue.record("no trailers")
                return
            }
            #expect(trailers.code == RPCStatusCode.invalidArgument.rawValue)
            try await server.expectHealthy()
        }
    }

    @Test func twoRequestsOnAUnaryMethodAreInvalidArgument() async throws {
        try await withInteropServer { server in
            let client = server.client()
            let empty = Certportal_Testing_V1_Empty().serializedBytes()
            let call = try await client.startCall(path: Testing1.emptyCall.path, messages: [empty, empty], halfClose: true)
            await expectRPCError(.invalidArgument) { try await call.nextMessage() }
            let none = try await client.startCall(path: Testing1.emptyCall.path, messages: [], halfClose: true)
            await expectRPCError(.invalidArgument) { try await none.nextMessage() }
        }
    }
}
