internal import HTTPServer

/// Who may call a route.
enum Access: Sendable {
    /// Anyone, logged in or not.
    case anyone
    /// Any logged-in user; the services scope what they see.
    case user
    /// Admins only; others get 403.
    case admin
}

/// One query or path parameter, as the OpenAPI document describes it.
struct Parameter: Sendable {
    enum Place: String, Sendable { case query, path }
    var name: String
    var place: Place
    var description: String
    var schema: JSON = ["type": "string"]
}

/// A request on its way through a route: the HTTP request, its session (when logged in),
/// the path's `{id}` parts and the request id passed to the services.
struct Call: Sendable {
    var request: HTTPRequest
    var session: Session?
    var pathParameters: [String: String]
    var requestID: String

    /// Largest JSON request body (the server takes up to 21 MiB, for uploads).
    static let maxJSONBodyBytes = 1 << 20

    /// The session of a route that requires one.
    var user: Session { session! }

    /// A path parameter that must be a positive integer id.
    func id(_ name: String = "id") throws(APIError) -> UInt64 {
        guard let text = pathParameters[name], let id = UInt64(text), id > 0 else {
            throw APIError.invalid(name, "must be a positive whole number; found \"\(pathParameters[name]?.prefix(40) ?? "")\"")
        }
        return id
    }

    /// The body as a JSON object; 400 naming the problem when it is not one, 413 when it
    /// is over the JSON limit (the server takes larger bodies, for uploads).
    func jsonBody(limit: Int = Call.maxJSONBodyBytes) throws(APIError) -> JSON {
        guard request.body.count <= limit else {
            throw APIError(413, "payload_too_large", "the request body is over \(limit) bytes")
        }
        guard request.header("content-type")?.lowercased().hasPrefix("application/json") == true else {
            throw APIError(415, "unsupported_media_type", "send the body as Content-Type: application/json")
        }
        guard let body = JSON.parse(request.body), case .object = body else {
            throw APIError.invalid("body", "must be a JSON object")
        }
        return body
    }
}

/// One endpoint of the API: how it is matched, who may call it, what it does, and what
/// the OpenAPI document says of it (generated from this table, so the two cannot drift).
struct Route: Sendable {
    var method: String
    /// Segments; `{name}` matches one segment.
    var path: String
    var access: Access
    var summary: String
    var parameters: [Parameter] = []
    /// The request body's schema, for routes that take one.
    var requestBody: JSON?
    /// The request body's media type, when it is not JSON (e.g. an uploaded file).
    var requestMediaType = "application/json"
    /// The success answer: status and schema.
    var success: (status: Int, schema: JSON?)
    /// The success answer's media type, when it is not JSON (files, NDJSON, pages).
    var successMediaType = "application/json"
    /// The error statuses this route answers besides 401/403/503.
    var errors: [Int] = []
    var handler: @Sendable (Gateway, Call) async throws -> HTTPResponse

    /// A state-changing request: needs the session's CSRF token (except logging in).
    var changesState: Bool { method != "GET" && method != "HEAD" }

    /// A route that takes a file (not JSON) reads its body while it arrives.
    var streamsBody: Bool { requestBody != nil && requestMediaType != "application/json" }

    /// The path parameters when `path` matches this route's pattern, nil otherwise.
    func match(_ segments: [Substring]) -> [String: String]? {
        let pattern = path.split(separator: "/")
        guard pattern.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (part, segment) in zip(pattern, segments) {
            if part.hasPrefix("{") && part.hasSuffix("}") {
                parameters[String(part.dropFirst().dropLast())] = String(segment)
            } else if part != segment {
                return nil
            }
        }
        return parameters
    }
}
