import Testing
import RPC
import Messages
import RPCTesting

typealias Testing1 = Certportal_Testing_V1_TestService
typealias TEmpty = Certportal_Testing_V1_Empty
typealias TPayload = Certportal_Testing_V1_Payload
typealias OutputRequest = Certportal_Testing_V1_StreamingOutputCallRequest

func payload(_ size: Int) -> TPayload {
    var payload = TPayload()
    payload.body = [UInt8](repeating: 0, count: size)
    return payload
}

func outputRequest(_ sizes: [Int], payloadSize: Int = 0) -> OutputRequest {
    var request = OutputRequest()
    request.responseParameters = sizes.map { size in
        var parameters = Certportal_Testing_V1_ResponseParameters()
        parameters.size = Int32(size)
        return parameters
    }
    if payloadSize > 0 { request.payload = payload(payloadSize) }
    return request
}

/// gRPC's interop cases (PROTOCOL.md section 7) against the rpc-interop-server process.
@Suite(.serialized) struct InteropCaseTests {
    @Test func emptyUnary() async throws {
        try await withInteropServer { server in
            let response = try await server.client().unary(Testing1.emptyCall, TEmpty())
            #expect(response == TEmpty())
        }
    }

    @Test func largeUnary() async throws {
        try await withInteropServer { server in
            var request = Certportal_Testing_V1_SimpleRequest()
            request.responseSize = 314_159
            request.payload = payload(271_828)
            let response = try await server.client().unary(Testing1.unaryCall, request)
            #expect(response.payload?.body == [UInt8](repeating: 0, count: 314_159))
        }
    }

    @Test func clientStreaming() async throws {
        try await withInteropServer { server in
            let response = try await server.client().clientStreaming(Testing1.streamingInputCall) { writer in
                for size in [27182, 8, 1828, 45904] {
                    var request = Certportal_Testing_V1_StreamingInputCallRequest()
                    request.payload = payload(size)
                    try await writer.write(request)
                }
            }
            #expect(response.message.aggregatedPayloadSize == 74922)
        }
    }

    @Test func serverStreaming() async throws {
        try await withInteropServer { server in
            let sizes = try await server.client().serverStreaming(Testing1.streamingOutputCall, outputRequest([31415, 9, 2653, 58979])) { responses in
                var sizes: [Int] = []
                for try await response in responses { sizes.append(response.payload?.body.count ?? -1) }
                return sizes
            }
            #expect(sizes == [31415, 9, 2653, 58979])
        }
    }

