public import Flags
internal import RPC
internal import Messages
internal import Foundation

/// `certportal load …`: the command-line face of `LoadRun`.
public enum LoadCommand {
    public static let usage = """
    certportal load --port N --method /package.Service/Method [options]
      --host H               server address (default 127.0.0.1)
      --shape S              unary | server-streaming | client-streaming | bidi (default unary)
      --request-hex HEX      the request message, protobuf bytes in hex
      --request-file F       the request message, protobuf bytes from a file
      --test-payload N       a TestService SimpleRequest/StreamingOutputCallRequest with N-byte payloads
      --messages N           requests per call for client-streaming and bidi (default 1)
      --connections N        connections to the server (default 1)
      --concurrency N        calls in flight (default 1)
      --rate R               open loop at R calls/s (latency from each call's due time)
      --duration S           seconds to run (default 10)
      --warmup S             seconds of unmeasured calls first (default 0)
      --timeout-ms N         each call's deadline
      --metadata k=v         extra call metadata (repeatable as k=v,k2=v2)
      --mesh-token T         the deployment's mesh token (or CERTPORTAL_MESH_TOKEN)
      --watch-pid PID        report that process's peak memory (RSS) during the run (Linux)
      --uncompressed         ask for responses uncompressed (as the portal's services do)
      --json                 print the report as JSON
    certportal load raw-echo-server --port N
    certportal load raw-echo --port N [--payload N] [--duration S]
    """

    static let known: Set<String> = [
        "--host", "--port", "--method", "--shape", "--request-hex", "--request-file", "--test-payload",
        "--messages", "--connections", "--concurrency", "--rate", "--duration", "--warmup", "--timeout-ms",
        "--metadata", "--mesh-token", "--json", "--payload", "--watch-pid", "--uncompressed",
    ]

    /// Runs the command; returns the process exit status.
    public static func run(_ arguments: CommandLineArguments) async -> Int32 {
        do {
            try arguments.rejectUnknown(known: known)
            guard let port = try arguments.integer("--port") else { throw CommandLineArguments.Failure(description: "--port: required") }
            let seconds = try arguments.double("--duration") ?? 10
            guard seconds > 0 else { throw CommandLineArguments.Failure(description: "--duration: must be above 0 seconds") }
            let duration = Duration.seconds(seconds)
            switch arguments.positional.dropFirst().first {
            case "raw-echo-server":
                try RawEcho.serve(port: port)
            case "raw-echo":
                let size = try arguments.integer("--payload") ?? 100
                let histogram = try await runBlockingMeasure(port: port, size: size, duration: duration)
                var report = LoadReport()
                report.latency = histogram
                report.calls = histogram.count
                report.elapsed = duration
                print(arguments.flag("--json") ? json(report, path: "raw-echo") : report.summary(title: "raw TCP echo, \(size)-byte payload, one at a time"))
                return 0
            case nil:
                break
            case let other?:
                throw CommandLineArguments.Failure(description: "load \(other): unknown subcommand")
            }
            let plan = try makePlan(arguments, duration: duration)
            var configuration = RPCClientConfiguration(host: arguments.string("--host") ?? "127.0.0.1", port: port)
            configuration.connections = try positive(arguments, "--connections") ?? 1
            configuration.meshToken = arguments.string("--mesh-token") ?? ProcessInfo.processInfo.environment["CERTPORTAL_MESH_TOKEN"]
            configuration.defaultTimeout = nil
            configuration.acceptCompressedResponses = !arguments.flag("--uncompressed")
            let client = RPCClient(configuration: configuration)
            defer { client.close() }
            let report = try await LoadRun(client: client, plan: plan).run()
            if arguments.flag("--json") {
                print(json(report, path: plan.path))
            } else {
                let mode = plan.rate.map { "open loop at \($0) calls/s" } ?? "closed loop"
                print(report.summary(title: "\(plan.path) (\(plan.shape.rawValue)), \(configuration.connections) connections, \(plan.concurrency) in flight, \(mode)"))
            }
            return report.calls > 0 && report.failures.isEmpty ? 0 : 1
        } catch {
            FileHandle.standardError.write(Data("certportal load: \(error)\n\n\(usage)\n".utf8))
            return 2
        }
    }

