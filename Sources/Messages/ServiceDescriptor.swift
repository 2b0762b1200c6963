/// How many messages each side of a call sends.
public enum CallShape: Sendable, Hashable {
    /// One request, one response.
    case unary
    /// One request, any number of responses.
    case serverStreaming
    /// Any number of requests, one response.
    case clientStreaming
    /// Any number each way, interleaved.
    case bidirectional
}

/// A method of a service, without its message types: what a server's method table holds.
public struct MethodInfo: Sendable, Hashable {
    /// The method's name as declared, e.g. "UnaryCall".
    public var name: String
    public var shape: CallShape
    /// True when the .proto marks it NO_SIDE_EFFECTS or IDEMPOTENT: a client may retry it.
    public var idempotent: Bool
    /// "/package.Service/Method", as sent in `Headers.method`.
    public var path: String

    public init(name: String, shape: CallShape, idempotent: Bool, path: String) {
        self.name = name
        self.shape = shape
        self.idempotent = idempotent
        self.path = path
    }
}

/// A method with its request and response types, for typed clients and handlers.
public struct MethodDescriptor<Request: ProtoMessage, Response: ProtoMessage>: Sendable {
    /// The full service name, e.g. "certportal.health.v1.Health".
    public var service: String
    /// The method's name as declared, e.g. "Check".
    public var method: String
    public var shape: CallShape
    /// True when the .proto marks it NO_SIDE_EFFECTS or IDEMPOTENT: a client may retry it.
    public var idempotent: Bool

    public init(service: String, method: String, shape: CallShape, idempotent: Bool) {
        self.service = service
        self.method = method
        self.shape = shape
        self.idempotent = idempotent
    }

    /// "/package.Service/Method", as sent in `Headers.method`.
    public var path: String { "/\(service)/\(method)" }

    /// The same method without its types.
    public var info: MethodInfo {
        MethodInfo(name: method, shape: shape, idempotent: idempotent, path: path)
    }
}

/// A service: its full name, the .proto that defines it and its methods.
public struct ServiceDescriptor: Sendable, Hashable {
    /// The full service name, e.g. "certportal.health.v1.Health".
    public var name: String
    /// The defining file's path under Protos/, e.g. "certportal/health/v1/health.proto".
    public var protoFile: String
    /// In declaration order.
    public var methods: [MethodInfo]

    public init(name: String, protoFile: String, methods: [MethodInfo]) {
        self.name = name
        self.protoFile = protoFile
        self.methods = methods
    }
}
