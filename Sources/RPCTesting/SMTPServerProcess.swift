public import Foundation

/// A real SMTP server for tests: Tests/Tools/smtp_server.py (aiosmtpd, Debian's
/// /usr/bin/python3) on a free port of 127.0.0.1, keeping what it accepts in a directory of
/// its own. Each test starts its own and stops it at the end.
public final class SMTPServerProcess: Sendable {
    public let process: ServiceProcess
    public let directory: URL
    /// The self-signed certificate (PEM) of a `startTLS` or `tls` server, for the client's caFile.
    public let certificateFile: String?
    public var port: Int { process.port }

    /// - Parameters:
    ///   - auth: `(user, password)` the server requires (PLAIN or LOGIN; after STARTTLS when on).
    ///   - startTLS: offers STARTTLS and requires it before MAIL; `tls`: implicit TLS.
    ///   - rejectRecipients: a Python regular expression; matching recipients get 550.
    ///   - failFirst: the first N DATA commands get 451.
    ///   - slowDataMilliseconds: the wait after the data before the reply; a client gone by
    ///     then gets no delivery.
    public init(auth: (user: String, password: String)? = nil, startTLS: Bool = false, tls: Bool = false,
                rejectRecipients: String? = nil, failFirst: Int = 0, slowDataMilliseconds: Int = 0) async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)")
        directory = base.appendingPathComponent("messages")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var arguments = [Self.script.path, "--port", "0", "--dir", directory.path]
        if let auth { arguments += ["--auth", "\(auth.user):\(auth.password)"] }
        if startTLS { arguments.append("--starttls") }
        if tls { arguments.append("--tls") }
        if startTLS || tls {
            let file = base.appendingPathComponent("cert.pem").path
            arguments += ["--cert-file", file]
            certificateFile = file
        } else {
            certificateFile = nil
        }
        if let rejectRecipients { arguments += ["--reject-rcpt", rejectRecipients] }
        if failFirst > 0 { arguments += ["--fail-first", String(failFirst)] }
        if slowDataMilliseconds > 0 { arguments += ["--slow-data-ms", String(slowDataMilliseconds)] }
        process = try await ServiceProcess(executable: URL(fileURLWithPath: "/usr/bin/python3"), name: "smtp-server", arguments: arguments)
    }

    /// Tests/Tools/smtp_server.py, found from this file's place in the package.
    public static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Tools/smtp_server.py")
    }

    /// The messages accepted so far, in the order accepted.
    public func messages() async throws -> [ReceivedMail] {
        let directory = directory
        return try await onThread {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            let numbers = names.compactMap { $0.hasSuffix(".eml") ? Int($0.dropLast(4)) : nil }.sorted()
            return try numbers.map { number in
                let envelope = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("\(number).json")))
                    as? [String: Any] ?? [:]
                return ReceivedMail(number: number,
                                    mailFrom: envelope["mail_from"] as? String ?? "",
                                    recipients: envelope["rcpt_tos"] as? [String] ?? [],
                                    user: envelope["user"] as? String,
                                    overTLS: envelope["tls"] as? Bool ?? false,
                                    helo: envelope["helo"] as? String,
                                    path: directory.appendingPathComponent("\(number).eml").path,
                                    bytes: [UInt8](try Data(contentsOf: directory.appendingPathComponent("\(number).eml"))))
            }
        }
    }

    /// The server's log (stderr).
    public var log: String { process.log }

    /// Stops the server and removes what it received.
    public func stop() async {
        await process.stop()
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
    }
}

/// One message as the test SMTP server accepted it.
public struct ReceivedMail: Sendable {
    public var number: Int
    /// The envelope: MAIL FROM and RCPT TO addresses.
    public var mailFrom: String
    public var recipients: [String]
    /// The user that authenticated, if any.
    public var user: String?
    public var overTLS: Bool
    /// The name the client gave in EHLO (or HELO).
    public var helo: String?
    /// The .eml file (until the server is stopped), for tools to read.
    public var path: String
    /// The message's bytes as received (dot-unstuffed).
    public var bytes: [UInt8]
}
