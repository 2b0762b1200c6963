import Testing
import Messages
import Interop
import Synchronization
import RPCTesting
import Glibc
@testable import RPC

/// The framework end to end over real loopback TCP, in one process.
@Suite struct ServerClientTests {
    @Test func unaryCallEchoesThePayloadSize() async throws {
        try await withServer { _, port in
            let client = RPCClient(port: port)
            let response = try await client.unary(TestServiceMethods.unaryCall, simpleRequest(size: 100))
            #expect(response.payload?.body.count == 100)
            let empty = try await client.unary(TestServiceMethods.emptyCall, Empty())
            #expect(empty == Empty())
        }
    }

    @Test func serverStreamingSendsEachResponseInOrder() async throws {
        try await withServer { _, port in
            let client = RPCClient(port: port)
            var request = Certportal_Testing_V1_StreamingOutputCallRequest()
            request.responseParameters = [31415, 9, 2653, 58979].map { size in
                var parameters = Certportal_Testing_V1_ResponseParameters()
                parameters.size = Int32(size)
                return parameters
            }
            let sizes = try await client.serverStreaming(TestServiceMethods.streamingOutputCall, request) { responses in
                var sizes: [Int] = []
                for try await response in responses { sizes.append(response.payload?.body.count ?? -1) }
                return sizes
            }
            #expect(sizes == [31415, 9, 2653, 58979])
        }
    }

    @Test func clientStreamingAggregatesEveryRequest() async throws {
        try await withServer { _, port in
            let client = RPCClient(port: port)
            let response = try await client.clientStreaming(TestServiceMethods.streamingInputCall) { writer in
                for size in [27182, 8, 1828, 45904] {
                    var request = Certportal_Testing_V1_StreamingInputCallRequest()
                    var payload = Certportal_Testing_V1_Payload()
                    payload.body = [UInt8](repeating: 0, count: size)
                    request.payload = payload
                    try await writer.write(request)
                }
            }
            #expect(response.message.aggregatedPayloadSize == 74922)
        }
    }

    @Test func bidirectionalPingPongInterleaves() async throws {
        try await withServer { _, port in
            let client = RPCClient(port: port)
            let sizes = try await client.bidirectional(TestServiceMethods.fullDuplexCall) { writer, responses in
                var iterator = responses.makeAsyncIterator()
                var sizes: [Int] = []
                for size in [31415, 9, 2653, 58979] {
                    var parameters = Certportal_Testing_V1_ResponseParameters()
                    parameters.size = Int32(size)
                    var request = Certportal_Testing_V1_StreamingOutputCallRequest()
                    request.responseParameters = [parameters]
                    try await writer.write(request)
                    // The reply arrives before the next request is sent: real interleaving.
                    sizes.append(try await iterator.next()?.payload?.body.count ?? -1)
                }
                writer.halfClose()
                #expect(try await iterator.next() == nil)
                return sizes
            }
            #expect(sizes == [31415, 9, 2653, 58979])
        }
    }

    @Test func statusCodeAndMessageReachTheClient() async throws {
        try await withServer { _, port in
            let client = RPCClient(port: port)
            var request = SimpleRequest()
            var status = Certportal_Testing_V1_EchoStatus()
            status.code = 2
            status.message = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
            request.responseStatus = status
            let error = await expectRPCError(.unknown) { try await client.unary(TestServiceMethods.unaryCall, request) }
            #expect(error?.message == status.message)
        }
    }

    @Test func unknownMethodsAreUnimplementedAndTheConnectionStaysUsable() async throws {
        try await withServer { _, port in
            let client = RPCClient(port: port)
            await expectRPCError(.unimplemented) { try await client.unary(TestServiceMethods.unimplementedCall, Empty()) }
            await expectRPCError(.unimplemented) { try await client.unary(Certportal_Testing_V1_UnimplementedService.unimplementedCall, Empty()) }
            _ = try await client.unary(TestServiceMethods.emptyCall, Empty())
        }
    }

