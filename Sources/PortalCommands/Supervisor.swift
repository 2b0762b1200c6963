internal import Foundation
internal import Synchronization
internal import RPC
internal import Messages
#if canImport(Glibc)
internal import Glibc
#endif

/// One service `certportal up` runs: its executable's name (beside `certportal`), the
/// arguments of its own, what it adds to the environment, and how its health is checked.
struct ServiceSpec: Sendable {
    enum Health: Sendable {
        /// `certportal.health.v1.Health/Check` answers SERVING.
        case rpc
        /// `GET path` answers 200.
        case http(path: String)
    }

    let name: String
    let arguments: [String]
    var environment: [String: String] = [:]
    let health: Health
}

/// The wait before restarting a service that exited: 0.5 s, doubling to 30 s while it keeps
/// failing, back to 0.5 s once a run stayed up 60 s.
struct RestartBackoff {
    static let first: Duration = .milliseconds(500)
    static let limit: Duration = .seconds(30)
    static let stableUptime: Duration = .seconds(60)

    private var coming = first

    /// The delay before the next start, after a run that lasted `uptime`.
    mutating func next(uptime: Duration) -> Duration {
        if uptime >= Self.stableUptime { coming = Self.first }
        defer { coming = min(coming * 2, Self.limit) }
        return coming
    }
}

/// Why `certportal up` gave up: a message naming the service, and the tail of its log.
struct UpFailure: Error, CustomStringConvertible {
    let description: String
}

/// Starts the services as child processes in order, waits for each to be healthy, restarts
/// one that exits (exponential back-off: 0.5 s doubling to 30 s, reset once it stayed up
/// 60 s), and stops them in reverse order (SIGTERM, then SIGKILL after 10 s).
final class Supervisor: Sendable {
    private struct Child {
        let spec: ServiceSpec
        let executable: String
        var process: ChildProcess?
        /// Restarted when it exits: set once its first start was healthy.
        var supervised = false
        var backoff = RestartBackoff()
    }

    private struct State {
        var children: [String: Child] = [:]
        var order: [String] = []
        var stopping = false
    }

    static let stopGrace: Duration = .seconds(10)

    private let state = Mutex(State())
    /// Resolved once every child is stopped.
    let stopped = OneShot<Bool>()
    let portal: RunningPortal
    let environment: [String: String]
    let meshToken: String
    let startTimeout: Duration
    let say: @Sendable (String) -> Void

