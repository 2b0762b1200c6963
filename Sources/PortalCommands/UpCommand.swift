public import Flags
internal import RPC
internal import Messages
internal import DemoData
internal import Records
internal import Dispatch
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// `certportal up [--data DIR] [--port N] [--today YYYY-MM-DD] [--demo]`: starts every
/// service and the gateway on loopback, waits until all are healthy, prints the portal's
/// URL and each service's address, keeps them running and stops them on SIGINT/SIGTERM.
public enum UpCommand {
    public static let usage = """
        usage: certportal up [--data DIR] [--port N] [--today YYYY-MM-DD] [--demo] [--smtp URL] [--mail-from "Name <address>"]
          --data       holds every database, file and log (default $CERTPORTAL_DATA, else ./certportal-data)
          --port       the gateway's port on 127.0.0.1 (default 8080; 0 picks a free one)
          --today      pins today for every service (default $CERTPORTAL_TODAY, else the real date)
          --demo       first loads the 500-record demo data set and the demo logins
          --smtp       the provider's SMTP server, smtp://[user@]host[:port][?security=starttls|tls|none]
                       (default $CERTPORTAL_SMTP; the password from $CERTPORTAL_SMTP_PASSWORD);
                       without one, e-mails wait in the outbox
          --mail-from  the e-mails' sender (default $CERTPORTAL_MAIL_FROM)
        Logs: DIR/logs/<service>.log. Stop with Ctrl-C (or SIGTERM): the services stop in reverse order.
        """

    /// The services, in start order: the one table of them. An executable not built beside
    /// `certportal` is skipped with a warning.
    static func services(_ ports: LoopbackPorts, sessionKey: String, mail: [String] = []) throws -> [ServiceSpec] {
        let catalog = try ports.address("catalog-service")
        let certificates = try ports.address("cert-store")
        let stats = try ports.address("stats-service")
        let gateway = try ports.address("gateway")
        return [
            ServiceSpec(name: "catalog-service", arguments: [], health: .rpc),
            // QR codes on certificates point at the gateway's verification page.
            ServiceSpec(name: "cert-store", arguments: ["--catalog", catalog, "--public-url", "http://\(gateway)"], health: .rpc),
            ServiceSpec(name: "stats-service", arguments: ["--catalog", catalog, "--certificates", certificates], health: .rpc),
            ServiceSpec(name: "export-service", arguments: ["--stats", stats, "--certificates", certificates, "--portal-url", "http://\(gateway)"] + mail,
                        health: .rpc),
            ServiceSpec(name: "gateway", arguments: ["--catalog", catalog, "--stats", stats, "--certificates", certificates,
                                                     "--exports", try ports.address("export-service")],
                        environment: ["CERTPORTAL_SESSION_KEY": sessionKey], health: .http(path: "/api/health")),
        ]
    }

    /// The demo logins (PRODUCT.md, "Commands"): email, password, account.
    static let demoAccounts: [(password: String, account: Certportal_Catalog_V1_Account)] = [
        ("demo-admin", .init(email: "admin@example.com", role: "admin")),
        ("demo-orgrep", .init(email: "orgrep@example.com", role: "orgrep", organisationID: DemoData.demoOrganisationID)),
        ("demo-booker", .init(email: "booker@example.com", role: "booker", bookerID: DemoData.demoBookerID)),
    ]

    public static func run(_ arguments: CommandLineArguments) async -> Int32 {
        let portal = RunningPortal(arguments)
        let gatewayPort: Int
        let today: CalendarDate
        do {
            try arguments.rejectUnknown(known: ["--data", "--port", "--today", "--demo", "--smtp", "--mail-from"])
            guard arguments.positional.count == 1 else { throw CommandLineArguments.Failure(description: "unexpected \"\(arguments.positional[1])\"") }
            gatewayPort = try arguments.integer("--port") ?? 8080
            guard (0...65535).contains(gatewayPort) else { throw CommandLineArguments.Failure(description: "--port: must be 0...65535; found \(gatewayPort)") }
            today = try TodayOption.resolve(arguments)
        } catch {
            return fail("\(error)\n\(usage)", status: 2)
        }
        do {
            return try await up(portal, arguments: arguments, gatewayPort: gatewayPort, today: today)
        } catch {
            return fail("\(error)", status: 1)
        }
    }

