public import RPC
internal import Synchronization

/// Numbers the calls of an open-loop run across its workers.
final class CallCounter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// What one load run does.
public struct LoadPlan: Sendable {
    public enum Shape: String, Sendable, CaseIterable {
        case unary, serverStreaming = "server-streaming", clientStreaming = "client-streaming", bidirectional = "bidi"
    }

    public var path: String
    public var shape: Shape = .unary
    /// The serialized request message sent on every call.
    public var request: [UInt8]
    /// Requests per call for client-streaming and bidi calls.
    public var messagesPerCall = 1
    /// Calls in flight at once (closed loop), or the most that may be (open loop).
    public var concurrency = 1
    /// Calls per second for an open loop; nil runs closed loop.
    public var rate: Double?
    public var duration: Duration = .seconds(10)
    public var warmup: Duration = .zero
    public var options = CallOptions()
    /// A process (the server) whose memory the report gives, from after the warm-up to the end.
    public var watchPID: Int32?

    public init(path: String, request: [UInt8]) {
        self.path = path
        self.request = request
    }
}

/// What a load run measured.
public struct LoadReport: Sendable {
    public var latency = Histogram()
    public var calls: UInt64 = 0
    public var failures: [String: UInt64] = [:]
    public var responseBytes: UInt64 = 0
    public var responseMessages: UInt64 = 0
    public var elapsed: Duration = .zero
    /// The watched process's memory during the run (`LoadPlan.watchPID`).
    public var memory: MemoryPeak?

    public var callsPerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(calls) / seconds : 0
    }

    mutating func merge(_ other: LoadReport) {
        latency.merge(other.latency)
        calls += other.calls
        responseBytes += other.responseBytes
        responseMessages += other.responseMessages
        for (code, count) in other.failures { failures[code, default: 0] += count }
    }

    /// A human-readable summary; latencies in microseconds.
    public func summary(title: String) -> String {
        func us(_ ns: UInt64) -> String { String(format: Double(ns) / 1000) }
        var lines = [
            title,
            "  calls       \(calls) in \(elapsed)  (\(String(format: callsPerSecond)) calls/s)",
            "  latency µs  p50 \(us(latency.percentile(50)))  p90 \(us(latency.percentile(90)))  p99 \(us(latency.percentile(99)))  p99.9 \(us(latency.percentile(99.9)))  max \(us(latency.max))",
            "  responses   \(responseMessages) messages, \(responseBytes) bytes",
        ]
        if let memory {
            func mib(_ bytes: UInt64) -> String { String(format: Double(bytes) / 1_048_576) }
            let since = memory.hwmReset ? "since the run started" : "since the process started"
            lines.append("  memory      pid \(memory.pid): peak RSS \(mib(memory.peakBytes)) MiB (VmHWM \(mib(memory.highWaterBytes)) MiB \(since); "
                         + "\(memory.samples) samples, highest \(mib(memory.sampledPeakBytes)) MiB; start \(mib(memory.startBytes)), end \(mib(memory.endBytes)) MiB)")
        }
        if !failures.isEmpty {
            lines.append("  failures    " + failures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

private func String(format value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? "\(Int(rounded))" : "\(rounded)"
}

/// Drives a method with a plan. Closed loop: each worker starts its next call when the last
/// one ends. Open loop: call i is due at start + i/rate and its latency counts from when it
/// was due, so a stalled server shows up in the figures instead of slowing the load.
public struct LoadRun: Sendable {
    public let client: RPCClient
    public let plan: LoadPlan

    public init(client: RPCClient, plan: LoadPlan) {
        self.client = client
        self.plan = plan
    }

    /// Throws only when the process to watch cannot be watched.
    public func run() async throws(MemoryWatchError) -> LoadReport {
        // Checked before any call: a wrong pid fails at once.
        let watch = try plan.watchPID.map { pid throws(MemoryWatchError) in try MemoryWatch(pid: pid) }
        if plan.warmup > .zero {
            var warmupPlan = plan
            warmupPlan.duration = plan.warmup
            _ = await LoadRun(client: client, plan: warmupPlan).measure()
        }
        watch?.start()
        var report = await measure()
        report.memory = await watch?.stop()
        return report
    }

    private func measure() async -> LoadReport {
        let start = ContinuousClock.now
        let end = start + plan.duration
        let issued = CallCounter()
        var report = await withTaskGroup(of: LoadReport.self) { group in
            for _ in 0..<max(1, plan.concurrency) {
                group.addTask {
                    var report = LoadReport()
                    while true {
                        let due: ContinuousClock.Instant
                        if let rate = plan.rate {
                            let index = issued.next()
                            due = start + .seconds(Double(index) / rate)
                            if due >= end { break }
                            if due > .now { try? await Task.sleep(until: due) }
                        } else {
                            due = .now
                            if due >= end { break }
                        }
                        await oneCall(into: &report)
                        report.latency.record(ContinuousClock.now - due)
                        report.calls += 1
                    }
                    return report
                }
            }
            var total = LoadReport()
            for await part in group { total.merge(part) }
            return total
        }
        report.elapsed = ContinuousClock.now - start
        return report
    }

    private func oneCall(into report: inout LoadReport) async {
        do {
            let call: ClientCall
            switch plan.shape {
            case .unary, .serverStreaming:
                call = try await client.startCall(path: plan.path, options: plan.options, messages: [plan.request], halfClose: true)
            case .clientStreaming:
                call = try await client.startCall(path: plan.path, options: plan.options)
                for _ in 0..<plan.messagesPerCall { try await call.send(plan.request) }
                call.halfClose()
            case .bidirectional:
                call = try await client.startCall(path: plan.path, options: plan.options)
                for _ in 0..<plan.messagesPerCall {
                    try await call.send(plan.request)
                    guard let reply = try await call.nextMessage() else { break }
                    report.responseMessages += 1
                    report.responseBytes += UInt64(reply.count)
                }
                call.halfClose()
            }
            while let reply = try await call.nextMessage() {
                report.responseMessages += 1
                report.responseBytes += UInt64(reply.count)
            }
        } catch let error as RPCError {
            report.failures[error.code.description, default: 0] += 1
        } catch {
            report.failures["\(type(of: error))", default: 0] += 1
        }
    }
}
