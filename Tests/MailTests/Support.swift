import Foundation
import Mail
import RPCTesting
import Testing

/// A message as Python's `email` package (policy.default) reads it: an independent parser.
struct ParsedMail: Decodable {
    struct Address: Decodable, Equatable {
        var name: String
        var address: String
    }
    struct Attachment: Decodable {
        var fileName: String?
        var contentType: String
        var base64: String
        var bytes: [UInt8] { [UInt8](Data(base64Encoded: base64) ?? Data()) }
    }
    var subject: String
    var from: [Address]
    var to: [Address]
    var cc: [Address]
    var replyTo: [Address]
    var messageID: String
    var date: String
    var contentType: String
    var text: String?
    var html: String?
    var attachments: [Attachment]
    /// Defects Python found anywhere in the message; none expected.
    var defects: [String]
}

private let parseScript = """
    import base64, email, email.policy, json, sys
    with open(sys.argv[1], "rb") as file:
        message = email.message_from_binary_file(file, policy=email.policy.default)
    def addresses(name):
        header = message[name]
        return [] if header is None else [{"name": a.display_name, "address": a.addr_spec} for a in header.addresses]
    def content(kind):
        part = message.get_body(preferencelist=(kind,))
        return None if part is None or part.get_content_subtype() != kind else part.get_content()
    defects = []
    for part in message.walk():
        defects += [type(d).__name__ + ": " + str(d) for d in part.defects]
        for name, value in part.items():
            # filename*= then filename= (RFC 2231 and its ASCII fallback) is reported as a
            # duplicate, filename* kept: that is the intended reading.
            defects += [name + ": " + type(d).__name__ + ": " + str(d) for d in getattr(value, "defects", ())
                        if not (name == "Content-Disposition" and "duplicate parameter" in str(d))]
    print(json.dumps({
        "subject": str(message["Subject"]),
        "from": addresses("From"), "to": addresses("To"), "cc": addresses("Cc"), "replyTo": addresses("Reply-To"),
        "messageID": str(message["Message-ID"]), "date": str(message["Date"]),
        "contentType": message.get_content_type(),
        "text": content("plain"), "html": content("html"),
        "attachments": [{"fileName": a.get_filename(), "contentType": a.get_content_type(),
                         "base64": base64.b64encode(a.get_payload(decode=True)).decode()} for a in message.iter_attachments()],
        "defects": defects,
    }))
    """

/// Parses a message file with Python's email package.
func parsedMail(at path: String) async throws -> ParsedMail {
    let outcome = try await runTool("/usr/bin/python3", ["-c", parseScript, path])
    #expect(outcome.status == 0, "\(outcome.errorText)")
    return try JSONDecoder().decode(ParsedMail.self, from: outcome.output)
}

/// Parses rendered bytes with Python's email package.
func parsedMail(_ bytes: [UInt8]) async throws -> ParsedMail {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mail-\(UUID().uuidString).eml").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await parsedMail(at: path)
}

/// A message from the portal to one booker, for tests to vary.
func sampleMessage(id: Int = 1) throws -> MailMessage {
    MailMessage(from: try MailAddress("noreply@certportal.test", name: "CertPortal"),
                to: [try MailAddress("booker@example.test", name: "Ada Booker")],
                subject: "Your certificate", text: "Hello,\nyour certificate is attached.\n",
                messageID: "<outbox-\(id).1700000000@certportal.test>")
}

/// Settings for a test server: plain unless it has a certificate, then STARTTLS trusting it.
func settings(for server: SMTPServerProcess, security: SMTPSettings.Security? = nil) -> SMTPSettings {
    var settings = SMTPSettings(host: "127.0.0.1", port: server.port)
    settings.security = security ?? (server.certificateFile == nil ? .none : .startTLS)
    settings.caFile = server.certificateFile
    settings.heloName = "client.certportal.test"
    settings.timeout = .seconds(60)
    return settings
}

/// Runs `body`, expecting a MailError of `kind`; returns it for further checks.
@discardableResult
func expectMailError<T>(_ kind: MailError.Kind, _ body: () async throws -> T,
                        sourceLocation: SourceLocation = #_sourceLocation) async -> MailError? {
    do {
        _ = try await body()
        Issue.record("expected a \(kind) MailError; the call succeeded", sourceLocation: sourceLocation)
    } catch let error as MailError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a \(kind) MailError; got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