    @Test func pingPong() async throws {
        try await withInteropServer { server in
            let requests = [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)]
            let sizes = try await server.client().bidirectional(Testing1.fullDuplexCall) { writer, responses in
                var iterator = responses.makeAsyncIterator()
                var sizes: [Int] = []
                for (size, payloadSize) in requests {
                    try await writer.write(outputRequest([size], payloadSize: payloadSize))
                    sizes.append(try await iterator.next()?.payload?.body.count ?? -1)
                }
                writer.halfClose()
                #expect(try await iterator.next() == nil)
                return sizes
            }
            #expect(sizes == requests.map(\.0))
        }
    }

    @Test func emptyStream() async throws {
        try await withInteropServer { server in
            let count = try await server.client().bidirectional(Testing1.fullDuplexCall) { writer, responses in
                writer.halfClose()
                var count = 0
                for try await _ in responses { count += 1 }
                return count
            }
            #expect(count == 0)
        }
    }

    @Test func halfDuplexRepliesAfterTheHalfClose() async throws {
        try await withInteropServer { server in
            let sizes = try await server.client().bidirectional(Testing1.halfDuplexCall) { writer, responses in
                for size in [10, 20, 30] { try await writer.write(outputRequest([size])) }
                writer.halfClose()
                var sizes: [Int] = []
                for try await response in responses { sizes.append(response.payload?.body.count ?? -1) }
                return sizes
            }
            #expect(sizes == [10, 20, 30])
        }
    }

    @Test func cancelAfterBegin() async throws {
        try await withInteropServer { server in
            let client = server.client()
            defer { client.close() }
            let call = try await client.startCall(path: Testing1.streamingInputCall.path)
            call.cancel()
            await #expect(throws: RPCError.self) { try await call.nextMessage() }
            do { _ = try await call.nextMessage() } catch let error as RPCError { #expect(error.code == .cancelled) }
            try await server.expectHealthy()
        }
    }

    @Test func cancelAfterFirstResponse() async throws {
        try await withInteropServer { server in
            let client = server.client()
            let call = try await client.startCall(path: Testing1.fullDuplexCall.path)
            try await call.send(outputRequest([31415], payloadSize: 27182).serializedBytes())
            let first = try await call.nextMessage()
            #expect(first != nil)
            call.cancel()
            do {
                _ = try await call.nextMessage()
                Issue.record("a cancelled call went on")
            } catch let error as RPCError {
                #expect(error.code == .cancelled)
            }
            // The connection is still good for other calls.
            _ = try await client.unary(Testing1.emptyCall, TEmpty())
        }
    }

    @Test func timeoutOnSleepingServer() async throws {
        try await withInteropServer { server in
            let client = server.client()
            do {
                try await client.bidirectional(Testing1.fullDuplexCall, options: CallOptions(timeout: .milliseconds(1))) { writer, responses in
                    try? await writer.write(outputRequest([], payloadSize: 27182))
                    for try await _ in responses {}
                }
                Issue.record("the call did not time out")
            } catch let error as RPCError {
                #expect(error.code == .deadlineExceeded)
            }
            _ = try await client.unary(Testing1.emptyCall, TEmpty())
        }
    }

    @Test func statusCodeAndMessage() async throws {
        try await withInteropServer { server in
            let client = server.client()
            var status = Certportal_Testing_V1_EchoStatus()
            status.code = 2
            status.message = "test status message"
            var unary = Certportal_Testing_V1_SimpleRequest()
            unary.responseStatus = status
            let error = await expectRPCError(.unknown) { try await client.unary(Testing1.unaryCall, unary) }
            #expect(error?.message == "test status message")
            var streaming = OutputRequest()
            streaming.responseStatus = status
            let streamError = await expectRPCError(.unknown) {
                try await client.bidirectional(Testing1.fullDuplexCall) { writer, responses in
                    try await writer.write(streaming)
                    for try await _ in responses {}
                }
            }
            #expect(streamError?.message == "test status message")
        }
    }

    @Test func specialStatusMessage() async throws {
        try await withInteropServer { server in
            var status = Certportal_Testing_V1_EchoStatus()
            status.code = 2
            status.message = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
            var request = Certportal_Testing_V1_SimpleRequest()
            request.responseStatus = status
            let error = await expectRPCError(.unknown) { try await server.client().unary(Testing1.unaryCall, request) }
            #expect(error?.message == status.message)
        }
    }

    @Test func unimplementedMethodAndService() async throws {
        try await withInteropServer { server in
            let client = server.client()
            await expectRPCError(.unimplemented) { try await client.unary(Testing1.unimplementedCall, TEmpty()) }
            await expectRPCError(.unimplemented) { try await client.unary(Certportal_Testing_V1_UnimplementedService.unimplementedCall, TEmpty()) }
        }
    }

    @Test func customMetadata() async throws {
        try await withInteropServer { server in
            let client = server.client()
            var options = CallOptions()
            options.metadata.add("x-grpc-test-echo-initial", "test_initial_metadata_value")
            options.metadata.add("x-grpc-test-echo-trailing-bin", "q6ur")
            var request = Certportal_Testing_V1_SimpleRequest()
            request.responseSize = 314_159
            request.payload = payload(271_828)
            let unary = try await client.unaryWithMetadata(Testing1.unaryCall, request, options: options)
            #expect(unary.headers["x-grpc-test-echo-initial"] == "test_initial_metadata_value")
            #expect(unary.trailers["x-grpc-test-echo-trailing-bin"] == "q6ur")
            let (headers, trailers) = try await client.bidirectional(Testing1.fullDuplexCall, options: options) { writer, responses in
                try await writer.write(outputRequest([314_159], payloadSize: 271_828))
                writer.halfClose()
                for try await _ in responses {}
                return (responses.responseHeaders, responses.trailers)
            }
            #expect(headers["x-grpc-test-echo-initial"] == "test_initial_metadata_value")
            #expect(trailers?["x-grpc-test-echo-trailing-bin"] == "q6ur")
        }
    }

    @Test func meshTokenIsEnforced() async throws {
        try await withInteropServer(["--mesh-token", "tok-123"]) { server in
            await expectRPCError(.unauthenticated) { try await server.client().unary(Testing1.emptyCall, TEmpty()) }
            _ = try await server.client { $0.meshToken = "tok-123" }.unary(Testing1.emptyCall, TEmpty())
            try await server.expectHealthy()
        }
    }

    @Test func sigtermDrainsAndExitsCleanly() async throws {
        let server = try await ServiceProcess("rpc-interop-server")
        let client = server.client()
        _ = try await client.unary(Testing1.emptyCall, TEmpty())
        // A streaming call still open when SIGTERM arrives finishes before the exit.
        let sizes = try await client.bidirectional(Testing1.fullDuplexCall) { writer, responses in
            var iterator = responses.makeAsyncIterator()
            try await writer.write(outputRequest([5]))
            let first = try await iterator.next()?.payload?.body.count
            server.process.terminate()
            try await Task.sleep(for: .milliseconds(100))
            try await writer.write(outputRequest([7]))
            let second = try await iterator.next()?.payload?.body.count
            writer.halfClose()
            return [first, second]
        }
        #expect(sizes == [5, 7])
        #expect(await server.stop() == 0)
    }
}
