internal import Messages
internal import Synchronization

/// One call on the server: its inbound messages, its handler task and its single end.
final class ServerCall: Sendable {
    let id: UInt64
    let context: ServerContext
    let inbound: MessageQueue<[UInt8]>
    private let connection: ServerConnection
    private let compress: Bool

    private struct State {
        var finished = false
        var headersSent = false
        var task: Task<Void, Never>?
        var deadlineToken: DeadlineTimer.Token?
        /// Unary and server-streaming calls start their handler once the single request and
        /// the half-close are in: one wake-up of the pool instead of several.
        var deferred: (route: RPCRouter.Route, logger: Logger)?
        var messagesReceived = 0
    }

    private let state = Mutex(State())

    init(id: UInt64, context: ServerContext, connection: ServerConnection, compress: Bool, inboundLimit: Int) {
        self.id = id
        self.context = context
        self.connection = connection
        self.compress = compress
        self.inbound = MessageQueue(byteLimit: inboundLimit)
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    /// Arms the deadline, and starts the handler at once or, for calls that take a single
    /// request, when the half-close arrives.
    func open(_ route: RPCRouter.Route, logger: Logger) {
        if let deadline = context.deadline {
            let token = DeadlineTimer.shared.schedule(at: deadline) { [self] in
                end(RPCError(.deadlineExceeded, "deadline exceeded"))
            }
            state.withLock { $0.deadlineToken = token }
        }
        switch route.info.shape {
        case .unary, .serverStreaming:
            state.withLock { $0.deferred = (route, logger) }
        case .clientStreaming, .bidirectional:
            start(route, logger: logger)
        }
    }

    /// A request message arrived (reader thread).
    func received(_ bytes: [UInt8]) {
        let tooMany = state.withLock { state -> Bool in
            state.messagesReceived += 1
            return state.deferred != nil && state.messagesReceived > 1
        }
        if tooMany {
            end(oneRequestExpected(got: "more"))
        } else {
            inbound.push(bytes, size: bytes.count)
        }
    }

    /// The client half-closed (reader thread).
    func halfClosed() {
        inbound.finish()
        let deferred = state.withLock { state -> (route: RPCRouter.Route, logger: Logger)? in
            defer { state.deferred = nil }
            return state.finished ? nil : state.deferred
        }
        if let deferred { start(deferred.route, logger: deferred.logger) }
    }

    private func start(_ route: RPCRouter.Route, logger: Logger) {
        Trace.event("server start \(connection.connection.fd)#\(id) \(context.method)")
        let task = Task { [self] in
            do {
                let final = try await route.run(self)
                finish(status: .ok, message: "", finalMessage: final)
            } catch {
                end(rpcError(for: error, logger: logger))
            }
        }
        let cancelNow = state.withLock { state -> Bool in
            state.task = task
            return state.finished
        }
        if cancelNow { task.cancel() }
    }

    private func rpcError(for error: any Error, logger: Logger) -> RPCError {
        switch error {
        case let error as any RPCErrorConvertible:
            var converted = error.rpcError
            converted.cause = nil
            return converted
        case is CancellationError:
            if let deadline = context.deadline, deadline <= .now {
                return RPCError(.deadlineExceeded, "deadline exceeded")
            }
            return RPCError(.cancelled, "the call was cancelled")
        default:
            // Internals stay in the log, never on the wire.
            logger.error("handler failed", requestID: context.requestID, ["method": context.method, "error": "\(error)"])
            return RPCError(.unknown, "the server failed to handle the call")
        }
    }

    // MARK: Handler side

    func singleRequest<Req: ProtoMessage>(_ type: Req.Type) async throws -> Req {
        let messages = try await inbound.collect()
        guard messages.count == 1 else { throw oneRequestExpected(got: "\(messages.count)") }
        return try decodeMessage(Req.self, messages[0], failureCode: .invalidArgument)
    }

    private func oneRequestExpected(got count: String) -> RPCError {
        RPCError(.invalidArgument, "\(context.method) expects exactly one request message; got \(count)")
    }

    func requests<Req: ProtoMessage>(_ type: Req.Type) -> MessageStream<Req> {
        MessageStream(queue: inbound, decodeFailureCode: .invalidArgument)
    }

    func responseWriter<Resp: ProtoMessage>(_ type: Resp.Type) -> MessageWriter<Resp> {
        MessageWriter { [self] bytes in try await sendMessage(bytes) }
    }

    private func sendMessage(_ bytes: [UInt8]) async throws {
        var output: [UInt8] = []
        let open = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            if !state.headersSent {
                state.headersSent = true
                appendHeadersIfAny(to: &output)
            }
            FrameEncoder.append(Frame(callId: id, kind: .message(bytes)), compress: compress, to: &output)
            return true
        }
        guard open else { throw CancellationError() }
        guard await connection.connection.sendRespectingBackPressure(output) else {
            throw RPCError(.unavailable, "the connection closed")
        }
    }

    private func appendHeadersIfAny(to output: inout [UInt8]) {
        let headers = context.responseHeaders
        guard !headers.isEmpty else { return }
        var wire = Certportal_Rpc_V1_Headers()
        wire.metadata = headers.wire
        FrameEncoder.append(Frame(callId: id, kind: .headers(wire)), to: &output)
    }

    // MARK: Ending

    /// Ends the call with an error status: sends the trailers, stops the handler.
    func end(_ error: RPCError) {
        finish(status: error.code, message: error.message, extraTrailers: error.metadata, finalMessage: nil)
    }

    /// Sends the last frames once: pending headers, the final message, the trailers.
    func finish(status: RPCStatusCode, message: String, extraTrailers: Metadata = [:], finalMessage: [UInt8]?) {
        var output: [UInt8] = []
        let (task, token) = state.withLock { state -> (Task<Void, Never>?, DeadlineTimer.Token?) in
            guard !state.finished else { return (nil, nil) }
            state.finished = true
            if !state.headersSent {
                state.headersSent = true
                appendHeadersIfAny(to: &output)
            }
            if let finalMessage, status == .ok {
                FrameEncoder.append(Frame(callId: id, kind: .message(finalMessage)), compress: compress, to: &output)
            }
            var trailers = Certportal_Rpc_V1_Trailers()
            trailers.code = status.rawValue
            trailers.message = message
            var metadata = context.trailers
            for (key, value) in extraTrailers { metadata.add(key, value) }
            trailers.metadata = metadata.wire
            FrameEncoder.append(Frame(callId: id, kind: .trailers(trailers)), to: &output)
            return (state.task, state.deadlineToken)
        }
        guard !output.isEmpty else { return }
        Trace.event("server finish \(connection.connection.fd)#\(id) \(status)")
        if let token { DeadlineTimer.shared.cancel(token) }
        connection.connection.send(output)
        if status != .ok { task?.cancel() }
        inbound.cancel(RPCError(.cancelled, "the call ended"))
        connection.callEnded(id)
    }

    /// The client cancelled: stop the handler and send nothing more.
    func cancelledByClient() {
        let (task, token) = state.withLock { state -> (Task<Void, Never>?, DeadlineTimer.Token?) in
            guard !state.finished else { return (nil, nil) }
            state.finished = true
            return (state.task, state.deadlineToken)
        }
        if let token { DeadlineTimer.shared.cancel(token) }
        task?.cancel()
        inbound.cancel(RPCError(.cancelled, "the client cancelled the call"))
        connection.callEnded(id)
    }
}
