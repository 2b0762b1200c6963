/// A message that was not sent, whether trying again later can help, and why.
public struct MailError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The message or the settings are wrong: nothing was sent, and retrying sends nothing.
        case invalid
        /// Could not connect, timed out, TLS failed, connection lost, or a 4xx reply: try again later.
        case transient
        /// A 5xx reply: recipient, authentication or message refused.
        case permanent
    }

    public var kind: Kind
    public var message: String
    /// The server's last reply code, when known.
    public var responseCode: Int?

    public init(_ kind: Kind, _ message: String, responseCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.responseCode = responseCode
    }

    static func invalid(_ message: String) -> MailError {
        MailError(.invalid, message)
    }

    public var description: String {
        responseCode.map { "\(kind) mail error (SMTP \($0)): \(message)" } ?? "\(kind) mail error: \(message)"
    }
}
