// export-service --stats HOST:PORT --certificates HOST:PORT [--port N] [--data DIR]
//                [--today YYYY-MM-DD] [--time-zone TZ] [--mesh-token T]
//                [--max-jobs N] [--job-ttl DURATION]
//                [--smtp smtp://[user[:pass]@]host[:port][?security=starttls|tls|none]]
//                [--mail-from "Name <address>"] [--portal-url URL] [--mail-retry-ms N]
//                [--mail-max-attempts N] [--reminder-days 90,30,7] [--reminder-hour H|off]
// The records report and the training matrix as CSV, certificates as one ZIP, streamed or
// made as a job, each with the caller's principal passed on to stats-service and
// cert-store; and e-mail: the outbox delivering certificates through the SMTP server, and
// the daily expiry reminders. Its database: DIR/export.sqlite (the exports made, the jobs,
// the outbox); the jobs' files: DIR/jobs. --max-jobs: jobs running at once (default 2);
// --job-ttl: how long a done job's file is kept (default 24h; e.g. 90s, 15m, 7d).
import Export
import Flags
import ServiceRuntime
import Foundation

let command = ServiceCommand(name: "export-service",
                             ownFlags: Set(["--stats", "--certificates", "--time-zone", "--max-jobs", "--job-ttl"]).union(MailSettings.flags))
guard let stats = command.client("--stats", compressed: false) else {
    ServiceCommand.exit(command.name, "--stats HOST:PORT is required (stats-service's address)", status: 2)
}
// A ZIP's files stream from cert-store's Bundle: each call holds at most about a frame limit
// of them not yet taken (then the connection waits), so 1 MiB, not 4, keeps many ZIPs small.
guard let certificates = command.client("--certificates", compressed: false, configure: { $0.limits.maxFrameBytes = 1 << 20 }) else {
    ServiceCommand.exit(command.name, "--certificates HOST:PORT is required (cert-store's address)", status: 2)
}
var settings = ExportSettings()
settings.clock = command.statusClock()
settings.jobs.directory = command.dataFile("jobs")
let mailSettings: MailSettings
do {
    if let count = try command.arguments.integer("--max-jobs") {
        guard (1...64).contains(count) else { throw CommandLineArguments.Failure(description: "--max-jobs: must be from 1 to 64; found \(count)") }
        settings.jobs.maxRunning = count
    }
    if let ttl = try command.arguments.duration("--job-ttl") { settings.jobs.ttl = ttl }
    mailSettings = try MailSettings(command.arguments, environment: ProcessInfo.processInfo.environment)
} catch {
    ServiceCommand.exit(command.name, "\(error)", status: 2)
}
do {
    let store = try await ExportStore.open(path: command.dataFile("export.sqlite"))
    let service = ExportService(stats: stats, certificates: certificates, store: store, settings: settings)
    try await service.resumeJobs()
    let mail = MailService(stats: stats, certificates: certificates, store: store, settings: mailSettings, clock: settings.clock)
    Task { await mail.runBackgroundWork() }
    await command.serve([service, mail])
} catch {
    ServiceCommand.exit(command.name, "cannot open the export database or its jobs: \(error)", status: 1)
}
