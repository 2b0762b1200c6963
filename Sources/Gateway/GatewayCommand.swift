internal import HTTPServer
internal import RPC
internal import ServiceRuntime
internal import Flags
internal import Records
internal import Sodium
internal import Foundation

/// The `gateway` executable: flags and environment, then serve until SIGTERM.
///
/// Flags: the services' common ones (`--host`, `--port` — default 8080 —, `--data`,
/// `--mesh-token`, `--today`) and `--catalog HOST:PORT`, `--stats HOST:PORT`,
/// `--certificates HOST:PORT` (cert-store; all three required),
/// `--web DIR` (serve the pages from a folder, for working on them), `--secure-cookies`,
/// `--public-url URL` (where users reach the portal, for verification links; default
/// `$CERTPORTAL_PUBLIC_URL`, else the address each request came to).
/// Environment: `CERTPORTAL_SESSION_KEY` (64 hex digits; `certportal up` keeps one in
/// the data directory so log-ins survive a restart), `CERTPORTAL_PROVIDER_NAME`,
/// `CERTPORTAL_PROVIDER_COLOUR`, `CERTPORTAL_PROVIDER_LOGO` (a PNG, JPEG or SVG file).
public enum GatewayCommand {
    public static func run() async -> Never {
        let command = ServiceCommand(name: "gateway", ownFlags: ["--catalog", "--stats", "--certificates", "--exports", "--web", "--public-url"], booleanFlags: ["--secure-cookies"])
        let environment = ProcessInfo.processInfo.environment
        guard let catalog = command.client("--catalog", compressed: false) else {
            ServiceCommand.exit(command.name, "--catalog HOST:PORT is required (catalog-service's address)", status: 2)
        }
        guard let stats = command.client("--stats", compressed: false) else {
            ServiceCommand.exit(command.name, "--stats HOST:PORT is required (stats-service's address)", status: 2)
        }
        guard let certificates = command.client("--certificates", compressed: false) else {
            ServiceCommand.exit(command.name, "--certificates HOST:PORT is required (cert-store's address)", status: 2)
        }
        var configuration = GatewayConfiguration()
        configuration.today = command.today
        configuration.webRoot = command.arguments.string("--web")
        configuration.secureCookies = command.arguments.flag("--secure-cookies")
        do {
            configuration.publicURL = try command.arguments.publicURL("--public-url", environment: environment)
        } catch {
            ServiceCommand.exit(command.name, error.description, status: 2)
        }
        if let name = environment["CERTPORTAL_PROVIDER_NAME"], !name.isEmpty { configuration.providerName = name }
        if let colour = environment["CERTPORTAL_PROVIDER_COLOUR"], !colour.isEmpty {
            guard colour.count == 7, colour.hasPrefix("#"), colour.dropFirst().allSatisfy(\.isHexDigit) else {
                ServiceCommand.exit(command.name, "CERTPORTAL_PROVIDER_COLOUR: must be a colour such as #1f5fa8; found \"\(colour)\"", status: 2)
            }
            configuration.providerColour = colour
        }
        if let logo = environment["CERTPORTAL_PROVIDER_LOGO"], !logo.isEmpty {
            guard let data = FileManager.default.contents(atPath: logo), data.count <= 2 << 20 else {
                ServiceCommand.exit(command.name, "CERTPORTAL_PROVIDER_LOGO: cannot read \(logo) (or it is over 2 MB)", status: 2)
            }
            let type = Assets.contentType(logo)
            guard type.hasPrefix("image/") else {
                ServiceCommand.exit(command.name, "CERTPORTAL_PROVIDER_LOGO: must be a .png, .jpg or .svg file; found \(logo)", status: 2)
            }
            configuration.providerLogo = ([UInt8](data), type)
        }
        let key: [UInt8]
        if let hex = environment["CERTPORTAL_SESSION_KEY"], !hex.isEmpty {
            guard let bytes = Hex.decode(hex), bytes.count == SecretBox.keyLength else {
                ServiceCommand.exit(command.name, "CERTPORTAL_SESSION_KEY: must be \(SecretBox.keyLength * 2) hex digits", status: 2)
            }
            key = bytes
        } else {
            command.log("no CERTPORTAL_SESSION_KEY: a new key for this process (log-ins end when it restarts)")
            key = SecretBox.generateKey()
        }
        let port = command.arguments.string("--port") == nil ? 8080 : command.configuration.port
        do {
            let gateway = try Gateway(configuration: configuration, sealer: try SessionSealer(key: key), catalog: catalog, stats: stats,
                                      certificates: certificates, exports: command.client("--exports", compressed: false))
            // Uploads reach 20 MB (streamed to cert-store as they arrive); JSON endpoints
            // refuse more than 1 MiB themselves.
            var limits = HTTPServerLimits()
            limits.maxBodyBytes = 21 << 20
            let server = try HTTPServer(host: command.configuration.host, port: port, limits: limits,
                                        streamsBody: { gateway.streamsBody($0) }) { request in
                await gateway.handle(request)
            }
            TerminationSignals.watch { _ in
                server.stop()
                exit(0)
            }
            FileHandle.standardOutput.write(Data("listening on \(command.configuration.host):\(server.port)\n".utf8))
            command.writeAddressFile(port: server.port)
            while true { try await Task.sleep(for: .seconds(3600)) }
        } catch {
            ServiceCommand.exit(command.name, "\(error)", status: 1)
        }
    }
}
