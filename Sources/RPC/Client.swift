public import Messages
internal import Synchronization
internal import Foundation

/// How a client reaches a server.
public struct RPCClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Connections kept to the server; calls are spread over them round-robin.
    public var connections = 1
    public var limits = ConnectionLimits()
    /// Sent as `cp-mesh-token` on every call.
    public var meshToken: String?
    /// Deadline of calls whose options name none. nil: no deadline.
    public var defaultTimeout: Duration? = .seconds(30)
    public var connectTimeout: Duration = .seconds(5)
    /// Reconnect and retry back-off: the first delay, doubled each time up to the maximum.
    public var initialBackoff: Duration = .milliseconds(50)
    public var maxBackoff: Duration = .seconds(5)
    /// Attempts of an idempotent call that fails with UNAVAILABLE (1 = no retry).
    public var maxAttempts = 4
    /// Compress request frames of 1 KiB or more (servers always accept them).
    public var compressRequests = false
    /// Ask the server to compress responses (`accept-encoding: deflate`).
    public var acceptCompressedResponses = true

    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }
}

/// The response of a unary call with its metadata.
public struct UnaryResponse<Message: ProtoMessage>: Sendable {
    public var message: Message
    public var headers: Metadata
    public var trailers: Metadata
}

/// A CPRPC/1 client: reuses its connections, reconnects with back-off, retries UNAVAILABLE
/// for idempotent methods, enforces deadlines. Safe to share between tasks.
public final class RPCClient: Sendable {
    public let configuration: RPCClientConfiguration
    private let channels: [ClientChannel]
    private let nextChannel = Atomic<Int>(0)

    public init(configuration: RPCClientConfiguration) {
        self.configuration = configuration
        channels = (0..<max(1, configuration.connections)).map { _ in ClientChannel(configuration: configuration) }
    }

    public convenience init(host: String = "127.0.0.1", port: Int, meshToken: String? = nil) {
        var configuration = RPCClientConfiguration(host: host, port: port)
        configuration.meshToken = meshToken
        self.init(configuration: configuration)
    }

    deinit { close() }

    /// Closes every connection; open calls end with UNAVAILABLE.
    public func close() {
        for channel in channels { channel.close() }
    }

    // MARK: Raw calls

    /// Opens a call on `path`, optionally sending first messages and the half-close in the
    /// same write as the headers.
    public func startCall(path: String, options: CallOptions = CallOptions(),
                          messages: [[UInt8]] = [], halfClose: Bool = false) async throws -> ClientCall {
        let timeout = options.timeout ?? configuration.defaultTimeout
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let channel = channels[nextChannel.wrappingAdd(1, ordering: .relaxed).oldValue % channels.count]
        let connection = try await channel.readyConnection(deadline: deadline)
        var headers = Certportal_Rpc_V1_Headers()
        headers.method = path
        headers.timeoutMs = timeout.map { max(1, $0.milliseconds) } ?? 0
        var metadata = options.metadata
        if configuration.acceptCompressedResponses { metadata[MetadataKey.acceptEncoding] = "deflate" }
        if let token = configuration.meshToken { metadata[MetadataKey.meshToken] = token }
        headers.metadata = metadata.wire
        return try connection.open(headers: headers, messages: messages, halfClose: halfClose,
                                   deadline: deadline, compress: configuration.compressRequests)
    }

    /// Runs `attempt` again on UNAVAILABLE when the method is idempotent, with back-off,
    /// within the call's deadline.
    private func withRetries<T>(idempotent: Bool, options: CallOptions, _ attempt: () async throws -> T) async throws -> T {
        let retry = options.retryUnavailable ?? idempotent
        let deadline = (options.timeout ?? configuration.defaultTimeout).map { ContinuousClock.now + $0 }
        var delay = configuration.initialBackoff
        var attempts = 1
        while true {
            do {
                return try await attempt()
            } catch let error as RPCError where error.code == .unavailable && retry && attempts < configuration.maxAttempts {
                let jittered = delay * Double.random(in: 0.8...1.2)
                if let deadline, ContinuousClock.now + jittered >= deadline { throw error }
                try await Task.sleep(for: jittered)
                delay = min(delay * 2, configuration.maxBackoff)
                attempts += 1
            }
        }
    }

    private func remainingOptions(_ options: CallOptions, started: ContinuousClock.Instant) -> CallOptions {
        guard let timeout = options.timeout ?? configuration.defaultTimeout else { return options }
        var options = options
        options.timeout = timeout - (ContinuousClock.now - started)
        return options
    }

