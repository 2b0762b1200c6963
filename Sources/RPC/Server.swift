internal import Messages
internal import Synchronization
internal import Foundation

/// How a server listens and what it allows its peers.
public struct RPCServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port; `RPCServer.start()` returns the real one.
    public var port = 0
    public var limits = ConnectionLimits()
    /// Calls open at once on one connection; one more ends at once with RESOURCE_EXHAUSTED.
    public var maxConcurrentCallsPerConnection = 1000
    /// The deployment's shared secret; nil accepts callers without one (development only).
    public var meshToken: String?
    /// Compress response frames of 1 KiB or more for callers that accept deflate.
    public var compressResponses = true
    /// How long open calls may run on after a graceful shutdown starts.
    public var shutdownGrace: Duration = .seconds(10)
    /// Name used in logs.
    public var name = "cprpc"

    public init() {}
}

/// A CPRPC/1 server: an accept thread, a reader and a writer thread per connection, and a
/// task per call on the cooperative pool.
public final class RPCServer: Sendable {
    public let configuration: RPCServerConfiguration
    public let health: HealthService
    let router: RPCRouter
    let logger: Logger

    private enum Lifecycle {
        case idle
        case running(listener: Int32, port: Int)
        case draining(port: Int)
        case stopped
    }

    private struct State {
        var lifecycle = Lifecycle.idle
        var connections: [ObjectIdentifier: ServerConnection] = [:]
        var quietWaiters: [CheckedContinuation<Void, Never>] = []
        var listenerReleased = false
    }

    private let state = Mutex(State())
    private let stopped = Latch()
    private let listenerClosed = Latch()
    private let connectionSerial = Atomic<UInt64>(0)

    public init(configuration: RPCServerConfiguration = RPCServerConfiguration(), services: [any RPCService]) {
        self.configuration = configuration
        self.logger = Logger(configuration.name)
        let health = HealthService()
        self.health = health
        var router = RPCRouter()
        for service in services { service.register(into: &router) }
        health.register(into: &router)
        let listed = router.services
        ReflectionService(services: listed + [(ReflectionService.name, ReflectionService.methods)])
            .register(into: &router)
        self.router = router
    }

    /// Binds and starts accepting; returns the bound port. The server reports SERVING.
    @discardableResult
    public func start() throws -> Int {
        let (listener, port) = try TCP.listen(host: configuration.host, port: configuration.port)
        state.withLock { $0.lifecycle = .running(listener: listener, port: port) }
        health.setServing(true)
        startThread(name: "cprpc-accept :\(port)") { [self] in acceptLoop(listener) }
        logger.info("listening", ["address": "\(configuration.host):\(port)"])
        return port
    }

    /// The bound port while running.
    public var port: Int? {
        state.withLock { state in
            switch state.lifecycle {
            case .running(_, let port), .draining(let port): port
            case .idle, .stopped: nil
            }
        }
    }

    /// Waits until the server has stopped.
    public func waitUntilStopped() async {
        await stopped.wait()
    }

    /// Graceful shutdown: reports NOT_SERVING, stops accepting, sends go_away on every
    /// connection, lets open calls finish within the grace period, then ends the rest with
    /// UNAVAILABLE and closes.
    public func shutdown(grace: Duration? = nil) async {
        let grace = grace ?? configuration.shutdownGrace
        let (listener, connections) = state.withLock { state -> (Int32?, [ServerConnection]) in
            guard case .running(let listener, let port) = state.lifecycle else { return (nil, []) }
            state.lifecycle = .draining(port: port)
            return (listener, Array(state.connections.values))
        }
        guard let listener else { await waitUntilStopped(); return }
        health.setServing(false)
        logger.info("draining", ["grace": "\(grace)", "connections": "\(connections.count)"])
        state.withLock { state in
            // Under the lock the accept thread closes it with: never a reused descriptor.
            if !state.listenerReleased { TCP.shutdown(listener) }
        }
        for connection in connections { connection.goAway(reason: "server shutting down") }
        let graceEnd = ContinuousClock.now + grace
        let abort = DeadlineTimer.shared.schedule(at: graceEnd) { [self] in
            for connection in allConnections() { connection.abortCalls(RPCError(.unavailable, "server shut down")) }
        }
        // A peer that stopped reading can't be flushed to: a second later, close regardless.
        let force = DeadlineTimer.shared.schedule(at: graceEnd + .seconds(1)) { [self] in
            for connection in allConnections() { connection.connection.close() }
        }
        await waitForNoConnections()
        DeadlineTimer.shared.cancel(abort)
        DeadlineTimer.shared.cancel(force)
        await listenerClosed.wait()
        state.withLock { $0.lifecycle = .stopped }
        stopped.open()
        logger.info("stopped")
    }

