internal import CMicroHTTPD
internal import Foundation
internal import Synchronization

/// An HTTP/1.1 server on libmicrohttpd. Each connection has a thread of libmicrohttpd's;
/// the request's handler runs as a Swift task while that thread (never one of the
/// cooperative pool's) waits for its answer.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    /// Whether a request's body reaches the handler while it arrives; asked once its headers
    /// are in (the request's `body` is still empty).
    public typealias BodyStreaming = @Sendable (HTTPRequest) -> Bool

    /// The port bound (useful when 0 was asked for).
    public let port: Int
    private let daemon: Mutex<Daemon?>
    private let context: Unmanaged<ServerContext>

    /// Starts serving on `host`:`port` (port 0: a free one). Throws when the address is
    /// bad or the port is taken. Requests `streamsBody` picks run their handler as soon as
    /// their headers are in, with the body as `bodyStream` (large uploads pass on while
    /// they arrive); the others get the whole body in `body`.
    public init(host: String = "127.0.0.1", port: Int, limits: HTTPServerLimits = HTTPServerLimits(),
                streamsBody: @escaping BodyStreaming = { _ in false },
                handler: @escaping Handler) throws(HTTPServerError) {
        guard (0...65535).contains(port) else { throw HTTPServerError("port \(port) is out of range") }
        let context = Unmanaged.passRetained(ServerContext(limits: limits, streamsBody: streamsBody, handler: handler))
        let started = cp_mhd_start(host, UInt16(port), accessHandler, context.toOpaque(), requestCompleted, nil,
                                   UInt32(limits.maxConnections), UInt32(limits.idleTimeoutSeconds),
                                   limits.connectionMemoryBytes)
        guard let started else {
            context.release()
            throw HTTPServerError("cannot listen on \(host):\(port) (address in use or not local)")
        }
        self.context = context
        self.daemon = Mutex(Daemon(pointer: started))
        self.port = Int(cp_mhd_port(started))
    }

    /// Stops accepting, closes every connection and waits for libmicrohttpd's threads.
    public func stop() {
        let daemon = self.daemon.withLock { daemon in
            defer { daemon = nil }
            return daemon
        }
        guard let daemon else { return }
        // Streamed bodies still waiting for their producers end now (BodyPipe.read).
        context.takeUnretainedValue().stopping.store(true, ordering: .releasing)
        MHD_stop_daemon(daemon.pointer)
        context.release()
    }

    deinit { stop() }
}

/// libmicrohttpd's daemon handle; stopping it is safe from any thread.
struct Daemon: @unchecked Sendable {
    let pointer: OpaquePointer
}

public struct HTTPServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// What libmicrohttpd's callbacks reach through their context pointer. Immutable but for
/// the `stopping` flag.
final class ServerContext: Sendable {
    let limits: HTTPServerLimits
    let streamsBody: HTTPServer.BodyStreaming
    let handler: HTTPServer.Handler
    /// Set when the server stops (the one mutable part, atomic).
    let stopping = Atomic<Bool>(false)

    init(limits: HTTPServerLimits, streamsBody: @escaping HTTPServer.BodyStreaming, handler: @escaping HTTPServer.Handler) {
        self.limits = limits
        self.streamsBody = streamsBody
        self.handler = handler
    }

    /// Runs the handler as a task and waits for it on the calling (libmicrohttpd) thread.
    func respond(to request: HTTPRequest) -> HTTPResponse {
        start(request).wait()
    }

    /// Runs the handler as a task; its answer goes to the slot (and a streamed body it has
    /// not read is dropped from then on).
    func start(_ request: HTTPRequest) -> ResponseSlot {
        let slot = ResponseSlot()
        let handler = self.handler
        Task {
            slot.fill(await handler(request))
            request.bodyStream?.pipe.abandon()
        }
        return slot
    }
}

/// A response handed from a task to the waiting connection thread.
final class ResponseSlot: Sendable {
    private let response = Mutex<HTTPResponse?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func fill(_ value: HTTPResponse) {
        response.withLock { $0 = value }
        ready.signal()
    }

    func wait() -> HTTPResponse {
        ready.wait()
        return response.withLock { $0! }
    }
}

/// One request's state between libmicrohttpd's calls: its headers and the body so far.
/// Only the connection's own thread touches it.
final class RequestState {
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    var tooLarge = false
    /// A streamed body: where its bytes go, how many came, and the handler's answer to come.
    var pipe: RequestBodyPipe?
    var streamedBytes = 0
    var answer: ResponseSlot?
}

// libmicrohttpd calls these on its connection threads; they are global functions (not
// closures) so they carry no actor isolation.