    // MARK: Typed calls

    public func unary<Req, Resp>(_ method: MethodDescriptor<Req, Resp>, _ request: Req,
                                 options: CallOptions = CallOptions()) async throws -> Resp {
        try await unaryWithMetadata(method, request, options: options).message
    }

    public func unaryWithMetadata<Req, Resp>(_ method: MethodDescriptor<Req, Resp>, _ request: Req,
                                             options: CallOptions = CallOptions()) async throws -> UnaryResponse<Resp> {
        let requestBytes = request.serializedBytes()
        let started = ContinuousClock.now
        return try await withRetries(idempotent: method.idempotent, options: options) {
            let call = try await startCall(path: method.path, options: remainingOptions(options, started: started),
                                           messages: [requestBytes], halfClose: true)
            let bytes = try await call.singleResponse()
            let message = try decodeMessage(Resp.self, bytes, failureCode: .internalError)
            return UnaryResponse(message: message, headers: call.responseHeaders, trailers: call.trailers ?? [:])
        }
    }

    /// Sends one request and hands the stream of responses to `body`; the call is cancelled
    /// if `body` returns before it ends.
    public func serverStreaming<Req, Resp, Result: Sendable>(
        _ method: MethodDescriptor<Req, Resp>, _ request: Req, options: CallOptions = CallOptions(),
        _ body: (MessageStream<Resp>) async throws -> Result
    ) async throws -> Result {
        let call = try await withRetries(idempotent: method.idempotent, options: options) {
            try await startCall(path: method.path, options: options, messages: [request.serializedBytes()], halfClose: true)
        }
        defer { if !call.isFinished { call.cancel() } }
        return try await body(MessageStream(call: call))
    }

    /// Lets `body` write the requests, then half-closes and returns the single response.
    public func clientStreaming<Req, Resp>(
        _ method: MethodDescriptor<Req, Resp>, options: CallOptions = CallOptions(),
        _ body: (MessageWriter<Req>) async throws -> Void
    ) async throws -> UnaryResponse<Resp> {
        let call = try await startCall(path: method.path, options: options)
        defer { if !call.isFinished { call.cancel() } }
        try await body(MessageWriter { bytes in try await call.send(bytes) })
        call.halfClose()
        let bytes = try await call.singleResponse()
        let message = try decodeMessage(Resp.self, bytes, failureCode: .internalError)
        return UnaryResponse(message: message, headers: call.responseHeaders, trailers: call.trailers ?? [:])
    }

    /// Gives `body` a writer for requests and the stream of responses, interleaved as it
    /// likes; it must half-close (`halfClose()` on the returned call) or return. The call
    /// is half-closed when `body` returns, and cancelled if it throws.
    public func bidirectional<Req, Resp, Result: Sendable>(
        _ method: MethodDescriptor<Req, Resp>, options: CallOptions = CallOptions(),
        _ body: (MessageWriter<Req>, MessageStream<Resp>) async throws -> Result
    ) async throws -> Result {
        let call = try await startCall(path: method.path, options: options)
        do {
            let result = try await body(MessageWriter(call: call), MessageStream(call: call))
            call.halfClose()
            return result
        } catch {
            call.cancel()
            throw error
        }
    }

    /// Round trip of a connection-level ping.
    public func ping() async throws -> Duration {
        let channel = channels[nextChannel.wrappingAdd(1, ordering: .relaxed).oldValue % channels.count]
        let connection = try await channel.readyConnection(deadline: .now + configuration.connectTimeout)
        return try await connection.ping()
    }
}

extension MessageStream {
    init(call: ClientCall) {
        self.init(queue: call.inbound, decodeFailureCode: .internalError, call: call)
    }
}

extension MessageWriter {
    /// A writer of requests on a client call; `halfClose()` ends them.
    init(call: ClientCall) {
        self.init(sink: { bytes in try await call.send(bytes) }, call: call)
    }

    /// Tells the server no more requests follow (client side only).
    public func halfClose() { call?.halfClose() }
}

/// One connection slot of a client: connects on first use, reconnects after a failure with
/// back-off, moves to a fresh connection after the server's go_away.
final class ClientChannel: Sendable {
    let configuration: RPCClientConfiguration

    private enum Slot {
        case idle
        case connecting([CheckedContinuation<ClientConnection, any Error>])
        case ready(ClientConnection)
        case failed(RPCError, retryAt: ContinuousClock.Instant, delay: Duration)
        case closed
    }

