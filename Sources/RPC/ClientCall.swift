internal import Synchronization
internal import Messages

/// One call seen from the client, at the level of message bytes. The typed methods of
/// `RPCClient` are built on it; the load tool uses it directly for any method.
public final class ClientCall: Sendable {
    public let id: UInt64
    public let path: String
    let inbound: MessageQueue<[UInt8]>
    private let connection: ClientConnection
    private let compress: Bool

    private struct State {
        var headers = Metadata()
        var trailers: Metadata?
        var outcome: RPCError?
        var finished = false
        var halfClosed = false
        var deadlineToken: DeadlineTimer.Token?
    }

    private let state = Mutex(State())

    init(id: UInt64, path: String, connection: ClientConnection, compress: Bool, inboundLimit: Int) {
        self.id = id
        self.path = path
        self.connection = connection
        self.compress = compress
        self.inbound = MessageQueue(byteLimit: inboundLimit)
    }

    /// Response headers received so far (complete once a message or the end arrived).
    public var responseHeaders: Metadata { state.withLock { $0.headers } }
    /// Trailing metadata, once the call has ended.
    public var trailers: Metadata? { state.withLock { $0.trailers } }

    func armDeadline(_ deadline: ContinuousClock.Instant) {
        let token = DeadlineTimer.shared.schedule(at: deadline) { [self] in
            sendCancel()
            end(RPCError(.deadlineExceeded, "deadline exceeded"))
        }
        state.withLock { $0.deadlineToken = token }
    }

    /// Sends one request message; waits while the connection's write queue is full.
    public func send(_ bytes: [UInt8]) async throws {
        var output: [UInt8] = []
        FrameEncoder.append(Frame(callId: id, kind: .message(bytes)), compress: compress, to: &output)
        if let error = state.withLock({ $0.finished ? ($0.outcome ?? RPCError(.cancelled, "the call has ended")) : nil }) {
            throw error
        }
        guard await connection.connection.sendRespectingBackPressure(output) else {
            throw RPCError(.unavailable, "the connection closed")
        }
    }

    /// No more request messages.
    public func halfClose() {
        let send = state.withLock { state -> Bool in
            guard !state.finished, !state.halfClosed else { return false }
            state.halfClosed = true
            return true
        }
        if send {
            connection.connection.send(FrameEncoder.encode(Frame(callId: id, kind: .halfClose(.init()))))
        }
    }

    /// Abandons the call: the server stops its work; waiting readers get CANCELLED.
    public func cancel() {
        sendCancel()
        end(RPCError(.cancelled, "the call was cancelled by the client"))
    }

    private func sendCancel() {
        if !state.withLock({ $0.finished }) {
            connection.connection.send(FrameEncoder.encode(Frame(callId: id, kind: .cancel(.init()))))
        }
    }

    /// The next response message; nil when the call ended OK. Throws the call's RPCError.
    public func nextMessage() async throws -> [UInt8]? {
        do {
            return try await inbound.next()
        } catch is CancellationError {
            cancel()
            throw RPCError(.cancelled, "the caller's task was cancelled")
        }
    }

    /// Waits for the end of the call and returns its only response message.
    func singleResponse() async throws -> [UInt8] {
        let messages: [[UInt8]]
        do {
            messages = try await inbound.collect()
        } catch is CancellationError {
            cancel()
            throw RPCError(.cancelled, "the caller's task was cancelled")
        }
        guard messages.count == 1 else {
            throw RPCError(.internalError, "\(path) ended OK with \(messages.count) response messages instead of one")
        }
        return messages[0]
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    // MARK: From the reader thread

    func receivedHeaders(_ metadata: Metadata) {
        state.withLock { state in for (key, value) in metadata { state.headers.add(key, value) } }
    }

    func receivedMessage(_ bytes: [UInt8]) {
        inbound.push(bytes, size: bytes.count)
    }

    func receivedTrailers(_ trailers: Certportal_Rpc_V1_Trailers) {
        let code = RPCStatusCode(rawValue: trailers.code)
        let metadata = Metadata(trailers.metadata)
        if code == .ok {
            end(nil, trailers: metadata)
        } else {
            end(RPCError(code, trailers.message, metadata: metadata), trailers: metadata)
        }
    }

    /// Ends the call locally (deadline, cancel, lost connection) or from its trailers.
    func end(_ error: RPCError?, trailers: Metadata = [:]) {
        let token = state.withLock { state -> DeadlineTimer.Token?? in
            guard !state.finished else { return nil }
            state.finished = true
            state.outcome = error
            state.trailers = trailers
            return .some(state.deadlineToken)
        }
        guard let token else { return }
        Trace.event("client end \(connection.connection.fd)#\(id) \(error?.description ?? "OK")")
        if let token { DeadlineTimer.shared.cancel(token) }
        if let error {
            inbound.finish(.failure(error))
        } else {
            inbound.finish()
        }
        connection.callEnded(id)
    }
}
