public import Messages

/// The methods a server serves, by path. Services register typed handlers; the router keeps
/// them erased to bytes in, bytes out.
public struct RPCRouter: Sendable {
    struct Route: Sendable {
        let info: MethodInfo
        let service: String
        /// Runs the handler; returns the final response message for unary and
        /// client-streaming calls (sent together with the trailers).
        let run: @Sendable (ServerCall) async throws -> [UInt8]?
    }

    private(set) var routes: [String: Route] = [:]

    public init() {}

    /// Full service names with the methods registered for each, sorted.
    public var services: [(name: String, methods: [String])] {
        Dictionary(grouping: routes.values, by: \.service)
            .map { ($0.key, $0.value.map(\.info.name).sorted()) }
            .sorted { $0.name < $1.name }
    }

    private mutating func add<Req, Resp>(_ method: MethodDescriptor<Req, Resp>, _ shape: CallShape,
                                         _ run: @escaping @Sendable (ServerCall) async throws -> [UInt8]?) {
        precondition(method.shape == shape, "\(method.path) is \(method.shape), registered as \(shape)")
        routes[method.path] = Route(info: method.info, service: method.service, run: run)
    }

    public mutating func unary<Req, Resp>(
        _ method: MethodDescriptor<Req, Resp>,
        _ handler: @escaping @Sendable (Req, ServerContext) async throws -> Resp
    ) {
        add(method, .unary) { call in
            let request = try await call.singleRequest(Req.self)
            return try await handler(request, call.context).serializedBytes()
        }
    }

    public mutating func serverStreaming<Req, Resp>(
        _ method: MethodDescriptor<Req, Resp>,
        _ handler: @escaping @Sendable (Req, MessageWriter<Resp>, ServerContext) async throws -> Void
    ) {
        add(method, .serverStreaming) { call in
            let request = try await call.singleRequest(Req.self)
            try await handler(request, call.responseWriter(Resp.self), call.context)
            return nil
        }
    }

    public mutating func clientStreaming<Req, Resp>(
        _ method: MethodDescriptor<Req, Resp>,
        _ handler: @escaping @Sendable (MessageStream<Req>, ServerContext) async throws -> Resp
    ) {
        add(method, .clientStreaming) { call in
            try await handler(call.requests(Req.self), call.context).serializedBytes()
        }
    }

    public mutating func bidirectional<Req, Resp>(
        _ method: MethodDescriptor<Req, Resp>,
        _ handler: @escaping @Sendable (MessageStream<Req>, MessageWriter<Resp>, ServerContext) async throws -> Void
    ) {
        add(method, .bidirectional) { call in
            try await handler(call.requests(Req.self), call.responseWriter(Resp.self), call.context)
            return nil
        }
    }
}

/// A service a server can host: it registers its handlers.
public protocol RPCService: Sendable {
    func register(into router: inout RPCRouter)
}
