/// Where and how to reach the provider's SMTP server.
public struct SMTPSettings: Sendable {
    public enum Security: String, Sendable {
        /// Plain SMTP, no TLS (a local relay, tests).
        case none
        /// STARTTLS required: a server that does not offer it is not sent to.
        case startTLS = "starttls"
        /// Implicit TLS from the first byte (smtps, usually port 465).
        case tls
    }

    public var host: String
    public var port: Int
    public var security: Security = .startTLS
    public var username: String? = nil
    public var password: String? = nil
    /// The name given in EHLO; nil: this machine's host name.
    public var heloName: String? = nil
    /// A PEM bundle of CAs trusted besides the system's (tests trust a self-signed certificate).
    public var caFile: String? = nil
    public var verifyPeer: Bool = true
    /// Bounds connecting and the whole delivery of one message.
    public var timeout: Duration = .seconds(60)

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `smtp://[user[:pass]@]host[:port][?security=starttls|none|tls]` (`smtps://` for
    /// implicit TLS); user and password percent-decoded. The port defaults to 587 for
    /// starttls, 25 for none, 465 for tls.
    public init(url: String) throws(MailError) {
        var rest = Substring(url)
        let scheme: Security?
        if rest.hasPrefix("smtp://") {
            scheme = nil
            rest = rest.dropFirst("smtp://".count)
        } else if rest.hasPrefix("smtps://") {
            scheme = .tls
            rest = rest.dropFirst("smtps://".count)
        } else {
            throw .invalid("SMTP URL scheme: expected smtp:// or smtps://")
        }

        var security = scheme ?? .startTLS
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard keyValue.count == 2, keyValue[0] == "security" else {
                    throw .invalid("SMTP URL query: unknown parameter \"\(keyValue[0])\" (only security=)")
                }
                guard let value = Security(rawValue: String(keyValue[1])) else {
                    throw .invalid("SMTP URL security: \"\(keyValue[1])\" is not starttls, none or tls")
                }
                if scheme == .tls && value != .tls { throw .invalid("SMTP URL security: smtps:// is implicit TLS, not \(value.rawValue)") }
                security = value
            }
            rest = rest[..<question]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains("/") { throw .invalid("SMTP URL path: none expected after the host") }

        var username: String?, password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = Self.percentDecoded(parts[0]), !user.isEmpty else {
                throw .invalid("SMTP URL user: empty or badly percent-encoded")
            }
            username = user
            if parts.count == 2 {
                guard let pass = Self.percentDecoded(parts[1]) else { throw .invalid("SMTP URL password: badly percent-encoded") }
                password = pass
            }
        }

        var host = rest, portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalid("SMTP URL host: unclosed [") }
            host = rest[...close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalid("SMTP URL host: unexpected text after ]") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty else { throw .invalid("SMTP URL host: empty") }
        if let bad = host.unicodeScalars.first(where: { isControl($0) || !$0.isASCII || " @/?#%\\".unicodeScalars.contains($0) }) {
            throw .invalid("SMTP URL host: contains \"\(MailAddress.printable(String(bad)))\"")
        }
        let port: Int
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy(\.isASCII) else {
                throw .invalid("SMTP URL port: \"\(portText)\" is not a number from 1 to 65535")
            }
            port = value
        } else {
            switch security {
            case .none: port = 25
            case .startTLS: port = 587
            case .tls: port = 465
            }
        }

        self.init(host: String(host), port: port)
        self.security = security
        self.username = username
        self.password = password
    }

    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
