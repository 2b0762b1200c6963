internal import Synchronization

/// What a handler knows of its call, and where it puts response metadata.
public final class ServerContext: Sendable {
    /// `/package.Service/Method`.
    public let method: String
    public let requestMetadata: Metadata
    /// When the caller stops waiting; handlers pass on what is left when they call others.
    public let deadline: ContinuousClock.Instant?
    /// The end user, trusted only from callers holding the mesh token.
    public let principal: Principal?
    public let requestID: String
    public let peer: String

    private struct Response {
        var headers = Metadata()
        var trailers = Metadata()
    }

    private let response = Mutex(Response())

    init(method: String, requestMetadata: Metadata, deadline: ContinuousClock.Instant?,
         principal: Principal?, requestID: String, peer: String) {
        self.method = method
        self.requestMetadata = requestMetadata
        self.deadline = deadline
        self.principal = principal
        self.requestID = requestID
        self.peer = peer
    }

    /// Response headers, sent before the first response message (or with the trailers).
    public func addResponseHeader(_ key: String, _ value: String) {
        response.withLock { $0.headers.add(key, value) }
    }

    public func addTrailer(_ key: String, _ value: String) {
        response.withLock { $0.trailers.add(key, value) }
    }

    var responseHeaders: Metadata { response.withLock { $0.headers } }
    var trailers: Metadata { response.withLock { $0.trailers } }

    /// The principal, or PERMISSION_DENIED when the call carries none.
    public func requirePrincipal() throws(RPCError) -> Principal {
        guard let principal else { throw RPCError(.permissionDenied, "the call names no principal (cp-principal)") }
        return principal
    }

    /// Options for a call this handler makes to another service: the time left (never
    /// more), the request id and the principal.
    public func downstreamOptions(timeout: Duration? = nil) -> CallOptions {
        var options = CallOptions()
        var remaining = timeout
        if let deadline {
            let left = deadline - ContinuousClock.now
            remaining = min(remaining ?? left, left)
        }
        options.timeout = remaining
        options.metadata[MetadataKey.requestID] = requestID
        if let principal { options.metadata[MetadataKey.principal] = principal.description }
        return options
    }
}

/// Per-call settings a client chooses.
public struct CallOptions: Sendable {
    /// The call's deadline, relative to when it starts. nil: the client's default.
    public var timeout: Duration?
    public var metadata = Metadata()
    /// Retry UNAVAILABLE even when the method is not declared idempotent. Off by default.
    public var retryUnavailable: Bool?

    public init(timeout: Duration? = nil, metadata: Metadata = Metadata()) {
        self.timeout = timeout
        self.metadata = metadata
    }
}
