import Foundation
import Testing
import RPC
import RPCTesting
import Messages

/// catalog-service, cert-store and stats-service as real processes on one fresh data
/// directory, with a mesh token, as `certportal up` runs them.
final class Portal: @unchecked Sendable {
    // @unchecked: mutated only by the one test that owns it, between awaits.
    let data: String
    let meshToken = "test-mesh-\(UUID().uuidString)"
    var catalog: ServiceProcess
    var certificates: ServiceProcess
    var stats: ServiceProcess
    var gateway: ServiceProcess?
    var export: ServiceProcess?
    static let today = "2026-06-15"
    static let sessionKey = String(repeating: "5a", count: 32)

    init() async throws {
        data = FileManager.default.temporaryDirectory.appendingPathComponent("portal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        catalog = try await ServiceProcess("catalog-service", arguments: ["--data", data, "--mesh-token", meshToken])
        certificates = try await Self.startCertStore(data: data, meshToken: meshToken, catalogPort: catalog.port)
        stats = try await Self.startStats(data: data, meshToken: meshToken, catalogPort: catalog.port, certificatesPort: certificates.port)
    }

    static func startStats(data: String, meshToken: String, catalogPort: Int, certificatesPort: Int, port: Int = 0) async throws -> ServiceProcess {
        try await ServiceProcess("stats-service", arguments: [
            "--port", "\(port)", "--data", data, "--mesh-token", meshToken, "--catalog", "127.0.0.1:\(catalogPort)",
            "--certificates", "127.0.0.1:\(certificatesPort)", "--today", today,
        ])
    }

    static func startCertStore(data: String, meshToken: String, catalogPort: Int, port: Int = 0) async throws -> ServiceProcess {
        try await ServiceProcess("cert-store", arguments: [
            "--port", "\(port)", "--data", data, "--mesh-token", meshToken, "--catalog", "127.0.0.1:\(catalogPort)", "--today", today,
            "--public-url", "https://portal.example.com", "--provider-name", "Zoë's Training Ltd",
        ])
    }

    /// Stops cert-store (SIGTERM or `signal`) and starts it again on the same port and data.
    func restartCertStore(signal: Int32 = SIGTERM) async throws {
        let port = certificates.port
        await certificates.stop(signal: signal)
        certificates = try await Self.startCertStore(data: data, meshToken: meshToken, catalogPort: catalog.port, port: port)
    }

    /// The gateway in front of the three services; `url` is its address.
    func startGateway(_ extraArguments: [String] = []) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["CERTPORTAL_SESSION_KEY"] = Self.sessionKey
        environment["CERTPORTAL_PROVIDER_NAME"] = "Zoë's Training Ltd"
        gateway = try await ServiceProcess("gateway", arguments: [
            "--port", "0", "--data", data, "--mesh-token", meshToken, "--today", Self.today,
            "--catalog", "127.0.0.1:\(catalog.port)", "--stats", "127.0.0.1:\(stats.port)",
            "--certificates", "127.0.0.1:\(certificates.port)",
        ] + (export.map { ["--exports", "127.0.0.1:\($0.port)"] } ?? []) + extraArguments, environment: environment)
    }

    var url: String { "http://127.0.0.1:\(gateway!.port)" }

    /// export-service, calling stats-service and cert-store, with `arguments` added (e.g.
    /// `--smtp`); `port` 0: a free one. No daily reminders unless `arguments` ask for them.
    func startExport(_ arguments: [String] = [], port: Int = 0) async throws {
        let reminders = arguments.contains("--reminder-hour") ? [] : ["--reminder-hour", "off"]
        export = try await ServiceProcess("export-service", arguments: [
            "--port", "\(port)", "--data", data, "--mesh-token", meshToken, "--today", Self.today,
            "--stats", "127.0.0.1:\(stats.port)", "--certificates", "127.0.0.1:\(certificates.port)",
        ] + reminders + arguments)
    }

    /// The SMTP flags that make export-service send its e-mail to `server`.
    static func smtpArguments(_ server: SMTPServerProcess) -> [String] {
        ["--smtp", "smtp://127.0.0.1:\(server.port)?security=none", "--mail-from", "Zoë's Training <portal@example.com>"]
    }

    /// Stops export-service (SIGTERM or `signal`) and starts it again on the same port and data.
    func restartExport(_ arguments: [String] = [], signal: Int32 = SIGTERM) async throws {
        let port = export!.port
        await export!.stop(signal: signal)
        try await startExport(arguments, port: port)
    }

    func restartCatalog(signal: Int32 = SIGTERM) async throws {
        await catalog.stop(signal: signal)
        catalog = try await ServiceProcess("catalog-service", arguments: ["--data", data, "--mesh-token", meshToken])
    }

    /// `samePort`: where the gateway (started with the old port) will find it again.
    func restartStats(deletingReadModel: Bool = false, samePort: Bool = false) async throws {
        await stats.stop()
        if deletingReadModel {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: data + "/stats.sqlite" + suffix) }
        }
        stats = try await Self.startStats(data: data, meshToken: meshToken, catalogPort: catalog.port, certificatesPort: certificates.port,
                                          port: samePort ? stats.port : 0)
    }

    /// Creates or updates a login through catalog-service.
    func putAccount(_ email: String, password: String, role: String, organisation: String = "", booker: String = "") async throws {
        let client = client(catalog)
        defer { client.close() }
        var request = Certportal_Catalog_V1_PutAccountRequest()
        var account = Certportal_Catalog_V1_Account()
        account.email = email
        account.role = role
        account.organisationId = organisation
        account.bookerId = booker
        request.account = account
        request.password = password
        _ = try await client.unary(Certportal_Catalog_V1_Catalog.putAccount, request, options: Self.options("admin"))
    }

    func stop() async {
        // Followers first: a service drains its open feed subscriptions before it exits.
        await gateway?.stop()
        await export?.stop()
        await stats.stop()
        await certificates.stop()
        await catalog.stop()
        try? FileManager.default.removeItem(atPath: data)
    }

    func client(_ process: ServiceProcess) -> RPCClient {
        process.client { $0.meshToken = meshToken }
    }

    static func options(_ principal: String) -> CallOptions {
        var options = CallOptions(timeout: .seconds(30))
        options.metadata[MetadataKey.principal] = principal
        return options
    }

    /// Runs `certportal import records FILE` against this portal's data directory.
    func importFile(_ path: String) async throws -> (status: Int32, output: String, errors: String) {
        try await runCommand(["import", "records", path, "--data", data, "--quiet"], environment: ["CERTPORTAL_MESH_TOKEN": meshToken])
    }
}

/// Runs the `certportal` executable to its end on a thread of its own.
func runCommand(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String, errors: String) {
    let run = try await runTool(ServiceProcess.executable("certportal").path, arguments, environment: environment)
    return (run.status, run.text, run.errorText)
}

func withPortal<T>(_ body: (Portal) async throws -> T) async throws -> T {
    let portal = try await Portal()
    do {
        let result = try await body(portal)
        await portal.stop()
        return result
    } catch {
        Issue.record("catalog-service log:\n\(portal.catalog.log)\nstats-service log:\n\(portal.stats.log)\ncert-store log:\n\(portal.certificates.log)\nexport-service log:\n\(portal.export?.log ?? "")\ngateway log:\n\(portal.gateway?.log ?? "")")
        await portal.stop()
        throw error
    }
}
