import Foundation
import Testing
import RPCTesting

/// `certportal load` as a process against a real rpc-interop-server, watching real processes.
@Suite struct LoadProcessTests {
    static let unaryCall = "/certportal.testing.v1.TestService/UnaryCall"

    /// `certportal load …`: its exit status and its JSON report.
    static func load(_ arguments: [String]) async throws -> (status: Int32, report: [String: Any], errors: String) {
        let outcome = try await runTool(ServiceProcess.executable("certportal").path, ["load"] + arguments)
        let report = (try? JSONSerialization.jsonObject(with: outcome.output)) as? [String: Any] ?? [:]
        return (outcome.status, report, outcome.errorText)
    }

    /// A Python process that writes `megabytes` MB (so they are resident), keeps them or lets
    /// them go, says "ready" and waits to be killed. It also ends when its input closes, so
    /// it never outlives the test process, even one that crashed.
    final class Holder: @unchecked Sendable {
        // @unchecked: `process` is only touched by init and stop(), from the test that owns it.
        let process = Process()
        let input = childPipe()

        init(megabytes: Int, keep: Bool) async throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            let script = """
                import sys, time
                held = b'\\x01' * (\(megabytes) << 20)
                \(keep ? "" : "del held")
                print('ready', flush=True)
                sys.stdin.buffer.read()
                """
            process.arguments = ["python3", "-c", script]
            let output = childPipe()
            process.standardOutput = output
            process.standardInput = input
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Reading the pipe blocks: on a thread of its own, not the cooperative pool.
            let line: String = await withCheckedContinuation { continuation in
                Thread {
                    let data = output.fileHandleForReading.readData(ofLength: 6)
                    continuation.resume(returning: String(decoding: data, as: UTF8.self))
                }.start()
            }
            #expect(line == "ready\n")
        }

        var pid: Int32 { process.processIdentifier }

        func stop() {
            if process.isRunning { process.terminate() }
            try? input.fileHandleForWriting.close()
        }
    }

    /// `/proc/PID/status`'s value of `key` (a `kB` line), in bytes.
    static func status(_ pid: Int32, _ key: String) throws -> UInt64 {
        let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(key + ":") })
        return try #require(UInt64(line.dropFirst(key.count + 1).dropLast(3).trimmingCharacters(in: .whitespaces))) * 1024
    }

    @Test func anOpenLoopIssuesEveryCallDueWithinTheDuration() async throws {
        let server = try await ServiceProcess("rpc-interop-server")
        let run = try await Self.load(["--port", "\(server.port)", "--method", Self.unaryCall, "--test-payload", "10",
                                       "--rate", "40", "--duration", "0.5", "--json"])
        await server.stop()
        #expect(run.status == 0, "\(run.errors)")
        // Calls are due at 0, 1/40, … s: 20 of them before 0.5 s, however long each takes.
        #expect(run.report["calls"] as? Int == 20)
        #expect((run.report["failures"] as? [String: Any])?.isEmpty == true)
        #expect(run.report["memory"] == nil, "no process watched")
    }

    @Test func theWatchedProcessesMemoryIsItsPeakDuringTheRun() async throws {
        let server = try await ServiceProcess("rpc-interop-server")
        let holder = try await Holder(megabytes: 64, keep: true)
        defer { holder.stop() }
        let run = try await Self.load(["--port", "\(server.port)", "--method", Self.unaryCall, "--test-payload", "10",
                                       "--duration", "0.3", "--watch-pid", "\(holder.pid)", "--json"])
        let hwmAfter = try Self.status(holder.pid, "VmHWM")
        holder.stop()
        await server.stop()
        #expect(run.status == 0, "\(run.errors)")
        let memory = try #require(run.report["memory"] as? [String: Any])
        #expect(memory["pid"] as? Int == Int(holder.pid))
        #expect(memory["hwm_reset"] as? Bool == true)
        let peak = try #require(memory["peak_rss_bytes"] as? UInt64)
        let sampled = try #require(memory["sampled_peak_rss_bytes"] as? UInt64)
        #expect(sampled >= 64 << 20 && peak >= sampled, "\(memory)")
        #expect(peak <= hwmAfter, "the kernel's own peak, read after the run, is at least the one reported")
        #expect(try #require(memory["samples"] as? Int) >= 1)
    }

    @Test func thePeakCountsFromTheRunNotFromTheProcessesStart() async throws {
        let server = try await ServiceProcess("rpc-interop-server")
        // 128 MB written and let go before the run: the process's VmHWM holds them, the run's peak must not.
        let holder = try await Holder(megabytes: 128, keep: false)
        defer { holder.stop() }
        #expect(try Self.status(holder.pid, "VmHWM") >= 128 << 20)
        let run = try await Self.load(["--port", "\(server.port)", "--method", Self.unaryCall, "--test-payload", "10",
                                       "--duration", "0.2", "--watch-pid", "\(holder.pid)", "--json"])
        holder.stop()
        await server.stop()
        #expect(run.status == 0, "\(run.errors)")
        let memory = try #require(run.report["memory"] as? [String: Any])
        let peak = try #require(memory["peak_rss_bytes"] as? UInt64)
        #expect(peak > 0 && peak < 64 << 20, "\(memory)")
        #expect(try #require(memory["hwm_bytes"] as? UInt64) < 64 << 20)
    }

    @Test func aProcessThatCannotBeWatchedIsAClearErrorBeforeAnyCall() async throws {
        // Far above any pid Linux hands out (pid_max is at most 2^22).
        let run = try await Self.load(["--port", "1", "--method", Self.unaryCall, "--watch-pid", "99999999", "--duration", "0.1"])
        #expect(run.status == 2)
        #expect(run.errors.hasPrefix("certportal load: --watch-pid: cannot read the memory of process 99999999"), "\(run.errors)")
        let bad = try await Self.load(["--port", "1", "--method", Self.unaryCall, "--watch-pid", "0"])
        #expect(bad.status == 2 && bad.errors.contains("--watch-pid: must be at least 1"), "\(bad.errors)")
    }
}