    @Test func aSlowCallDoesNotHoldUpOthersOnTheSameConnection() async throws {
        let probe = ProbeService()
        try await withServer(services: [probe]) { _, port in
            let client = RPCClient(port: port)  // one connection
            async let slow = client.unary(Probe.gate, Empty(), options: CallOptions(timeout: .seconds(120)))
            // The gate opens only after a second call on the same connection has completed;
            // if calls were served one after another this would end in DEADLINE_EXCEEDED.
            // (Generous deadlines: the whole suite shares two cooperative threads, and a busy
            // moment must not pass for calls served in turn.)
            for _ in 0..<10 { _ = try await client.unary(Probe.principal, Empty(), options: CallOptions(timeout: .seconds(60))) }
            probe.gate.open()
            _ = try await slow
        }
    }

    @Test func theServerEndsACallAtItsDeadlineAndStopsTheHandler() async throws {
        let probe = ProbeService()
        try await withServer(services: [probe]) { _, port in
            let client = RPCClient(port: port)
            // The server measures the deadline from when it reads the headers, so the
            // handler always starts; the deadline must then cancel it.
            await expectRPCError(.deadlineExceeded) {
                try await client.bidirectional(Probe.sleepStream, options: CallOptions(timeout: .milliseconds(100))) { _, responses in
                    for try await _ in responses {}
                }
            }
            await probe.sleepCancelled.wait()
        }
    }

    @Test func aClientCancelStopsTheHandler() async throws {
        let probe = ProbeService()
        try await withServer(services: [probe]) { _, port in
            let client = RPCClient(port: port)
            let call = try await client.startCall(path: Probe.sleep.path, messages: [Empty().serializedBytes()], halfClose: true)
            await probe.sleepStarted.wait()
            call.cancel()
            await probe.sleepCancelled.wait()
            await expectRPCError(.cancelled) { try await call.nextMessage() }
        }
    }

    @Test func cancellingTheCallersTaskCancelsTheCall() async throws {
        let probe = ProbeService()
        try await withServer(services: [probe]) { _, port in
            let client = RPCClient(port: port)
            let task = Task { try await client.unary(Probe.sleep, Empty()) }
            await probe.sleepStarted.wait()
            task.cancel()
            await probe.sleepCancelled.wait()
            await expectRPCError(.cancelled) { try await task.value }
        }
    }

    @Test func deadlinesPassOnOnlyTheTimeLeft() async throws {
        let probe = ProbeService()
        try await withServer(services: [probe]) { _, port in
            let client = RPCClient(port: port)
            let response = try await client.unary(Probe.deadline, Empty(), options: CallOptions(timeout: .seconds(30)))
            let seconds = Int(String(decoding: response.payload?.body ?? [], as: UTF8.self)) ?? -1
            #expect((0...29).contains(seconds))
        }
    }

    @Test func domainErrorsMapToTheirCodeAndOthersLeakNothing() async throws {
        try await withServer(services: [ProbeService()]) { _, port in
            let client = RPCClient(port: port)
            let notFound = await expectRPCError(.notFound) { try await client.unary(Probe.domainError, Empty()) }
            #expect(notFound?.message == "record 42 not found")
            let unknown = await expectRPCError(.unknown) { try await client.unary(Probe.crash, Empty()) }
            #expect(unknown.map { !$0.message.contains("secret") } == true)
        }
    }

    @Test func metadataTravelsBothWays() async throws {
        try await withServer { _, port in
            let client = RPCClient(port: port)
            var options = CallOptions()
            options.metadata.add("x-grpc-test-echo-initial", "test_initial_metadata_value")
            options.metadata.add("x-grpc-test-echo-trailing-bin", "q6ur")
            let response = try await client.unaryWithMetadata(TestServiceMethods.unaryCall, simpleRequest(size: 10), options: options)
            #expect(response.headers["x-grpc-test-echo-initial"] == "test_initial_metadata_value")
            #expect(response.trailers["x-grpc-test-echo-trailing-bin"] == "q6ur")
        }
    }

