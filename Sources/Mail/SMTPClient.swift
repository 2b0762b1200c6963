internal import CCurl
internal import Storage
internal import Synchronization

/// Sends messages through one SMTP server with libcurl, one connection per message.
///
/// Each delivery runs start to end (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT) on
/// one of the client's own threads, never on Swift's cooperative pool: `threads` messages can
/// be on their way at once, more wait their turn.
public final class SMTPClient: Sendable {
    public let settings: SMTPSettings
    private let executors: [ThreadExecutor]
    /// Deliveries queued or running on each executor; a send goes to the least busy.
    private let load: Mutex<[Int]>

    public init(_ settings: SMTPSettings, threads: Int = 2) {
        self.settings = settings
        let count = max(1, threads)
        executors = (0..<count).map { ThreadExecutor(name: "smtp-\($0)") }
        load = Mutex(Array(repeating: 0, count: count))
    }

    deinit {
        for executor in executors { executor.stop() }
    }

    /// Sends one message: blocks only its own thread(s), never the cooperative pool.
    /// Returns the server's final reply (e.g. "250 OK queued as …") when known.
    ///
    /// The message is checked first (``MailMessage/check()``: `.invalid`, nothing sent).
    /// Cancelling the task aborts the delivery within about a second (`.transient`); whatever
    /// happens, `settings.timeout` bounds it.
    public func send(_ message: MailMessage) async throws(MailError) -> String {
        try message.check()
        try Self.check(settings)
        let bytes = MIMEMessage.render(message)
        let delivery = SMTPDelivery(settings: settings, from: message.from.address, recipients: message.recipients, bytes: bytes)
        let index = load.withLock { load in
            let index = load.indices.min { load[$0] < load[$1] } ?? 0
            load[index] += 1
            return index
        }
        defer { load.withLock { $0[index] -= 1 } }

        let result: Result<String, MailError>
        do {
            result = try await withTaskCancellationHandler {
                try await executors[index].run { delivery.perform() }
            } onCancel: {
                delivery.cancel()
            }
        } catch {
            result = .failure(MailError(.transient, "the delivery thread failed: \(error)"))
        }
        return try result.get()
    }

    /// Settings made field by field are checked as `init(url:)` checks a URL's.
    static func check(_ settings: SMTPSettings) throws(MailError) {
        guard !settings.host.isEmpty else { throw .invalid("SMTP host: empty") }
        if let bad = settings.host.unicodeScalars.first(where: { isControl($0) || !$0.isASCII || " @/?#%\\".unicodeScalars.contains($0) }) {
            throw .invalid("SMTP host: contains \"\(MailAddress.printable(String(bad)))\"")
        }
        guard (1...65535).contains(settings.port) else { throw .invalid("SMTP port: \(settings.port) is not from 1 to 65535") }
        if let helo = settings.heloName,
           helo.isEmpty || helo.unicodeScalars.contains(where: { isControl($0) || !$0.isASCII || " /?#%".unicodeScalars.contains($0) }) {
            throw .invalid("SMTP heloName: \"\(MailAddress.printable(helo))\" is not a host name")
        }
        for (field, value) in [("username", settings.username), ("password", settings.password)] {
            if let value, value.unicodeScalars.contains(where: isControl) { throw .invalid("SMTP \(field): control characters") }
        }
        guard settings.timeout > .zero else { throw .invalid("SMTP timeout: not positive") }
    }
}