func accessHandler(_ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _ url: UnsafePointer<CChar>?,
                   _ method: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?,
                   _ uploadData: UnsafePointer<CChar>?, _ uploadDataSize: UnsafeMutablePointer<Int>?,
                   _ requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> MHD_Result {
    guard let context, let connection, let requestContext, let uploadDataSize else { return .NO }
    let server = Unmanaged<ServerContext>.fromOpaque(context).takeUnretainedValue()
    guard let pointer = requestContext.pointee else {
        // First call: the headers are in.
        let state = RequestState()
        withUnsafeMutablePointer(to: &state.headers) { headers in
            _ = MHD_get_connection_values(connection, .HEADER_KIND, collectHeader, headers)
        }
        if let length = state.headers["content-length"].flatMap(Int.init), length > server.limits.maxBodyBytes {
            state.tooLarge = true
        }
        requestContext.pointee = Unmanaged.passRetained(state).toOpaque()
        if !state.tooLarge {
            var request = makeRequest(connection, url: url, method: method, headers: state.headers, body: [])
            if server.streamsBody(request) {
                let pipe = RequestBodyPipe(server: server)
                request.bodyStream = HTTPRequestBody(pipe: pipe)
                state.pipe = pipe
                state.answer = server.start(request)
            }
        }
        return .YES
    }
    let state = Unmanaged<RequestState>.fromOpaque(pointer).takeUnretainedValue()
    if let pipe = state.pipe {
        // A streamed body: each piece goes to the handler as it comes.
        if uploadDataSize.pointee > 0 {
            if let uploadData {
                state.streamedBytes += uploadDataSize.pointee
                if state.streamedBytes > server.limits.maxBodyBytes {
                    pipe.finish(.failure(.tooLarge(limit: server.limits.maxBodyBytes)))
                } else {
                    pipe.push(uploadData.withMemoryRebound(to: UInt8.self, capacity: uploadDataSize.pointee) { bytes in
                        Array(UnsafeBufferPointer(start: bytes, count: uploadDataSize.pointee))
                    })
                }
            }
            uploadDataSize.pointee = 0
            return .YES
        }
        pipe.finish()
        guard let answer = state.answer else { return .NO }
        return queue(answer.wait(), on: connection, server: server)
    }
    if uploadDataSize.pointee > 0 {
        if !state.tooLarge, let uploadData {
            if state.body.count + uploadDataSize.pointee > server.limits.maxBodyBytes {
                state.tooLarge = true
                state.body = []
            } else {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: uploadDataSize.pointee) { bytes in
                    state.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: uploadDataSize.pointee))
                }
            }
        }
        uploadDataSize.pointee = 0
        return .YES
    }
    let response: HTTPResponse
    if state.tooLarge {
        let message = "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"the request body is over \(server.limits.maxBodyBytes) bytes\",\"field\":null}}"
        response = HTTPResponse(status: 413, headers: [("Content-Type", "application/json")], body: Array(message.utf8))
    } else {
        response = server.respond(to: makeRequest(connection, url: url, method: method, headers: state.headers, body: state.body))
    }
    return queue(response, on: connection, server: server)
}

/// The request as the handler sees it: libmicrohttpd's parse of the line, query and cookies.
private func makeRequest(_ connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
                         headers: [String: String], body: [UInt8]) -> HTTPRequest {
    var query: [(name: String, value: String)] = []
    var cookies: [String: String] = [:]
    withUnsafeMutablePointer(to: &query) { query in
        _ = MHD_get_connection_values(connection, .GET_ARGUMENT_KIND, collectArgument, query)
    }
    withUnsafeMutablePointer(to: &cookies) { cookies in
        _ = MHD_get_connection_values(connection, .COOKIE_KIND, collectCookie, cookies)
    }
    var address = [CChar](repeating: 0, count: 64)
    cp_mhd_client_address(connection, &address, address.count)
    return HTTPRequest(method: method.map { String(cString: $0) } ?? "GET",
                       path: url.map { String(cString: $0) } ?? "/",
                       query: query, headers: headers, cookies: cookies, body: body,
                       clientAddress: String(decoding: address.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
}

/// The most a streamed body's producer hands libmicrohttpd per send: a file chunk whole.
let streamBlockBytes = 1 << 20

private func queue(_ response: HTTPResponse, on connection: OpaquePointer, server: ServerContext) -> MHD_Result {
    let created: OpaquePointer?
    if let stream = response.stream {
        // libmicrohttpd owns one retain of the pipe until its free callback.
        let pipe = BodyPipe(server: server)
        let context = Unmanaged.passRetained(pipe)
        created = MHD_create_response_from_callback(stream.size ?? cp_mhd_size_unknown(), streamBlockBytes, readBody, context.toOpaque(), freeBody)
        if created == nil {
            pipe.close()
            context.release()
        } else {
            pipe.start(stream)
        }
    } else {
        created = response.body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), cp_mhd_must_copy())
        }
    }
    guard let mhdResponse = created else { return .NO }
    defer { MHD_destroy_response(mhdResponse) }
    for (name, value) in response.headers {
        _ = MHD_add_response_header(mhdResponse, name, value)
    }
    return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
}

func requestCompleted(_ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
                      _ requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                      _ reason: MHD_RequestTerminationCode) {
    guard let requestContext, let pointer = requestContext.pointee else { return }
    let state = Unmanaged<RequestState>.fromOpaque(pointer).takeUnretainedValue()
    // A streamed body the client broke off: the handler reading it hears so (a complete one already ended).
    state.pipe?.finish(.failure(.incomplete))
    Unmanaged<RequestState>.fromOpaque(pointer).release()
    requestContext.pointee = nil
}

func collectHeader(_ context: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?,
                   _ value: UnsafePointer<CChar>?) -> MHD_Result {
    guard let context, let key else { return .YES }
    let headers = context.assumingMemoryBound(to: [String: String].self)
    let name = String(cString: key).lowercased()
    let text = value.map { String(cString: $0) } ?? ""
    // Repeated headers join with commas (RFC 9110 5.3).
    if let existing = headers.pointee[name] { headers.pointee[name] = existing + ", " + text } else { headers.pointee[name] = text }
    return .YES
}

func collectArgument(_ context: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?,
                     _ value: UnsafePointer<CChar>?) -> MHD_Result {
    guard let context, let key else { return .YES }
    let query = context.assumingMemoryBound(to: [(name: String, value: String)].self)
    query.pointee.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
    return .YES
}

func collectCookie(_ context: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?,
                   _ value: UnsafePointer<CChar>?) -> MHD_Result {
    guard let context, let key else { return .YES }
    let cookies = context.assumingMemoryBound(to: [String: String].self)
    cookies.pointee[String(cString: key)] = value.map { String(cString: $0) } ?? ""
    return .YES
}