    private let slot = Mutex(Slot.idle)

    init(configuration: RPCClientConfiguration) {
        self.configuration = configuration
    }

    func close() {
        let (current, waiters) = slot.withLock { slot -> (ClientConnection?, [CheckedContinuation<ClientConnection, any Error>]) in
            defer { slot = .closed }
            switch slot {
            case .ready(let connection): return (connection, [])
            case .connecting(let waiters): return (nil, waiters)
            default: return (nil, [])
            }
        }
        current?.connection.close()
        for waiter in waiters { waiter.resume(throwing: RPCError(.unavailable, "the client is closed")) }
    }

    func readyConnection(deadline: ContinuousClock.Instant?) async throws -> ClientConnection {
        // The usual case, a live connection, without suspending.
        let ready = slot.withLock { slot -> ClientConnection? in
            if case .ready(let connection) = slot, connection.acceptsCalls { return connection }
            return nil
        }
        if let ready { return ready }
        enum Next { case use(ClientConnection), wait, connect(Duration), fail(RPCError) }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ClientConnection, any Error>) in
            let next = slot.withLock { slot -> Next in
                switch slot {
                case .ready(let connection) where connection.acceptsCalls:
                    return .use(connection)
                case .connecting(var waiters):
                    waiters.append(continuation)
                    slot = .connecting(waiters)
                    return .wait
                case .failed(let error, let retryAt, let delay):
                    if ContinuousClock.now < retryAt { return .fail(error) }
                    slot = .connecting([continuation])
                    return .connect(delay)
                case .closed:
                    return .fail(RPCError(.unavailable, "the client is closed"))
                case .idle, .ready:
                    slot = .connecting([continuation])
                    return .connect(.zero)
                }
            }
            switch next {
            case .use(let connection): continuation.resume(returning: connection)
            case .fail(let error): continuation.resume(throwing: error)
            case .wait: break
            case .connect(let previousDelay): connect(previousDelay: previousDelay)
            }
        }
    }

    private func connect(previousDelay: Duration) {
        let configuration = configuration
        startThread(name: "cprpc-connect") { [self] in
            let outcome: Result<ClientConnection, RPCError>
            do {
                let fd = try TCP.connect(host: configuration.host, port: configuration.port,
                                         timeoutMilliseconds: Int32(clamping: configuration.connectTimeout.milliseconds))
                let connection = ClientConnection(
                    connection: Connection(fd: fd, limits: configuration.limits, peer: "\(configuration.host):\(configuration.port)"),
                    channel: self)
                connection.connection.start(delegate: connection)
                outcome = .success(connection)
            } catch {
                outcome = .failure(RPCError(.unavailable, "cannot connect to \(configuration.host):\(configuration.port): \(error)"))
            }
            let waiters = slot.withLock { slot -> [CheckedContinuation<ClientConnection, any Error>] in
                guard case .connecting(let waiters) = slot else {
                    // Closed meanwhile; close() already answered the waiters.
                    if case .success(let connection) = outcome { connection.connection.close() }
                    return []
                }
                switch outcome {
                case .success(let connection):
                    slot = .ready(connection)
                case .failure(let error):
                    let delay = previousDelay == .zero ? configuration.initialBackoff : min(previousDelay * 2, configuration.maxBackoff)
                    slot = .failed(error, retryAt: .now + delay, delay: delay)
                }
                return waiters
            }
            for waiter in waiters { waiter.resume(with: outcome.mapError { $0 as any Error }) }
        }
    }

    /// The connection was lost or is draining: the next call connects afresh.
    func retire(_ connection: ClientConnection) {
        slot.withLock { slot in
            if case .ready(let current) = slot, current === connection { slot = .idle }
        }
    }
}

/// The client's side of one connection: call ids, and frames routed to their calls.
final class ClientConnection: ConnectionDelegate {
    let connection: Connection
    private let channel: ClientChannel

    private struct State {
        var calls: [UInt64: ClientCall] = [:]
        var nextCallID: UInt64 = 1
        var goAwayAfter: UInt64?
        var closed = false
        /// Why this side broke the connection off (a frame it could not take), for the calls' errors.
        var failure: String?
        var pings: [UInt64: (ContinuousClock.Instant, CheckedContinuation<Duration, any Error>)] = [:]
        var nextPing: UInt64 = 1
    }

    private let state = Mutex(State())

    init(connection: Connection, channel: ClientChannel) {
        self.connection = connection
        self.channel = channel
    }