    private static func up(_ portal: RunningPortal, arguments: CommandLineArguments, gatewayPort: Int, today: CalendarDate) async throws -> Int32 {
        let data = portal.dataDirectory
        for directory in [data, "\(data)/run", "\(data)/logs"] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw UpFailure(description: "--data: cannot create \(directory): \(error.localizedDescription)")
            }
        }
        let lock = try lockDataDirectory(portal)
        defer { close(lock) }
        let meshToken = randomHex(bytes: 32)
        var environment = ProcessInfo.processInfo.environment
        environment["CERTPORTAL_MESH_TOKEN"] = meshToken
        let supervisor = Supervisor(portal: portal, environment: environment, meshToken: meshToken, say: say)
        // Watched from here on: a SIGTERM while starting stops what was started.
        let signals = watchSignals(supervisor)
        defer { signals.forEach { $0.cancel() } }
        await stopLeftovers(portal)

        try writeSecret(meshToken, to: portal.runFile("mesh-token"))
        let sessionKeyPath = portal.runFile("session-key")
        var sessionKey = (try? String(contentsOfFile: sessionKeyPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if sessionKey.utf8.count != 64 || !sessionKey.allSatisfy(\.isHexDigit) {
            sessionKey = randomHex(bytes: 32)
        }
        // Rewritten even when kept, so its mode is 0600 again.
        try writeSecret(sessionKey, to: sessionKeyPath)

        let ports = LoopbackPorts()
        do {
            try ports.reserve("gateway", port: gatewayPort)
        } catch {
            throw UpFailure(description: "--port \(gatewayPort): the gateway's \(error); pick another with --port N (0: a free one)")
        }
        var mail: [String] = []
        for flag in ["--smtp", "--mail-from"] {
            if let value = arguments.string(flag) { mail += [flag, value] }
        }
        let table = try services(ports, sessionKey: sessionKey, mail: mail)
        let directory = executableDirectory()
        var common = ["--data", data]
        if let text = arguments.string("--today") { common += ["--today", text] }
        var specs: [(ServiceSpec, String, Int)] = []
        for spec in table {
            let executable = (directory as NSString).appendingPathComponent(spec.name)
            guard FileManager.default.isExecutableFile(atPath: executable) else {
                FileHandle.standardError.write(Data("certportal up: warning: \(spec.name) is not built (no \(executable)); starting without it\n".utf8))
                continue
            }
            let port = try ports.port(spec.name)
            specs.append((ServiceSpec(name: spec.name, arguments: common + ["--port", "\(port)"] + spec.arguments,
                                      environment: spec.environment, health: spec.health), executable, port))
        }
        ports.release()

        var addresses: [(String, String)] = []
        do {
            var demoSeq: UInt64 = 0
            for (spec, executable, _) in specs {
                let address = try await supervisor.start(spec, executable: executable)
                addresses.append((spec.name, address))
                say("\(spec.name) is up on \(address)")
                if spec.name == "catalog-service", arguments.flag("--demo") {
                    demoSeq = try await loadDemo(portal, address: address, meshToken: meshToken, today: today)
                }
                if spec.name == "stats-service", arguments.flag("--demo"),
                   let certificates = addresses.first(where: { $0.0 == "cert-store" })?.1 {
                    try await DemoCertificates.issue(stats: try portal.catalogAddress(address), certificates: try portal.catalogAddress(certificates),
                                                     meshToken: meshToken, catalogSeq: demoSeq)
                }
            }
        } catch where supervisor.isStopping {
            _ = await supervisor.stopped.wait()
            return 0
        } catch {
            _ = fail("\(error)", status: 1)
            await supervisor.stop()
            return 1
        }

        var lines: [String] = []
        if let gateway = specs.first(where: { $0.0.name == "gateway" }) {
            lines.append("portal: http://127.0.0.1:\(gateway.2)/")
        } else {
            lines.append("portal: not started (the gateway is not built); the services run without it")
        }
        for (name, address) in addresses { lines.append("  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(address)") }
        lines.append("  data             \(data) (logs in \(data)/logs)")
        if arguments.flag("--demo") {
            lines.append("demo logins (demo only):")
            for (password, account) in demoAccounts {
                lines.append("  \(account.email.padding(toLength: 20, withPad: " ", startingAt: 0)) \(password)")
            }
        }
        lines.append("Ctrl-C stops the portal.")
        say(lines.joined(separator: "\n"))
        _ = await supervisor.stopped.wait()
        return 0
    }

    /// The 500-record demo data set around `today`, imported through catalog-service (a
    /// re-run changes nothing), and the demo logins. Returns the catalog feed's position.
    private static func loadDemo(_ portal: RunningPortal, address: String, meshToken: String, today: CalendarDate) async throws -> UInt64 {
        say("demo: generating 500 records around \(today)…")
        var bytes: [UInt8] = []
        DemoData.generate(DemoDataPlan(records: 500, today: today)) { bytes += $0 }
        let catalog = try portal.catalogAddress(address)
        var configuration = RPCClientConfiguration(host: catalog.host, port: catalog.port)
        configuration.meshToken = meshToken
        configuration.defaultTimeout = .seconds(300)
        let client = RPCClient(configuration: configuration)
        defer { client.close() }
        say("demo: importing \(bytes.count / 1024) KiB of records into catalog-service…")
        let chunks = ChunkQueue(bytes, size: ImportCommand.chunkSize)
        let result = try await CatalogCalls.importRecords(client) { chunks.next() }
        guard result.accepted else {
            let first = result.problems.first.map { "line \($0.line), \($0.column): \($0.reason)" } ?? ""
            throw UpFailure(description: "demo: catalog-service refused the demo data (\(result.problemsTotal) problems; \(first))")
        }
        say("demo: \(result.rows) records: \(result.inserted) new, \(result.updated) updated, \(result.unchanged) unchanged")
        for (password, account) in demoAccounts {
            let response = try await CatalogCalls.putAccount(client, account, password: password)
            say("demo: login \(account.email) (principal \(response.principal))")
        }
        return result.seq
    }

    /// SIGINT and SIGTERM on a queue of their own: stop the children, then `run` returns 0.
    private static func watchSignals(_ supervisor: Supervisor) -> [any DispatchSourceSignal] {
        let queue = DispatchQueue(label: "certportal.up.signals")
        signal(SIGPIPE, SIG_IGN)
        return [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if supervisor.isStopping { return }
                say("certportal up: \(number == SIGINT ? "SIGINT" : "SIGTERM"): stopping the services")
                Task { await supervisor.stop() }
            }
            source.resume()
            return source
        }
    }

    /// One `certportal up` per data directory: an exclusive lock on `DIR/run/up.lock`.
    private static func lockDataDirectory(_ portal: RunningPortal) throws -> Int32 {
        let path = portal.runFile("up.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw UpFailure(description: "--data: cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw UpFailure(description: "--data: another certportal up (pid \(holder)) is running on \(portal.dataDirectory)")
        }
        _ = ftruncate(fd, 0)
        ChildProcess.writeAll(fd, Array("\(getpid())\n".utf8))
        return fd
    }

    /// Services an earlier `certportal up` on this directory left running (it was killed):
    /// stopped first, so they do not hold the databases.
    private static func stopLeftovers(_ portal: RunningPortal) async {
        let run = (portal.dataDirectory as NSString).appendingPathComponent("run")
        for file in (try? FileManager.default.contentsOfDirectory(atPath: run)) ?? [] where file.hasSuffix(".pid") {
            let name = String(file.dropLast(4))
            let path = (run as NSString).appendingPathComponent(file)
            defer { try? FileManager.default.removeItem(atPath: path) }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
                  let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"),
                  (exe as NSString).lastPathComponent == name else { continue }
            say("stopping \(name) (pid \(pid)), left running by an earlier certportal up")
            kill(pid, SIGTERM)
            let end = ContinuousClock.now + Supervisor.stopGrace
            while kill(pid, 0) == 0 {
                if ContinuousClock.now > end { kill(pid, SIGKILL) }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Where `certportal` itself lives: the services are built beside it.
    static func executableDirectory() -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (path as NSString).deletingLastPathComponent
    }

    static func randomHex(bytes count: Int) -> String {
        // SystemRandomNumberGenerator is the kernel's CSPRNG (getrandom).
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Writes a secret readable by its owner only (0600), atomically.
    static func writeSecret(_ text: String, to path: String) throws {
        let temporary = "\(path).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw UpFailure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        _ = fchmod(fd, 0o600)
        ChildProcess.writeAll(fd, Array("\(text)\n".utf8))
        close(fd)
        guard rename(temporary, path) == 0 else { throw UpFailure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// A line (or lines) on standard output, written at once (unbuffered).
    @Sendable static func say(_ text: String) {
        FileHandle.standardOutput.write(Data("\(text)\n".utf8))
    }

    static func fail(_ message: String, status: Int32) -> Int32 {
        FileHandle.standardError.write(Data("certportal up: \(message)\n".utf8))
        return status
    }
}

/// Hands out a byte array in chunks, for a streamed import from memory.
final class ChunkQueue: @unchecked Sendable {
    // @unchecked: used by one task at a time (the import's writer loop).
    private let bytes: [UInt8]
    private let size: Int
    private var offset = 0

    init(_ bytes: [UInt8], size: Int) {
        self.bytes = bytes
        self.size = size
    }

    func next() -> [UInt8]? {
        guard offset < bytes.count else { return nil }
        defer { offset = min(offset + size, bytes.count) }
        return Array(bytes[offset..<min(offset + size, bytes.count)])
    }
}
