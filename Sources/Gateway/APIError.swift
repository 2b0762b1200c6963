internal import RPC

/// An answer the JSON API gives instead of data: an HTTP status and
/// `{"error": {"code", "message", "field"}}`.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var code: String
    public var message: String
    /// The request field (query argument or body member) at fault, when there is one.
    public var field: String?

    public init(_ status: Int, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    static func invalid(_ field: String, _ reason: String) -> APIError {
        APIError(400, "invalid_argument", "\(field): \(reason)", field: field)
    }
    static let unauthenticated = APIError(401, "unauthenticated", "log in first (POST /api/session)")
    static func forbidden(_ message: String) -> APIError { APIError(403, "forbidden", message) }
    static let csrf = APIError(403, "csrf", "missing or wrong X-CSRF-Token header: send the csrf_token of your session")
    static func notFound(_ message: String) -> APIError { APIError(404, "not_found", message) }

    var json: JSON {
        ["error": ["code": .string(code), "message": .string(message), "field": field.map(JSON.string) ?? .null]]
    }

    /// What a service's error means to the API's caller. Services name the field first in
    /// their INVALID_ARGUMENT messages (`from: must be …`); nothing internal is passed on.
    static func from(_ error: RPCError, service: String) -> APIError {
        switch error.code {
        case .invalidArgument, .outOfRange, .failedPrecondition:
            var field: String?
            if let colon = error.message.firstIndex(of: ":") {
                let name = error.message[..<colon]
                if !name.isEmpty, name.count <= 40, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { field = String(name) }
            }
            return APIError(400, "invalid_argument", error.message, field: field)
        case .notFound: return notFound(error.message)
        case .alreadyExists: return APIError(409, "already_exists", error.message)
        case .unauthenticated: return APIError(401, "unauthenticated", error.message)
        case .permissionDenied: return forbidden(error.message)
        case .resourceExhausted: return APIError(429, "resource_exhausted", error.message)
        case .unavailable, .deadlineExceeded, .cancelled:
            return APIError(503, "unavailable", "\(service) is not reachable right now; try again in a moment")
        default:
            return APIError(502, "internal", "\(service) could not answer (\(error.code)); the problem is logged")
        }
    }
}
