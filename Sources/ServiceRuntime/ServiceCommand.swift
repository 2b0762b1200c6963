public import Flags
public import RPC
public import Records
internal import Foundation
internal import CMalloc

/// What every service executable reads from its command line and environment, and how it
/// serves: flags `--host`, `--port`, `--data DIR`, `--mesh-token T` (or
/// `CERTPORTAL_MESH_TOKEN`), `--grace-ms N`, `--today YYYY-MM-DD` (or `CERTPORTAL_TODAY`),
/// plus the service's own.
public struct ServiceCommand: Sendable {
    public let name: String
    public let arguments: CommandLineArguments
    public var configuration = RPCServerConfiguration()
    /// Where the service keeps its files (default `$CERTPORTAL_DATA`, else `./certportal-data`).
    public let dataDirectory: String
    /// `today`, when pinned for tests and demos.
    public let today: CalendarDate?

    static let commonFlags: Set<String> = ["--host", "--port", "--data", "--mesh-token", "--grace-ms", "--today"]

    /// Parses the common flags and checks that nothing else but `ownFlags` was given;
    /// exits with status 2 and a clear message otherwise.
    public init(name: String, ownFlags: Set<String> = [], booleanFlags: Set<String> = []) {
        self.name = name
        Self.keepLargeBuffers()
        arguments = CommandLineArguments(CommandLine.arguments.dropFirst(), booleanFlags: booleanFlags)
        let environment = ProcessInfo.processInfo.environment
        do {
            try arguments.rejectUnknown(known: Self.commonFlags.union(ownFlags).union(booleanFlags))
            configuration.name = name
            configuration.host = arguments.string("--host") ?? "127.0.0.1"
            configuration.port = try arguments.integer("--port") ?? 0
            configuration.meshToken = arguments.string("--mesh-token") ?? environment["CERTPORTAL_MESH_TOKEN"]
            if let grace = try arguments.integer("--grace-ms") { configuration.shutdownGrace = .milliseconds(grace) }
            dataDirectory = arguments.string("--data") ?? environment["CERTPORTAL_DATA"] ?? "./certportal-data"
            if let text = arguments.string("--today") ?? environment["CERTPORTAL_TODAY"], !text.isEmpty {
                guard let date = CalendarDate(iso: text) else {
                    throw CommandLineArguments.Failure(description: "--today: must be a date such as 2026-03-02; found \"\(text)\"")
                }
                today = date
            } else {
                today = nil
            }
        } catch {
            Self.exit(name, "\(error)", status: 2)
        }
    }

    /// Buffers of up to 32 MiB (file chunks, whole files) come from the heap and their
    /// memory stays there for the next one, instead of each being mapped afresh and unmapped
    /// when freed (glibc's default past a few hundred kB): a new mapping costs a page fault
    /// and a zeroed page per 4 kB, more than the copy into it.
    static func keepLargeBuffers() {
        _ = cm_keep_large_buffers(32 << 20, 64 << 20)
    }

    /// The status clock: `--today` (pinned) in the provider's time zone, `--time-zone TZ`
    /// or `CERTPORTAL_TIME_ZONE` (default Europe/London); exits with status 2 on an
    /// unknown zone. Services that take `--time-zone` list it among their own flags.
    public func statusClock() -> StatusClock {
        var clock = StatusClock(pinnedToday: today)
        if let zone = arguments.string("--time-zone") ?? ProcessInfo.processInfo.environment["CERTPORTAL_TIME_ZONE"] {
            guard let timeZone = TimeZone(identifier: zone) else {
                Self.exit(name, "--time-zone: unknown time zone \"\(zone)\" (e.g. Europe/London)", status: 2)
            }
            clock.timeZone = timeZone
        }
        return clock
    }

    /// `--data`'s directory, created if missing, joined with `file`.
    public func dataFile(_ file: String) -> String {
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            Self.exit(name, "--data: cannot create \(dataDirectory): \(error.localizedDescription)", status: 1)
        }
        return (dataDirectory as NSString).appendingPathComponent(file)
    }

    /// Serves until SIGTERM or SIGINT; prints `listening on HOST:PORT` once it accepts calls.
    public func serve(_ services: [any RPCService]) async -> Never {
        let server = RPCServer(configuration: configuration, services: services)
        do {
            try await server.runUntilTerminated { port in
                // Supervisors and tests read this line to learn the port; commands such as
                // `certportal import` read the address file in the data directory.
                FileHandle.standardOutput.write(Data("listening on \(configuration.host):\(port)\n".utf8))
                writeAddressFile(port: port)
            }
        } catch {
            Self.exit(name, "\(error)", status: 1)
        }
        Foundation.exit(0)
    }

    /// `DIR/run/<name>.address`: where this service listens, for commands run on the same
    /// data directory.
    public static func addressFile(dataDirectory: String, service: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("run/\(service).address")
    }

    public func writeAddressFile(port: Int) {
        let path = Self.addressFile(dataDirectory: dataDirectory, service: name)
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("\(configuration.host):\(port)\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            log("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// A line on standard error, prefixed with the service's name.
    public func log(_ message: String) {
        FileHandle.standardError.write(Data("\(name): \(message)\n".utf8))
    }

    public static func exit(_ name: String, _ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("\(name): \(message)\n".utf8))
        Foundation.exit(status)
    }

    /// `HOST:PORT` of another service, from a flag.
    public func address(_ flag: String) -> (host: String, port: Int)? {
        guard let text = arguments.string(flag) else { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            Self.exit(name, "\(flag): must be HOST:PORT; found \"\(text)\"", status: 2)
        }
        return (String(text[..<colon]), port)
    }

    /// A client of another service, carrying this deployment's mesh token. `compressed`:
    /// ask for compressed responses (worth it across a slow network, not on loopback).
    /// `configure`: any other setting of the client.
    public func client(_ flag: String, compressed: Bool = true, configure: (inout RPCClientConfiguration) -> Void = { _ in }) -> RPCClient? {
        guard let address = address(flag) else { return nil }
        var client = RPCClientConfiguration(host: address.host, port: address.port)
        client.meshToken = configuration.meshToken
        client.acceptCompressedResponses = compressed
        configure(&client)
        return RPCClient(configuration: client)
    }
}