    var acceptsCalls: Bool { state.withLock { !$0.closed && $0.goAwayAfter == nil } }

    func open(headers: Certportal_Rpc_V1_Headers, messages: [[UInt8]], halfClose: Bool,
              deadline: ContinuousClock.Instant?, compress: Bool) throws -> ClientCall {
        let call = try state.withLock { state throws(RPCError) -> ClientCall in
            guard !state.closed, state.goAwayAfter == nil else {
                throw RPCError(.unavailable, "the connection is closing")
            }
            let id = state.nextCallID
            state.nextCallID += 1
            let call = ClientCall(id: id, path: headers.method, connection: self, compress: compress,
                                  inboundLimit: connection.limits.maxFrameBytes)
            state.calls[id] = call
            return call
        }
        var output: [UInt8] = []
        FrameEncoder.append(Frame(callId: call.id, kind: .headers(headers)), to: &output)
        for message in messages {
            FrameEncoder.append(Frame(callId: call.id, kind: .message(message)), compress: compress, to: &output)
        }
        if halfClose {
            FrameEncoder.append(Frame(callId: call.id, kind: .halfClose(.init())), to: &output)
        }
        if let deadline { call.armDeadline(deadline) }
        Trace.event("client open \(connection.fd)#\(call.id) \(headers.method)")
        guard connection.send(output) else {
            call.end(RPCError(.unavailable, "the connection closed"))
            throw RPCError(.unavailable, "the connection closed")
        }
        return call
    }

    func ping() async throws -> Duration {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Duration, any Error>) in
            let opaque = state.withLock { state -> UInt64? in
                guard !state.closed else { return nil }
                let opaque = state.nextPing
                state.nextPing += 1
                state.pings[opaque] = (.now, continuation)
                return opaque
            }
            guard let opaque else {
                continuation.resume(throwing: RPCError(.unavailable, "the connection closed"))
                return
            }
            var ping = Certportal_Rpc_V1_Ping()
            ping.opaque = opaque
            connection.send(FrameEncoder.encode(Frame(callId: 0, kind: .ping(ping))))
        }
    }

    func callEnded(_ id: UInt64) {
        let retire = state.withLock { state -> Bool in
            state.calls[id] = nil
            return state.goAwayAfter != nil && state.calls.isEmpty
        }
        if retire { connection.closeAfterFlush() }
    }

    func connection(_ connection: Connection, received frame: Frame) -> Bool {
        switch frame.kind {
        case .headers(let headers):
            call(frame.callId)?.receivedHeaders(Metadata(headers.metadata))
        case .message(let bytes):
            call(frame.callId)?.receivedMessage(bytes)
        case .trailers(let trailers):
            call(frame.callId)?.receivedTrailers(trailers)
        case .ping(let ping):
            if ping.ack {
                let waiter = state.withLock { $0.pings.removeValue(forKey: ping.opaque) }
                if let (sent, continuation) = waiter { continuation.resume(returning: .now - sent) }
            } else {
                var answer = ping
                answer.ack = true
                connection.send(FrameEncoder.encode(Frame(callId: 0, kind: .ping(answer))))
            }
        case .goAway(let goAway):
            let refused = state.withLock { state -> [ClientCall] in
                state.goAwayAfter = goAway.lastCallId
                return state.calls.filter { $0.key > goAway.lastCallId }.map(\.value)
            }
            channel.retire(self)
            for call in refused { call.end(RPCError(.unavailable, "the server is going away: \(goAway.reason)")) }
            if state.withLock({ $0.calls.isEmpty }) { connection.closeAfterFlush() }
        case .halfClose, .cancel, nil:
            return false
        }
        return true
    }

    private func call(_ id: UInt64) -> ClientCall? {
        state.withLock { $0.calls[id] }
    }

    func connection(_ connection: Connection, failed reason: String) {
        state.withLock { $0.failure = reason }
    }

    func connectionClosed(_ connection: Connection) {
        let (calls, pings, failure) = state.withLock { state -> ([ClientCall], [CheckedContinuation<Duration, any Error>], String?) in
            state.closed = true
            defer { state.pings = [:] }
            return (Array(state.calls.values), state.pings.values.map(\.1), state.failure)
        }
        channel.retire(self)
        let lost = failure.map { "the connection to the server was broken off: \($0)" } ?? "the connection to the server was lost"
        for call in calls { call.end(RPCError(.unavailable, lost)) }
        for ping in pings { ping.resume(throwing: RPCError(.unavailable, "the connection closed")) }
    }
}
