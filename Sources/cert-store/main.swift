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
if let url = command.arguments.string("--public-url") ?? environment["CERTPORTAL_PUBLIC_URL"], !url.isEmpty {
    guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
        ServiceCommand.exit(command.name, "--public-url: must be an http(s) URL in ASCII, such as https://portal.example.com; found \"\(url)\"", status: 2)
    }
    settings.publicURL = url
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