    init(portal: RunningPortal, environment: [String: String], meshToken: String, startTimeout: Duration = .seconds(60),
         say: @escaping @Sendable (String) -> Void) {
        self.portal = portal
        self.environment = environment
        self.meshToken = meshToken
        self.startTimeout = startTimeout
        self.say = say
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    func logPath(_ name: String) -> String {
        (portal.dataDirectory as NSString).appendingPathComponent("logs/\(name).log")
    }

    func pidPath(_ name: String) -> String { portal.runFile("\(name).pid") }

    /// Starts `spec` and waits until it says where it listens and is healthy; returns its address.
    func start(_ spec: ServiceSpec, executable: String) async throws(UpFailure) -> String {
        state.withLock { state in
            state.children[spec.name] = Child(spec: spec, executable: executable)
            state.order.append(spec.name)
        }
        say("starting \(spec.name)…")
        let process = try launch(spec.name)
        let address = try await waitUntilServing(spec, process)
        state.withLock { $0.children[spec.name]?.supervised = true }
        return address
    }

    private func launch(_ name: String) throws(UpFailure) -> ChildProcess {
        let process = try state.withLock { state throws(UpFailure) -> ChildProcess in
            guard !state.stopping else { throw UpFailure(description: "stopping") }
            guard let child = state.children[name] else { throw UpFailure(description: "\(name): unknown service") }
            var environment = self.environment
            environment.merge(child.spec.environment) { $1 }
            do {
                let process = try ChildProcess(executable: child.executable, arguments: child.spec.arguments,
                                               environment: environment, logPath: logPath(name)) { [self] process, status in
                    exited(name, process, status)
                }
                state.children[name]?.process = process
                return process
            } catch {
                throw UpFailure(description: "\(name): \(error)")
            }
        }
        try? Data("\(process.pid)\n".utf8).write(to: URL(fileURLWithPath: pidPath(name)), options: .atomic)
        return process
    }

    private func waitUntilServing(_ spec: ServiceSpec, _ process: ChildProcess) async throws(UpFailure) -> String {
        let deadline = ContinuousClock.now + startTimeout
        switch await process.announced.wait(timeout: startTimeout) {
        case .listening(let address)?:
            if await healthy(spec, address: address, until: deadline) {
                // The service writes it too, but only after announcing: a command run as soon
                // as `up` says the portal is ready must find it.
                try? Data("\(address)\n".utf8).write(to: URL(fileURLWithPath: portal.runFile("\(spec.name).address")), options: .atomic)
                return address
            }
            process.signal(SIGKILL)
            throw failure(spec.name, "listens on \(address) but is not healthy within \(startTimeout)")
        case .said(let line)?:
            process.signal(SIGKILL)
            throw failure(spec.name, "did not say where it listens; its first line was \"\(line)\"")
        case .exited(let status)?:
            throw failure(spec.name, "exited (\(status)) before it was listening")
        case nil:
            process.signal(SIGKILL)
            throw failure(spec.name, "did not say where it listens within \(startTimeout)")
        }
    }

    private func failure(_ name: String, _ problem: String) -> UpFailure {
        let log = (try? String(contentsOfFile: logPath(name), encoding: .utf8)) ?? ""
        let tail = log.split(separator: "\n", omittingEmptySubsequences: false).suffix(21).joined(separator: "\n")
        return UpFailure(description: "\(name) \(problem). The end of \(logPath(name)):\n\(tail)")
    }

    /// Polls the service's health until it is serving or `deadline` passes.
    private func healthy(_ spec: ServiceSpec, address: String, until deadline: ContinuousClock.Instant) async -> Bool {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return false }
        let host = String(address[..<colon])
        let client = RPCClient(host: host, port: port, meshToken: meshToken)
        defer { client.close() }
        while ContinuousClock.now < deadline, !isStopping {
            switch spec.health {
            case .rpc:
                let response = try? await client.unary(Certportal_Health_V1_Health.check, .init(), options: CallOptions(timeout: .seconds(2)))
                if response?.status == .serving { return true }
            case .http(let path):
                if await HTTPProbe.status(host: host, port: port, path: path) == 200 { return true }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Runs on the thread that waited for the child.
    private func exited(_ name: String, _ process: ChildProcess, _ status: ExitStatus) {
        let delay = state.withLock { state -> Duration? in
            guard var child = state.children[name], child.process === process else { return nil }
            child.process = nil
            defer { state.children[name] = child }
            guard child.supervised, !state.stopping else { return nil }
            return child.backoff.next(uptime: ContinuousClock.now - process.started)
        }
        guard let delay else { return }
        say("\(name) exited (\(status)); restarting in \(Self.seconds(delay)) s")
        Task { await restart(name, after: delay) }
    }

    private func restart(_ name: String, after delay: Duration) async {
        try? await Task.sleep(for: delay)
        guard let spec = state.withLock({ $0.stopping ? nil : $0.children[name]?.spec }) else { return }
        do {
            let process = try launch(name)
            let address = try await waitUntilServing(spec, process)
            say("\(name) is back on \(address)")
        } catch where isStopping {
            return
        } catch {
            // An exit is restarted again by `exited`; say why this start failed.
            say("\(name) did not come back: \(error)")
        }
    }

    /// Stops every child, last started first; returns once all are gone. Idempotent.
    func stop() async {
        let first = state.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else {
            _ = await stopped.wait()
            return
        }
        let running = state.withLock { state in
            state.order.reversed().compactMap { name in state.children[name]?.process.map { (name, $0) } }
        }
        for (name, process) in running {
            say("stopping \(name) (pid \(process.pid)): SIGTERM")
            process.signal(SIGTERM)
            if await process.exited.wait(timeout: Self.stopGrace) == nil {
                say("\(name) did not stop within \(Self.seconds(Self.stopGrace)) s: SIGKILL")
                process.signal(SIGKILL)
                _ = await process.exited.wait(timeout: .seconds(10))
            }
            try? FileManager.default.removeItem(atPath: pidPath(name))
            try? FileManager.default.removeItem(atPath: portal.runFile("\(name).address"))
        }
        say("stopped")
        stopped.resolve(true)
    }

    static func seconds(_ duration: Duration) -> String {
        let components = duration.components
        return String(format: "%.1f", Double(components.seconds) + Double(components.attoseconds) / 1e18)
    }
}