    @Test func theMeshTokenIsRequiredExceptForHealth() async throws {
        try await withServer({ $0.meshToken = "s3cret" }, services: [TestService(), ProbeService()]) { _, port in
            let anonymous = RPCClient(port: port)
            await expectRPCError(.unauthenticated) { try await anonymous.unary(TestServiceMethods.emptyCall, Empty()) }
            let wrong = RPCClient(port: port, meshToken: "s3creT")
            await expectRPCError(.unauthenticated) { try await wrong.unary(TestServiceMethods.emptyCall, Empty()) }
            let health = try await anonymous.unary(Certportal_Health_V1_Health.check, .init())
            #expect(health.status == .serving)
            let member = RPCClient(port: port, meshToken: "s3cret")
            _ = try await member.unary(TestServiceMethods.emptyCall, Empty())
        }
    }

    @Test func thePrincipalReachesTheHandler() async throws {
        try await withServer(services: [ProbeService()]) { _, port in
            let client = RPCClient(port: port)
            for principal in ["admin", "booker:B-17", "orgrep:ORG 3"] {
                var options = CallOptions()
                options.metadata[MetadataKey.principal] = principal
                let response = try await client.unary(Probe.principal, Empty(), options: options)
                #expect(String(decoding: response.payload?.body ?? [], as: UTF8.self) == principal)
            }
            var forged = CallOptions()
            forged.metadata[MetadataKey.principal] = "superuser"
            await expectRPCError(.unauthenticated) { try await client.unary(Probe.principal, Empty(), options: forged) }
        }
    }

    @Test func healthAndReflectionDescribeTheServer() async throws {
        try await withServer { _, port in
            let client = RPCClient(port: port)
            var request = Certportal_Health_V1_HealthCheckRequest()
            #expect(try await client.unary(Certportal_Health_V1_Health.check, request).status == .serving)
            request.service = "no.such.Service"
            #expect(try await client.unary(Certportal_Health_V1_Health.check, request).status == .serviceUnknown)
            let listing = try await client.unary(Certportal_Reflection_V1_Reflection.listServices, .init())
            let test = listing.services.first { $0.name == "certportal.testing.v1.TestService" }
            #expect(test?.protoFile == "certportal/testing/v1/test.proto")
            #expect(test?.methods == ["EmptyCall", "FullDuplexCall", "HalfDuplexCall", "StreamingInputCall", "StreamingOutputCall", "UnaryCall"])
            #expect(listing.services.map(\.name).contains("certportal.health.v1.Health"))
            #expect(listing.services.map(\.name).contains("certportal.reflection.v1.Reflection"))
        }
    }

    @Test func pingIsAnswered() async throws {
        try await withServer { _, port in
            let client = RPCClient(port: port)
            let roundTrip = try await client.ping()
            #expect(roundTrip > .zero)
        }
    }

    @Test func largeMessagesRoundTripCompressed() async throws {
        try await withServer { _, port in
            var configuration = RPCClientConfiguration(port: port)
            configuration.compressRequests = true
            let client = RPCClient(configuration: configuration)
            let response = try await client.unary(TestServiceMethods.unaryCall, simpleRequest(size: 271_828))
            #expect(response.payload?.body == [UInt8](repeating: 0, count: 271_828))
        }
    }

    @Test func aResponseOverTheClientsFrameLimitFailsSayingSo() async throws {
        try await withServer { _, port in
            var configuration = RPCClientConfiguration(port: port)
            configuration.limits.maxFrameBytes = 64 * 1024
            let client = RPCClient(configuration: configuration)
            var request = SimpleRequest()
            request.responseSize = 100_000
            let error = await expectRPCError(.unavailable) { try await client.unary(TestServiceMethods.unaryCall, request) }
            #expect(error?.message.contains("exceeds the limit of 65536") == true, "\(String(describing: error))")
        }
    }