    private func allConnections() -> [ServerConnection] {
        state.withLock { Array($0.connections.values) }
    }

    private func waitForNoConnections() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.connections.isEmpty { return true }
                state.quietWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    var isDraining: Bool {
        state.withLock { if case .running = $0.lifecycle { false } else { true } }
    }

    /// Accepts until the listener is shut down, then closes it. Only this thread closes the
    /// listener, so its descriptor number can't be reused by another socket while an accept
    /// on it may still be pending.
    private func acceptLoop(_ listener: Int32) {
        defer {
            state.withLock { state in
                TCP.close(listener)
                state.listenerReleased = true
            }
            listenerClosed.open()
        }
        while let fd = TCP.accept(listener) {
            // A server-wide serial, so request ids "c<serial>#<call>" never repeat.
            let peer = "c\(connectionSerial.wrappingAdd(1, ordering: .relaxed).newValue)"
            let connection = ServerConnection(server: self, connection: Connection(fd: fd, limits: configuration.limits, peer: peer))
            let accepted = state.withLock { state -> Bool in
                guard case .running = state.lifecycle else { return false }
                state.connections[ObjectIdentifier(connection)] = connection
                return true
            }
            guard accepted else { TCP.close(fd); break }
            connection.connection.start(delegate: connection)
        }
    }

    func connectionClosed(_ connection: ServerConnection) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.connections[ObjectIdentifier(connection)] = nil
            guard state.connections.isEmpty else { return [] }
            defer { state.quietWaiters = [] }
            return state.quietWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Checks the mesh token in constant time.
    func meshTokenAccepted(_ offered: String?) -> Bool {
        guard let expected = configuration.meshToken else { return true }
        guard let offered else { return false }
        let a = Array(expected.utf8), b = Array(offered.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<a.count { difference |= a[index] ^ (index < b.count ? b[index] : 0) }
        return difference == 0
    }
}

/// The server's side of one connection: routes frames to calls.
final class ServerConnection: ConnectionDelegate {
    let server: RPCServer
    let connection: Connection

    private struct State {
        var calls: [UInt64: ServerCall] = [:]
        var highestCallID: UInt64 = 0
        var goingAway = false
    }

    private let state = Mutex(State())

    init(server: RPCServer, connection: Connection) {
        self.server = server
        self.connection = connection
    }

    func connection(_ connection: Connection, received frame: Frame) -> Bool {
        let id = frame.callId
        switch frame.kind {
        case .headers(let headers):
            guard id != 0 else { return fail("headers on call id 0") }
            return open(id, headers)
        case .message(let bytes):
            guard id != 0 else { return fail("message on call id 0") }
            // Frames for a call that already ended (deadline, refusal) are dropped.
            call(id)?.received(bytes)
        case .halfClose:
            call(id)?.halfClosed()
        case .cancel:
            call(id)?.cancelledByClient()
        case .ping(let ping):
            if !ping.ack {
                var answer = ping
                answer.ack = true
                connection.send(FrameEncoder.encode(Frame(callId: 0, kind: .ping(answer))))
            }
        case .trailers, .goAway:
            return fail("trailers and go_away are server-to-client frames")
        case nil:
            return fail("frame of unknown kind")
        }
        return true
    }

    private func call(_ id: UInt64) -> ServerCall? {
        state.withLock { $0.calls[id] }
    }

    private func refuse(_ id: UInt64, _ code: RPCStatusCode, _ message: String) {
        var trailers = Certportal_Rpc_V1_Trailers()
        trailers.code = code.rawValue
        trailers.message = message
        connection.send(FrameEncoder.encode(Frame(callId: id, kind: .trailers(trailers))))
    }

