import Testing
import Messages
import Interop
import Synchronization
import RPCTesting
@testable import RPC

typealias TestServiceMethods = Certportal_Testing_V1_TestService
typealias SimpleRequest = Certportal_Testing_V1_SimpleRequest
typealias SimpleResponse = Certportal_Testing_V1_SimpleResponse
typealias Empty = Certportal_Testing_V1_Empty

/// Methods that exist only in these tests, to observe what a handler sees.
enum Probe {
    static let service = "test.v1.Probe"
    static let principal = MethodDescriptor<Empty, SimpleResponse>(service: service, method: "Principal", shape: .unary, idempotent: true)
    static let sleep = MethodDescriptor<Empty, Empty>(service: service, method: "Sleep", shape: .unary, idempotent: false)
    /// Bidirectional, so its handler starts as soon as the headers arrive.
    static let sleepStream = MethodDescriptor<Empty, Empty>(service: service, method: "SleepStream", shape: .bidirectional, idempotent: false)
    static let gate = MethodDescriptor<Empty, Empty>(service: service, method: "Gate", shape: .unary, idempotent: false)
    static let domainError = MethodDescriptor<Empty, Empty>(service: service, method: "DomainError", shape: .unary, idempotent: false)
    static let crash = MethodDescriptor<Empty, Empty>(service: service, method: "Crash", shape: .unary, idempotent: false)
    static let deadline = MethodDescriptor<Empty, SimpleResponse>(service: service, method: "Deadline", shape: .unary, idempotent: false)
}

struct RecordNotFound: RPCErrorConvertible {
    var rpcError: RPCError { RPCError(.notFound, "record 42 not found") }
}

struct SecretFailure: Error, CustomStringConvertible {
    var description: String { "disk /var/secret is full" }
}

typealias Gate = Latch

final class ProbeService: RPCService {
    let gate = Gate()
    /// Opened when a Sleep handler sees its task cancelled.
    let sleepCancelled = Gate()
    let sleepStarted = Gate()

    /// Sleeps a minute, opening `sleepStarted` first and `sleepCancelled` when cut short.
    private func sleepUntilCancelled() async throws {
        sleepStarted.open()
        do {
            try await Task.sleep(for: .seconds(60))
        } catch {
            sleepCancelled.open()
            throw error
        }
    }

    func register(into router: inout RPCRouter) {
        router.unary(Probe.principal) { _, context in
            var response = SimpleResponse()
            var payload = Certportal_Testing_V1_Payload()
            payload.body = Array((context.principal?.description ?? "none").utf8)
            response.payload = payload
            return response
        }
        router.unary(Probe.sleep) { [self] _, _ in
            try await sleepUntilCancelled()
            return Empty()
        }
        router.bidirectional(Probe.sleepStream) { [self] _, _, _ in
            try await sleepUntilCancelled()
        }
        router.unary(Probe.gate) { [self] _, _ in
            await gate.wait()
            return Empty()
        }
        router.unary(Probe.domainError) { _, _ in throw RecordNotFound() }
        router.unary(Probe.crash) { _, _ in throw SecretFailure() }
        router.unary(Probe.deadline) { _, context in
            // Reports the time left that a downstream call would get.
            var response = SimpleResponse()
            var payload = Certportal_Testing_V1_Payload()
            let left = context.downstreamOptions().timeout.map { "\($0.components.seconds)" } ?? "none"
            payload.body = Array(left.utf8)
            response.payload = payload
            return response
        }
    }
}

/// Runs `body` against a real server on a loopback port, then shuts it down.
func withServer<T>(
    _ configure: (inout RPCServerConfiguration) -> Void = { _ in },
    services: [any RPCService] = [TestService()],
    _ body: (RPCServer, Int) async throws -> T
) async throws -> T {
    var configuration = RPCServerConfiguration()
    configuration.shutdownGrace = .seconds(2)
    configure(&configuration)
    let server = RPCServer(configuration: configuration, services: services)
    let port = try server.start()
    do {
        let result = try await body(server, port)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

func simpleRequest(size: Int32) -> SimpleRequest {
    var request = SimpleRequest()
    request.responseSize = size
    var payload = Certportal_Testing_V1_Payload()
    payload.body = [UInt8](repeating: 1, count: Int(size))
    request.payload = payload
    return request
}
