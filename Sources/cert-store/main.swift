// cert-store --catalog HOST:PORT [--port N] [--data DIR] [--public-url URL] [--today YYYY-MM-DD]
//            [--time-zone TZ] [--mesh-token T]
// Certificate templates, certificates and every version of their files, share flags,
// verification codes and the audit, with their change feed. Its database:
// DIR/certificates.sqlite (synchronous=FULL).
// cert-store check-pdf: checks the PDF on standard input and prints its verdict (the
// child process cert-store checks each uploaded PDF in, with hard limits).
import CertStore
import CertificateFiles
import ChangeFeed
import ServiceRuntime
import Flags
import Foundation

if CommandLine.arguments.dropFirst().first == "check-pdf" { IsolatedPDFCheck.checkStandardInput() }

let command = ServiceCommand(name: "cert-store", ownFlags: ["--catalog", "--public-url", "--time-zone", "--provider-name"])
guard let catalog = command.client("--catalog", compressed: false) else {
    ServiceCommand.exit(command.name, "--catalog HOST:PORT is required (catalog-service's address)", status: 2)
}
let environment = ProcessInfo.processInfo.environment
var settings = CertStoreSettings()
settings.clock = command.statusClock()
settings.pdfCheckExecutable = "/proc/self/exe"  // uploaded PDFs: checked by its own check-pdf mode
do {
    if let url = try command.arguments.publicURL("--public-url", environment: environment) { settings.publicURL = url }
} catch {
    ServiceCommand.exit(command.name, error.description, status: 2)
}
if let name = command.arguments.string("--provider-name") ?? environment["CERTPORTAL_PROVIDER_NAME"], !name.isEmpty {
    settings.providerName = name
}
do {
    let store = try await CertificateStore.open(path: command.dataFile("certificates.sqlite"))
    await command.serve([CertStoreService(store: store, catalog: catalog, settings: settings),
                         FeedService(pool: store.pool, notifier: store.notifier)])
} catch {
    ServiceCommand.exit(command.name, "cannot open the certificates: \(error)", status: 1)
}