    @Test func gracefulShutdownFinishesOpenCallsAndRefusesNewOnes() async throws {
        let probe = ProbeService()
        var configuration = RPCServerConfiguration()
        configuration.shutdownGrace = .seconds(20)
        let server = RPCServer(configuration: configuration, services: [probe])
        let port = try server.start()
        let client = RPCClient(port: port)
        async let open = client.unary(Probe.gate, Empty())
        // Make sure the gated call is open before draining starts.
        _ = try await client.unary(Probe.principal, Empty())
        let shutdown = Task { await server.shutdown() }
        // Once draining, the server reports NOT_SERVING and refuses new calls.
        while server.health.status(of: "") == .serving { try await Task.sleep(for: .milliseconds(5)) }
        let other = RPCClient(port: port)
        await expectRPCError(.unavailable) { try await other.unary(Probe.principal, Empty(), options: CallOptions(timeout: .seconds(2))) }
        probe.gate.open()
        _ = try await open
        await shutdown.value
    }

    @Test func shutdownEndsCallsThatOutliveTheGracePeriod() async throws {
        let probe = ProbeService()
        var configuration = RPCServerConfiguration()
        configuration.shutdownGrace = .milliseconds(200)
        let server = RPCServer(configuration: configuration, services: [probe])
        let client = RPCClient(port: try server.start())
        let stuck = Task { try await client.unary(Probe.gate, Empty()) }
        _ = try await client.unary(Probe.principal, Empty())
        await server.shutdown()
        await expectRPCError(.unavailable) { try await stuck.value }
    }

    @Test func theClientReconnectsAfterTheServerRestarts() async throws {
        let first = RPCServer(services: [TestService()])
        let port = try first.start()
        let client = RPCClient(port: port)
        _ = try await client.unary(TestServiceMethods.emptyCall, Empty())
        await first.shutdown()
        var configuration = RPCServerConfiguration()
        configuration.port = port
        let second = RPCServer(configuration: configuration, services: [TestService()])
        try second.start()
        // EmptyCall is idempotent: the retry policy rides over the back-off window.
        _ = try await client.unary(TestServiceMethods.emptyCall, Empty())
        await second.shutdown()
    }

    @Test func onlyIdempotentMethodsAreRetried() async throws {
        // Hold a port bound but not listening: connections are refused, and no other test's
        // server can take it meanwhile.
        let reserved = try ReservedPort()
        var configuration = RPCClientConfiguration(port: reserved.port)
        configuration.initialBackoff = .milliseconds(100)
        configuration.maxAttempts = 30
        let client = RPCClient(configuration: configuration)
        // Not idempotent: fails at once with UNAVAILABLE.
        await expectRPCError(.unavailable) { try await client.unary(TestServiceMethods.streamingInputCallAsUnaryProbe, Empty()) }
        var serverConfiguration = RPCServerConfiguration()
        serverConfiguration.port = reserved.port
        let server = RPCServer(configuration: serverConfiguration, services: [TestService()])
        let starter = Task {
            try await Task.sleep(for: .milliseconds(300))
            reserved.release()
            try server.start()
        }
        // Idempotent: retried with back-off until the server is up.
        _ = try await client.unary(TestServiceMethods.emptyCall, Empty())
        try await starter.value
        await server.shutdown()
    }
}

/// A loopback port bound without listening, until released.
final class ReservedPort: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw SystemCallError(call: "bind", errno: errno) }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func release() { close(fd) }
}

extension Certportal_Testing_V1_TestService {
    /// A non-idempotent unary method path for the retry test (never reaches a server).
    static let streamingInputCallAsUnaryProbe = MethodDescriptor<Certportal_Testing_V1_Empty, Certportal_Testing_V1_Empty>(
        service: "certportal.testing.v1.TestService", method: "UnimplementedCall", shape: .unary, idempotent: false)
}
