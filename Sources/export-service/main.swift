// export-service --stats HOST:PORT --certificates HOST:PORT [--port N] [--data DIR]
//                [--today YYYY-MM-DD] [--time-zone TZ] [--mesh-token T]
// The records report and the training matrix as CSV, certificates as one ZIP, streamed,
// each with the caller's principal passed on to stats-service and cert-store. Its
// database: DIR/export.sqlite (the exports made; jobs and the e-mail outbox come later).
import Export
import ServiceRuntime
import Foundation

let command = ServiceCommand(name: "export-service", ownFlags: ["--stats", "--certificates", "--time-zone"])
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
do {
    let store = try await ExportStore.open(path: command.dataFile("export.sqlite"))
    await command.serve([ExportService(stats: stats, certificates: certificates, store: store, settings: settings)])
} catch {
    ServiceCommand.exit(command.name, "cannot open the export database: \(error)", status: 1)
}