    private func open(_ id: UInt64, _ headers: Certportal_Rpc_V1_Headers) -> Bool {
        let metadata = Metadata(headers.metadata)
        enum Admission { case duplicate, goingAway, full, admitted }
        let admission = state.withLock { state -> Admission in
            if state.calls[id] != nil { return .duplicate }
            if state.goingAway || server.isDraining { return .goingAway }
            if state.calls.count >= server.configuration.maxConcurrentCallsPerConnection { return .full }
            state.highestCallID = max(state.highestCallID, id)
            return .admitted
        }
        switch admission {
        case .duplicate:
            return fail("call id \(id) is already open")
        case .goingAway:
            refuse(id, .unavailable, "the server is shutting down")
            return true
        case .full:
            refuse(id, .resourceExhausted, "more than \(server.configuration.maxConcurrentCallsPerConnection) calls open on one connection")
            return true
        case .admitted:
            break
        }
        let isHealthCheck = headers.method.hasPrefix("/\(HealthService.name)/")
        guard isHealthCheck || server.meshTokenAccepted(metadata[MetadataKey.meshToken]) else {
            refuse(id, .unauthenticated, "missing or wrong mesh token")
            return true
        }
        guard let route = server.router.routes[headers.method] else {
            refuse(id, .unimplemented, "unknown method \(headers.method)")
            return true
        }
        var principal: Principal?
        if let asserted = metadata[MetadataKey.principal] {
            guard let parsed = Principal(asserted) else {
                refuse(id, .unauthenticated, "malformed principal \"\(asserted)\"")
                return true
            }
            principal = parsed
        }
        let deadline: ContinuousClock.Instant? = headers.timeoutMs == 0 ? nil
            : .now + .milliseconds(Int64(clamping: headers.timeoutMs))
        let context = ServerContext(
            method: headers.method, requestMetadata: metadata, deadline: deadline, principal: principal,
            requestID: metadata[MetadataKey.requestID] ?? "\(connection.peer)#\(id)", peer: connection.peer)
        let compress = server.configuration.compressResponses
            && metadata.values(for: MetadataKey.acceptEncoding).contains { $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "deflate" } }
        let call = ServerCall(id: id, context: context, connection: self, compress: compress,
                              inboundLimit: server.configuration.limits.maxFrameBytes)
        state.withLock { $0.calls[id] = call }
        Trace.event("server open \(connection.fd)#\(id) \(headers.method)")
        call.open(route, logger: server.logger)
        return true
    }

    /// Tells the peer no new calls are accepted; closes once the open ones end.
    func goAway(reason: String) {
        let (last, idle) = state.withLock { state -> (UInt64, Bool) in
            state.goingAway = true
            return (state.highestCallID, state.calls.isEmpty)
        }
        var goAway = Certportal_Rpc_V1_GoAway()
        goAway.lastCallId = last
        goAway.reason = reason
        connection.send(FrameEncoder.encode(Frame(callId: 0, kind: .goAway(goAway))))
        if idle { connection.closeAfterFlush() }
    }

    func abortCalls(_ error: RPCError) {
        let calls = state.withLock { Array($0.calls.values) }
        for call in calls { call.end(error) }
    }

    func callEnded(_ id: UInt64) {
        let closeNow = state.withLock { state -> Bool in
            state.calls[id] = nil
            return state.goingAway && state.calls.isEmpty
        }
        if closeNow { connection.closeAfterFlush() }
    }

    func connection(_ connection: Connection, failed reason: String) {
        server.logger.log(.warning, "connection error", ["peer": connection.peer, "reason": reason])
        let last = state.withLock { state -> UInt64 in
            state.goingAway = true
            return state.highestCallID
        }
        var goAway = Certportal_Rpc_V1_GoAway()
        goAway.lastCallId = last
        goAway.reason = reason
        connection.send(FrameEncoder.encode(Frame(callId: 0, kind: .goAway(goAway))))
    }

    private func fail(_ reason: String) -> Bool {
        connection(connection, failed: reason)
        return false
    }

    func connectionClosed(_ connection: Connection) {
        Trace.event("server connection closed \(connection.fd)")
        let calls = state.withLock { state -> [ServerCall] in
            state.goingAway = true
            return Array(state.calls.values)
        }
        for call in calls { call.cancelledByClient() }
        server.connectionClosed(self)
    }
}
