import Foundation
import Testing
import RPC
import RPCTesting
import Messages
@testable import PortalCommands
#if canImport(Glibc)
import Glibc
#endif

@Suite struct UpCommandTests {
    /// `certportal up --demo` starts the services, loads the demo, restarts a killed service
    /// on its port, and stops everything on SIGTERM with status 0.
    @Test func upDemoRestartAndStop() async throws {
        let data = temporaryDirectory("up")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let up = try CommandProcess(["up", "--demo", "--data", data, "--port", "0", "--today", "2026-06-15"])
        guard let portal = await up.line(timeout: .seconds(180), where: { $0.hasPrefix("portal:") }) else {
            Issue.record("no portal: line; said:\n\(up.standardOutput)\n\(up.standardError)")
            kill(up.process.processIdentifier, SIGKILL)
            return
        }
        let portalRun = RunningPortal(dataDirectory: data)

        // The gateway, once it is built: the exact URL line, and its health.
        if FileManager.default.isExecutableFile(atPath: ServiceProcess.executable("gateway").path) {
            let match = portal.wholeMatch(of: /portal: http:\/\/127\.0\.0\.1:(\d+)\//)
            #expect(match != nil, "\(portal)")
            if let match, let port = Int(match.1) {
                #expect(await HTTPProbe.status(port: port, path: "/api/health") == 200)
            }
        }

        for name in ["catalog-service", "stats-service", "export-service"] {
            #expect(FileManager.default.fileExists(atPath: portalRun.runFile("\(name).address")), "\(name)")
        }
        let meshToken = try #require(portalRun.meshToken)
        #expect(meshToken.count == 64)
        let attributes = try FileManager.default.attributesOfItem(atPath: portalRun.runFile("session-key"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        // The demo logins work, and `user add` creates one through the running catalog.
        let catalogAddress = try portalRun.catalogAddress(nil)
        let catalog = RPCClient(host: catalogAddress.host, port: catalogAddress.port, meshToken: meshToken)
        defer { catalog.close() }
        var login = Certportal_Catalog_V1_AuthenticateRequest()
        login.email = "orgrep@example.com"
        login.password = "demo-orgrep"
        #expect(try await catalog.unary(Certportal_Catalog_V1_Catalog.authenticate, login).principal == "orgrep:ORG-0001")
        let added = try await CommandProcess.run(["user", "add", "New.Booker@example.com", "--role", "booker", "--booker", "BKR-0002",
                                                  "--password-stdin", "--data", data], standardInput: "a long password\n")
        #expect(added.status == 0, "\(added.errors)")
        #expect(added.output.contains("user new.booker@example.com: role booker"), "\(added.output)")
        login.email = "new.booker@example.com"
        login.password = "a long password"
        #expect(try await catalog.unary(Certportal_Catalog_V1_Catalog.authenticate, login).principal == "booker:BKR-0002")

        // A killed stats-service comes back on the same port.
        let statsAddress = try String(contentsOfFile: portalRun.runFile("stats-service.address"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let statsPID = try #require(pid_t(String(contentsOfFile: portalRun.runFile("stats-service.pid"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(statsPID, SIGKILL) == 0)
        let back = await up.line(timeout: .seconds(60)) { $0 == "stats-service is back on \(statsAddress)" }
        #expect(back != nil, "said:\n\(up.standardOutput)")
        #expect(up.lines.contains { $0.hasPrefix("stats-service exited (status 9") })
        let statsPort = try #require(Int(statsAddress.split(separator: ":").last ?? ""))
        let stats = RPCClient(port: statsPort, meshToken: meshToken)
        defer { stats.close() }
        #expect(try await stats.unary(Certportal_Health_V1_Health.check, .init()).status == .serving)

        // SIGTERM: every child stops, then the supervisor exits 0.
        let pids = try FileManager.default.contentsOfDirectory(atPath: (data as NSString).appendingPathComponent("run"))
            .filter { $0.hasSuffix(".pid") }
            .compactMap { pid_t((try? String(contentsOfFile: portalRun.runFile($0), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") }
        #expect(pids.count >= 2)
        kill(up.process.processIdentifier, SIGTERM)
        #expect(await up.exitStatus() == 0, "said:\n\(up.standardOutput)\n\(up.standardError)")
        for pid in pids {
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "pid \(pid) still runs")
        }
        #expect(up.lines.contains("stopped"))
    }

    @Test func upRefusesATakenPort() async throws {
        let ports = LoopbackPorts()
        try ports.reserve("taken", port: 0)
        let port = try ports.port("taken")
        let data = temporaryDirectory("up-port")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let result = try await CommandProcess.run(["up", "--data", data, "--port", "\(port)"])
        #expect(result.status == 1)
        #expect(result.errors.contains("--port \(port)"), "\(result.errors)")
        ports.release()
    }

    /// Picked below the ephemeral range, so no process binding port 0 can take one in the
    /// moment between the pick and the service's own bind.
    @Test func portsArePickedBelowTheEphemeralRange() throws {
        let ports = LoopbackPorts()
        defer { ports.release() }
        let low = LoopbackPorts.ephemeralLow()
        let picked = try (0..<8).map { try ports.port("service-\($0)") }
        #expect(Set(picked).count == picked.count)
        #expect(picked.allSatisfy { $0 >= 1024 && $0 < low }, "\(picked) (ephemeral from \(low))")
    }

    @Test func upRefusesADataDirectoryItCannotCreate() async throws {
        let result = try await CommandProcess.run(["up", "--data", "/proc/certportal-no-such-place", "--port", "0"])
        #expect(result.status == 1)
        #expect(result.errors.contains("--data: cannot create /proc/certportal-no-such-place"), "\(result.errors)")
    }

    @Test func upRejectsBadFlags() async throws {
        let result = try await CommandProcess.run(["up", "--port", "eighty"])
        #expect(result.status == 2)
        #expect(result.errors.contains("--port"), "\(result.errors)")
    }
}

@Suite struct UserCommandTests {
    /// Each bad invocation exits 2 with a message naming the flag, before touching the portal.
    @Test(arguments: [
        (["user", "add", "rep@example.com", "--role", "wizard", "--password-stdin"], "--role"),
        (["user", "add", "rep@example.com", "--password-stdin"], "--role"),
        (["user", "add", "rep@example.com", "--role", "orgrep", "--password-stdin"], "--organisation"),
        (["user", "add", "rep@example.com", "--role", "booker", "--password-stdin"], "--booker"),
        (["user", "add", "rep@example.com", "--role", "admin", "--organisation", "ORG-1", "--password-stdin"], "--organisation"),
        (["user", "add", "not-an-email", "--role", "admin", "--password-stdin"], "EMAIL"),
        (["user", "add", "rep@example.com", "--role", "admin"], "--password-stdin"),
        (["user", "add", "rep@example.com", "--role", "admin", "--colour", "red", "--password-stdin"], "--colour"),
    ])
    func badFlags(arguments: [String], flag: String) async throws {
        let data = temporaryDirectory("user")
        let result = try await CommandProcess.run(arguments + ["--data", data], standardInput: "a long password\n")
        #expect(result.status == 2)
        #expect(result.errors.contains("certportal user: \(flag)"), "\(result.errors)")
    }

    @Test func emptyPasswordIsRefused() async throws {
        let result = try await CommandProcess.run(["user", "add", "rep@example.com", "--role", "admin", "--password-stdin",
                                                   "--data", temporaryDirectory("user")], standardInput: "\n")
        #expect(result.status == 2)
        #expect(result.errors.contains("empty"), "\(result.errors)")
    }

    @Test func notRunningSaysStartThePortal() async throws {
        let data = temporaryDirectory("user")
        let result = try await CommandProcess.run(["user", "add", "rep@example.com", "--role", "admin", "--password-stdin",
                                                   "--data", data], standardInput: "a long password\n")
        #expect(result.status == 1)
        #expect(result.errors.contains("start the portal first: certportal up --data \(data)"), "\(result.errors)")
    }

    @Test func emailShape() {
        #expect(UserCommand.looksLikeEmail("a.b@example.co.uk"))
        for bad in ["", "a", "@example.com", "a@", "a@example", "a@@example.com", "a b@example.com", "a@example..com"] {
            #expect(!UserCommand.looksLikeEmail(bad), "\(bad)")
        }
    }
}

@Suite struct RestartBackoffTests {
    @Test func doublesToThirtySecondsAndResetsAfterAMinuteUp() {
        var backoff = RestartBackoff()
        let delays = (0..<9).map { _ in backoff.next(uptime: .seconds(1)) }
        #expect(delays == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30), .seconds(30)])
        #expect(backoff.next(uptime: .seconds(60)) == .milliseconds(500))
        #expect(backoff.next(uptime: .seconds(59)) == .seconds(1))
    }
}
