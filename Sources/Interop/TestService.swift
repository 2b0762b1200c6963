public import RPC
internal import Messages

/// `certportal.testing.v1.TestService`: the conformance service, behaving as gRPC's interop
/// server does so its test cases carry over. Never deployed with the portal.
public struct TestService: RPCService {
    typealias Service = Certportal_Testing_V1_TestService
    typealias Payload = Certportal_Testing_V1_Payload
    typealias EchoStatus = Certportal_Testing_V1_EchoStatus

    static let echoInitialKey = "x-grpc-test-echo-initial"
    static let echoTrailingKey = "x-grpc-test-echo-trailing-bin"

    public init() {}

    public func register(into router: inout RPCRouter) {
        router.unary(Service.emptyCall) { _, context in
            echoMetadata(context)
            return Certportal_Testing_V1_Empty()
        }
        router.unary(Service.unaryCall) { request, context in
            echoMetadata(context)
            try fail(with: request.responseStatus)
            var response = Certportal_Testing_V1_SimpleResponse()
            response.payload = try payload(size: request.responseSize)
            return response
        }
        router.serverStreaming(Service.streamingOutputCall) { request, writer, context in
            echoMetadata(context)
            try await respond(to: request, writer)
        }
        router.clientStreaming(Service.streamingInputCall) { requests, context in
            echoMetadata(context)
            var total = 0
            for try await request in requests { total += request.payload?.body.count ?? 0 }
            var response = Certportal_Testing_V1_StreamingInputCallResponse()
            response.aggregatedPayloadSize = Int32(clamping: total)
            return response
        }
        router.bidirectional(Service.fullDuplexCall) { requests, writer, context in
            echoMetadata(context)
            for try await request in requests { try await respond(to: request, writer) }
        }
        router.bidirectional(Service.halfDuplexCall) { requests, writer, context in
            echoMetadata(context)
            var buffered: [Certportal_Testing_V1_StreamingOutputCallRequest] = []
            for try await request in requests { buffered.append(request) }
            for request in buffered { try await respond(to: request, writer) }
        }
        // UnimplementedCall is declared in the proto and deliberately not registered.
    }
}

private func echoMetadata(_ context: ServerContext) {
    for value in context.requestMetadata.values(for: TestService.echoInitialKey) {
        context.addResponseHeader(TestService.echoInitialKey, value)
    }
    for value in context.requestMetadata.values(for: TestService.echoTrailingKey) {
        context.addTrailer(TestService.echoTrailingKey, value)
    }
}

private func fail(with status: TestService.EchoStatus?) throws {
    guard let status, status.code != 0 else { return }
    throw RPCError(RPCStatusCode(rawValue: UInt32(bitPattern: status.code)), status.message)
}

private func payload(size: Int32) throws -> TestService.Payload {
    guard size >= 0 else { throw RPCError(.invalidArgument, "response_size: must not be negative") }
    var payload = TestService.Payload()
    payload.body = [UInt8](repeating: 0, count: Int(size))
    return payload
}

private func respond(to request: Certportal_Testing_V1_StreamingOutputCallRequest,
                     _ writer: MessageWriter<Certportal_Testing_V1_StreamingOutputCallResponse>) async throws {
    try fail(with: request.responseStatus)
    for parameters in request.responseParameters {
        if parameters.intervalUs > 0 {
            try await Task.sleep(for: .microseconds(Int64(parameters.intervalUs)))
        }
        var response = Certportal_Testing_V1_StreamingOutputCallResponse()
        response.payload = try payload(size: parameters.size)
        try await writer.write(response)
    }
}