    private static func runBlockingMeasure(port: Int, size: Int, duration: Duration) async throws -> Histogram {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try RawEcho.measure(port: port, payloadSize: size, duration: duration) })
            }
            thread.start()
        }
    }

    static func makePlan(_ arguments: CommandLineArguments, duration: Duration) throws -> LoadPlan {
        guard let path = arguments.string("--method"), path.hasPrefix("/"), path.dropFirst().contains("/") else {
            throw CommandLineArguments.Failure(description: "--method: required, as /package.Service/Method")
        }
        let shapeName = arguments.string("--shape") ?? "unary"
        guard let shape = LoadPlan.Shape(rawValue: shapeName) else {
            throw CommandLineArguments.Failure(description: "--shape: \"\(shapeName)\" is not one of \(LoadPlan.Shape.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let request: [UInt8]
        if let hex = arguments.string("--request-hex") {
            guard let bytes = Hex.decode(hex) else { throw CommandLineArguments.Failure(description: "--request-hex: not an even-length hex string") }
            request = bytes
        } else if let file = arguments.string("--request-file") {
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandLineArguments.Failure(description: "--request-file: cannot read \(file)") }
            request = Array(data)
        } else if let size = try arguments.integer("--test-payload") {
            request = testRequest(shape: shape, size: size)
        } else {
            request = []
        }
        var plan = LoadPlan(path: path, request: request)
        plan.shape = shape
        plan.duration = duration
        plan.warmup = .seconds(try arguments.double("--warmup") ?? 0)
        plan.concurrency = try positive(arguments, "--concurrency") ?? 1
        plan.messagesPerCall = try positive(arguments, "--messages") ?? 1
        plan.rate = try arguments.double("--rate")
        if let rate = plan.rate, rate <= 0 { throw CommandLineArguments.Failure(description: "--rate: must be above 0") }
        if let ms = try arguments.integer("--timeout-ms") { plan.options.timeout = .milliseconds(ms) }
        if let pid = try positive(arguments, "--watch-pid") {
            guard let pid = Int32(exactly: pid) else { throw CommandLineArguments.Failure(description: "--watch-pid: \(pid) is not a process id") }
            plan.watchPID = pid
        }
        for pair in (arguments.string("--metadata") ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw CommandLineArguments.Failure(description: "--metadata: \"\(pair)\" is not key=value") }
            plan.options.metadata.add(String(parts[0]), String(parts[1]))
        }
        return plan
    }

    /// A whole number of at least 1, or nil when the flag is absent.
    static func positive(_ arguments: CommandLineArguments, _ name: String) throws -> Int? {
        guard let value = try arguments.integer(name) else { return nil }
        guard value >= 1 else { throw CommandLineArguments.Failure(description: "\(name): must be at least 1, not \(value)") }
        return value
    }

    /// A TestService request asking for `size`-byte responses and carrying `size` bytes.
    static func testRequest(shape: LoadPlan.Shape, size: Int) -> [UInt8] {
        var payload = Certportal_Testing_V1_Payload()
        payload.body = [UInt8](repeating: 0x61, count: size)
        switch shape {
        case .unary, .clientStreaming:
            var request = Certportal_Testing_V1_SimpleRequest()
            request.responseSize = Int32(size)
            request.payload = payload
            return request.serializedBytes()
        case .serverStreaming, .bidirectional:
            var parameters = Certportal_Testing_V1_ResponseParameters()
            parameters.size = Int32(size)
            var request = Certportal_Testing_V1_StreamingOutputCallRequest()
            request.responseParameters = [parameters]
            request.payload = payload
            return request.serializedBytes()
        }
    }

    static func json(_ report: LoadReport, path: String) -> String {
        var object: [String: Any] = [
            "method": path,
            "calls": report.calls,
            "calls_per_second": report.callsPerSecond,
            "latency_us": [
                "p50": Double(report.latency.percentile(50)) / 1000,
                "p90": Double(report.latency.percentile(90)) / 1000,
                "p99": Double(report.latency.percentile(99)) / 1000,
                "p99_9": Double(report.latency.percentile(99.9)) / 1000,
                "max": Double(report.latency.max) / 1000,
            ],
            "failures": report.failures,
            "response_bytes": report.responseBytes,
        ]
        if let memory = report.memory {
            object["memory"] = [
                "pid": memory.pid,
                "peak_rss_bytes": memory.peakBytes,
                "sampled_peak_rss_bytes": memory.sampledPeakBytes,
                "hwm_bytes": memory.highWaterBytes,
                "hwm_reset": memory.hwmReset,
                "start_rss_bytes": memory.startBytes,
                "end_rss_bytes": memory.endBytes,
                "samples": memory.samples,
            ] as [String: Any]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
