public import Mail
public import Flags
internal import RPC

/// export-service's e-mail settings.
public struct MailSettings: Sendable {
    /// The provider's SMTP server; nil: messages are queued and wait until one is configured.
    public var smtp: SMTPSettings?
    /// The sender; its display name signs the e-mails as the provider.
    public var from: MailAddress
    /// The portal's address, for links in e-mails (verification pages, re-booking).
    public var portalURL = "http://127.0.0.1:8080"
    /// The wait after a first failed attempt; it doubles with each attempt, up to `longestRetry`.
    public var firstRetry: Duration = .seconds(30)
    public var longestRetry: Duration = .seconds(3600)
    /// Attempts before a message the server keeps refusing for now is given up (failed).
    public var maxAttempts = 20
    /// Messages in delivery at once.
    public var parallel = 2
    /// How often cert-store is asked for "Upload Cert & Send Email" requests.
    public var intakeInterval: Duration = .seconds(2)
    /// Days before expiry that a booker is reminded of a certificate, e.g. 90, 30 and 7.
    public var reminderDays = [90, 30, 7]
    /// The hour of the day (provider's time zone) the daily reminders run; nil: only when asked.
    public var reminderHour: Int? = 8

    public init(from: MailAddress) {
        self.from = from
    }

    /// The provider's name, as e-mails sign it.
    var providerName: String { from.name.isEmpty ? "CertPortal Training" : from.name }

    /// The host part of the sender, for Message-IDs.
    var domain: String { from.address.split(separator: "@").last.map(String.init) ?? "certportal.local" }

    /// The wait before attempt `attempts + 1`, or nil when `attempts` were the last allowed.
    func retryDelay(after attempts: Int) -> Duration? {
        guard attempts < maxAttempts else { return nil }
        var delay = firstRetry
        for _ in 1..<max(1, attempts) where delay < longestRetry { delay *= 2 }
        return min(delay, longestRetry)
    }

    /// How export-service calls stats-service and cert-store for work nobody is waiting on
    /// (deliveries, reminders): as the provider's admin, named in cert-store's audit.
    func backgroundOptions(timeout: Duration = .seconds(30)) -> CallOptions {
        var options = CallOptions(timeout: timeout)
        options.metadata[MetadataKey.principal] = Principal.admin.description
        options.metadata[MetadataKey.actor] = "export-service (e-mail)"
        return options
    }
}

extension MailSettings {
    /// The flags export-service takes for e-mail.
    public static let flags: Set<String> = ["--smtp", "--mail-from", "--portal-url", "--mail-retry-ms", "--mail-max-attempts",
                                            "--reminder-days", "--reminder-hour"]

    /// From the command line: `--smtp URL` (or CERTPORTAL_SMTP; the password may come from
    /// CERTPORTAL_SMTP_PASSWORD instead of the URL), `--mail-from "Name <address>"`,
    /// `--portal-url URL`, `--mail-retry-ms N` (the first wait after a failed attempt),
    /// `--mail-max-attempts N`, `--reminder-days 90,30,7`, `--reminder-hour H` (or `off`).
    public init(_ arguments: CommandLineArguments, environment: [String: String]) throws(CommandLineArguments.Failure) {
        func failure(_ text: String) -> CommandLineArguments.Failure { CommandLineArguments.Failure(description: text) }
        let sender = arguments.string("--mail-from") ?? environment["CERTPORTAL_MAIL_FROM"] ?? "CertPortal Training <certificates@certportal.local>"
        do {
            self.init(from: try MailAddress(parsing: sender))
        } catch {
            throw failure("--mail-from: \(error.message)")
        }
        if let url = arguments.string("--smtp") ?? environment["CERTPORTAL_SMTP"], !url.isEmpty {
            do {
                var smtp = try SMTPSettings(url: url)
                if smtp.password == nil, let password = environment["CERTPORTAL_SMTP_PASSWORD"] { smtp.password = password }
                self.smtp = smtp
            } catch {
                throw failure("--smtp: \(error.message)")
            }
        }
        if let url = try arguments.publicURL("--portal-url", environment: environment) { portalURL = url }
        if let milliseconds = try arguments.integer("--mail-retry-ms") {
            guard milliseconds >= 10 else { throw failure("--mail-retry-ms: at least 10") }
            firstRetry = .milliseconds(milliseconds)
            longestRetry = max(firstRetry, min(longestRetry, firstRetry * 64))
        }
        if let attempts = try arguments.integer("--mail-max-attempts") {
            guard attempts >= 1 else { throw failure("--mail-max-attempts: at least 1") }
            maxAttempts = attempts
        }
        if let text = arguments.string("--reminder-days") {
            let days = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !days.isEmpty, days.allSatisfy({ $0 != nil && $0! >= 0 && $0! <= 3650 }) else {
                throw failure("--reminder-days: a list of days such as 90,30,7 (each 0 to 3650); found \"\(text)\"")
            }
            reminderDays = Array(Set(days.compactMap { $0 })).sorted(by: >)
        }
        if let text = arguments.string("--reminder-hour") {
            if text == "off" {
                reminderHour = nil
            } else {
                guard let hour = Int(text), (0...23).contains(hour) else { throw failure("--reminder-hour: an hour 0 to 23, or off; found \"\(text)\"") }
                reminderHour = hour
            }
        }
    }
}
