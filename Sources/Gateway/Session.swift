public import Sodium
internal import Foundation

/// A logged-in user, carried in a cookie sealed with the gateway's key (XSalsa20-Poly1305):
/// the gateway stores nothing, and a cookie it did not seal, or one past its expiry, is no
/// session at all.
public struct Session: Sendable, Equatable {
    public var email: String
    /// `admin`, `orgrep` or `booker`.
    public var role: String
    public var organisationID: String
    public var bookerID: String
    /// What every service checks: `admin`, `orgrep:<id>` or `booker:<id>`.
    public var principal: String
    /// Sent back in `X-CSRF-Token` on every state-changing request.
    public var csrfToken: String
    /// Seconds since 1970.
    public var expiresAt: Int64

    public var isAdmin: Bool { role == "admin" }

    var json: JSON {
        ["user": ["email": .string(email), "role": .string(role),
                  "organisation_id": .text(organisationID), "booker_id": .text(bookerID)],
         "csrf_token": .string(csrfToken), "expires_at": .integer(expiresAt)]
    }
}

/// Seals sessions into cookie values and opens them again.
public struct SessionSealer: Sendable {
    public static let cookieName = "cp_session"
    private let box: SecretBox
    /// How long a log-in lasts.
    public let lifetime: Duration

    public init(key: [UInt8], lifetime: Duration = .seconds(8 * 3600)) throws(SodiumError) {
        box = try SecretBox(key: key)
        self.lifetime = lifetime
    }

    public func seal(_ session: Session) -> String {
        let fields: JSON = ["e": .string(session.email), "r": .string(session.role), "o": .string(session.organisationID),
                            "b": .string(session.bookerID), "p": .string(session.principal),
                            "c": .string(session.csrfToken), "x": .integer(session.expiresAt)]
        return Sodium.base64URLEncode(box.seal(fields.serialized()))
    }

    /// The session in a cookie value; nil when forged, damaged or expired.
    public func open(_ cookie: String, now: Int64? = nil) -> Session? {
        let now = now ?? Int64(Date().timeIntervalSince1970)
        guard cookie.utf8.count < 4096, let sealed = Sodium.base64URLDecode(cookie), let plain = box.open(sealed),
              let fields = JSON.parse(plain),
              let email = fields["e"]?.stringValue, let role = fields["r"]?.stringValue,
              let organisation = fields["o"]?.stringValue, let booker = fields["b"]?.stringValue,
              let principal = fields["p"]?.stringValue, let csrf = fields["c"]?.stringValue,
              case .number(let expires)? = fields["x"] else { return nil }
        guard Int64(expires) > now else { return nil }
        return Session(email: email, role: role, organisationID: organisation, bookerID: booker, principal: principal,
                       csrfToken: csrf, expiresAt: Int64(expires))
    }

    /// A new session for an account the catalog has just authenticated.
    public func newSession(email: String, role: String, organisationID: String, bookerID: String, principal: String,
                           now: Int64? = nil) -> Session {
        let now = now ?? Int64(Date().timeIntervalSince1970)
        return Session(email: email, role: role, organisationID: organisationID, bookerID: bookerID, principal: principal,
                csrfToken: Sodium.randomToken(bytes: 24), expiresAt: now + lifetime.components.seconds)
    }

    /// The `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure when served over TLS.
    public func setCookie(_ value: String, secure: Bool) -> String {
        "\(Self.cookieName)=\(value); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(lifetime.components.seconds)\(secure ? "; Secure" : "")"
    }

    public func clearCookie(secure: Bool) -> String {
        "\(Self.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\(secure ? "; Secure" : "")"
    }
}
