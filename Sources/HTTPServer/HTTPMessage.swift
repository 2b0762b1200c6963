/// One HTTP request as libmicrohttpd parsed it: method, path, decoded query arguments,
/// headers (names lower-cased), cookies and the whole body (bounded by the server's limit),
/// or, for requests the server streams, the body while it arrives.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query, percent-decoded by libmicrohttpd.
    public var path: String
    /// Query arguments in order, decoded; a name may repeat.
    public var query: [(name: String, value: String)]
    public var headers: [String: String]
    public var cookies: [String: String]
    public var body: [UInt8]
    /// The body while it arrives, for requests the server was told to stream (`body` is then
    /// empty); nil otherwise.
    public var bodyStream: HTTPRequestBody?
    /// The peer's IP address, as text.
    public var clientAddress: String

    public init(method: String, path: String, query: [(name: String, value: String)] = [],
                headers: [String: String] = [:], cookies: [String: String] = [:], body: [UInt8] = [],
                clientAddress: String = "") {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.cookies = cookies
        self.body = body
        self.clientAddress = clientAddress
    }

    /// A header by name, case-insensitively.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The first query argument called `name`.
    public func argument(_ name: String) -> String? { query.first { $0.name == name }?.value }
}

/// An HTTP response: status, headers in order, and the body — in memory, or streamed.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// When set, the body is produced while it is sent (and `body` is ignored).
    public var stream: HTTPBodyStream?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body `stream` produces as the client takes it.
    public init(status: Int, headers: [(name: String, value: String)] = [], stream: HTTPBodyStream) {
        self.status = status
        self.headers = headers
        self.body = []
        self.stream = stream
    }

    public mutating func addHeader(_ name: String, _ value: String) { headers.append((name, value)) }

    /// The first header called `name`, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A body produced while it is sent. The producer runs as a task once the response is
/// queued; each `write` waits while a few chunks are still unsent (memory stays bounded
/// whatever the size), and throws once the client has gone (the task is cancelled too).
/// A producer that throws ends the response early: the client sees a broken body.
public struct HTTPBodyStream: Sendable {
    /// The body's length in bytes (sent as Content-Length); nil: unknown (chunked).
    public var size: UInt64?
    public var produce: @Sendable (HTTPBodyWriter) async throws -> Void

    public init(size: UInt64? = nil, produce: @escaping @Sendable (HTTPBodyWriter) async throws -> Void) {
        self.size = size
        self.produce = produce
    }
}

/// Where a streamed body's producer writes. `write` waits while `BodyPipe.maxQueuedChunks`
/// chunks are unsent; it throws `CancellationError` once the client has gone.
public struct HTTPBodyWriter: Sendable {
    let pipe: BodyPipe

    public func write(_ bytes: [UInt8]) async throws {
        try await pipe.write(bytes)
    }
}

/// Limits the server enforces before a handler sees a request.
public struct HTTPServerLimits: Sendable {
    /// Larger bodies are answered 413 without being buffered.
    public var maxBodyBytes = 1 << 20
    /// Concurrent connections (each is a thread of libmicrohttpd's).
    public var maxConnections = 512
    /// A connection idle this long is closed (slow or silent clients).
    public var idleTimeoutSeconds = 30
    /// Memory for one connection's headers and buffers.
    public var connectionMemoryBytes = 512 * 1024

    public init() {}
}
