// export-service --stats HOST:PORT --certificates HOST:PORT [--port N] [--data DIR]
//                [--today YYYY-MM-DD] [--time-zone TZ] [--mesh-token T]
//                [--smtp smtp://[user[:pass]@]host[:port][?security=starttls|tls|none]]
//                [--mail-from "Name <address>"] [--portal-url URL] [--mail-retry-ms N]
//                [--mail-max-attempts N] [--reminder-days 90,30,7] [--reminder-hour H|off]
// The records report and the training matrix as CSV, certificates as one ZIP, streamed,
// each with the caller's principal passed on to stats-service and cert-store; and e-mail:
// the outbox delivering certificates through the SMTP server, and the daily expiry
// reminders. Its database: DIR/export.sqlite.
import Export
import ServiceRuntime
import Foundation

let command = ServiceCommand(name: "export-service", ownFlags: Set(["--stats", "--certificates", "--time-zone"]).union(MailSettings.flags))
guard let stats = command.client("--stats", compressed: false) else {
    ServiceCommand.exit(command.name, "--stats HOST:PORT is required (stats-service's address)", status: 2)
}
guard let certificates = command.client("--certificates", compressed: false) else {
    ServiceCommand.exit(command.name, "--certificates HOST:PORT is required (cert-store's address)", status: 2)
}
var settings = ExportSettings()
settings.clock = command.statusClock()
let mailSettings: MailSettings
do {
    mailSettings = try MailSettings(command.arguments, environment: ProcessInfo.processInfo.environment)
} catch {
    ServiceCommand.exit(command.name, "\(error)", status: 2)
}
do {
    let store = try await ExportStore.open(path: command.dataFile("export.sqlite"))
    let mail = MailService(stats: stats, certificates: certificates, store: store, settings: mailSettings, clock: settings.clock)
    Task { await mail.runBackgroundWork() }
    await command.serve([ExportService(stats: stats, certificates: certificates, store: store, settings: settings), mail])
} catch {
    ServiceCommand.exit(command.name, "cannot open the export database: \(error)", status: 1)
}
