public import HTTPServer
public import RPC
public import Records
internal import Messages
internal import Sodium
internal import Foundation

/// The gateway's settings (flags and environment of the `gateway` executable).
public struct GatewayConfiguration: Sendable {
    /// Provider branding on every page.
    public var providerName = "CertPortal Training"
    public var providerColour = "#1f5fa8"
    /// The logo's bytes and media type, served at /branding/logo.
    public var providerLogo: (bytes: [UInt8], contentType: String)?
    /// Set the Secure flag on cookies even when the request did not come over TLS.
    public var secureCookies = false
    /// Where users reach the portal (`https://portal.example.com`), for the verification
    /// links shown to admins; nil: the scheme and Host of the request being answered.
    public var publicURL: String?
    /// `today` pinned for tests and demos; else stats-service's.
    public var today: CalendarDate?
    /// Where the pages are; nil: the ones built into the gateway.
    public var webRoot: String?
    /// The most any service call may take.
    public var serviceTimeout: Duration = .seconds(10)
    /// Largest page of records a caller may ask for.
    public var maxPageSize = 500
    /// The most a streamed call (a file, a batch issue) may take.
    public var streamTimeout: Duration = .seconds(900)
    /// Largest certificate file an admin may upload.
    public var maxUploadBytes = 20 << 20
    /// Public verification look-ups per client address and minute.
    public var verificationsPerMinute = 20

    public init() {}
}

/// The HTTP face of the portal: the pages and the JSON API. It keeps nothing durable:
/// sessions are sealed cookies, and every answer comes from the services, which check the
/// caller's principal again.
public final class Gateway: Sendable {
    let configuration: GatewayConfiguration
    let sealer: SessionSealer
    let catalog: RPCClient
    let stats: RPCClient
    let certificates: RPCClient
    /// export-service; nil when none is configured (its endpoints then answer 503).
    let exports: RPCClient?
    let assets: Assets
    let throttle = LoginThrottle()
    let verifyLimiter: RateLimiter
    let logger = Logger("gateway")
    let routes: [Route]

    public init(configuration: GatewayConfiguration, sealer: SessionSealer, catalog: RPCClient, stats: RPCClient,
                certificates: RPCClient, exports: RPCClient? = nil) throws {
        self.configuration = configuration
        self.sealer = sealer
        self.catalog = catalog
        self.stats = stats
        self.certificates = certificates
        self.exports = exports
        verifyLimiter = RateLimiter(perMinute: configuration.verificationsPerMinute)
        assets = try Assets(root: configuration.webRoot)
        routes = API.allRoutes
    }

    /// Answers one HTTP request.
    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let requestID = request.header("x-request-id").flatMap { $0.utf8.count <= 64 ? $0 : nil } ?? "g" + Sodium.randomToken(bytes: 9)
        var response: HTTPResponse
        if request.path.hasPrefix("/api/") || request.path == "/api" || request.path.hasPrefix("/verify/") {
            response = await api(request, requestID: requestID)
            response.addHeader("Cache-Control", "no-store")
        } else if request.path == "/branding/theme.css" {
            response = VerifyPage.theme(colour: configuration.providerColour)
        } else {
            response = assets.response(for: request, logo: configuration.providerLogo)
        }
        response.addHeader("X-Request-Id", requestID)
        for (name, value) in Self.securityHeaders { response.addHeader(name, value) }
        return response
    }

    /// Whether `request` (its headers in, its body not yet) goes to a route that reads its
    /// body while it arrives (an upload), so the HTTP server streams it.
    public func streamsBody(_ request: HTTPRequest) -> Bool {
        guard request.path.hasPrefix("/api/") else { return false }
        let segments = request.path.split(separator: "/")
        return routes.contains { $0.method == request.method && $0.streamsBody && $0.match(segments) != nil }
    }

    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]

    private func api(_ request: HTTPRequest, requestID: String) async -> HTTPResponse {
        let segments = request.path.split(separator: "/")
        let candidates = routes.compactMap { route in route.match(segments).map { (route, $0) } }
        let method = request.method == "HEAD" ? "GET" : request.method
        guard !candidates.isEmpty else {
            return Self.error(APIError.notFound("no such endpoint: \(request.method) \(request.path) (see /api/openapi.json)"))
        }
        guard let (route, parameters) = candidates.first(where: { $0.0.method == method }) else {
            var response = Self.error(APIError(405, "method_not_allowed", "\(request.path) takes \(candidates.map(\.0.method).joined(separator: ", "))"))
            response.addHeader("Allow", candidates.map(\.0.method).joined(separator: ", "))
            return response
        }
        let session = request.cookies[SessionSealer.cookieName].flatMap { sealer.open($0) }
        do {
            switch route.access {
            case .anyone: break
            case .user, .admin:
                guard let session else { throw APIError.unauthenticated }
                if route.access == .admin && !session.isAdmin {
                    throw APIError.forbidden("only a provider admin may \(route.summary.lowercased())")
                }
                if route.changesState {
                    let sent = request.header("x-csrf-token") ?? ""
                    guard Sodium.constantTimeEqual(Array(sent.utf8), Array(session.csrfToken.utf8)) else { throw APIError.csrf }
                }
            }
            if route.changesState, let origin = request.header("origin"), let host = request.header("host"),
               origin != "http://\(host)" && origin != "https://\(host)" {
                throw APIError.forbidden("cross-origin request from \(origin.prefix(100)) refused")
            }
            let call = Call(request: request, session: session, pathParameters: parameters, requestID: requestID)
            return try await route.handler(self, call)
        } catch let error as APIError {
            return Self.error(error)
        } catch let error as RPCError {
            let apiError = APIError.from(error, service: "the portal's services")
            if apiError.status >= 500 {
                logger.log(.warning, "service call failed", requestID: requestID, ["code": "\(error.code)", "message": error.message, "path": request.path])
            }
            return Self.error(apiError)
        } catch {
            logger.error("request failed", requestID: requestID, ["error": "\(error)", "path": request.path])
            return Self.error(APIError(500, "internal", "the request failed; the problem is logged (request \(requestID))"))
        }
    }

    static func json(_ value: JSON, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: value.serialized())
    }

    static func error(_ error: APIError) -> HTTPResponse {
        var response = json(error.json, status: error.status)
        if error.status == 401 { response.addHeader("WWW-Authenticate", "Cookie realm=\"certportal\"") }
        return response
    }

    /// Options for a service call on behalf of `call`'s user: their principal, the request
    /// id, and the gateway's time limit.
    func options(_ call: Call, principal: String? = nil) -> CallOptions {
        var options = CallOptions(timeout: configuration.serviceTimeout)
        if let principal = principal ?? call.session?.principal { options.metadata.add(MetadataKey.principal, principal) }
        // Who acted, for cert-store's audit: the principal names a scope, the e-mail a person.
        if let email = call.session?.email { options.metadata.add(MetadataKey.actor, email) }
        options.metadata.add(MetadataKey.requestID, call.requestID)
        return options
    }

    /// Runs a service call, naming the service in the error the caller sees.
    func calling<T: Sendable>(_ service: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RPCError {
            let apiError = APIError.from(error, service: service)
            if apiError.status >= 500 {
                logger.log(.warning, "service call failed", ["service": service, "code": "\(error.code)", "message": error.message])
            }
            throw apiError
        }
    }

    /// `Set-Cookie` gets Secure when configured, or when a TLS proxy says the request was https.
    func secure(_ request: HTTPRequest) -> Bool {
        configuration.secureCookies || request.header("x-forwarded-proto")?.lowercased() == "https"
    }
}
