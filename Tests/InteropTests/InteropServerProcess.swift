import Foundation
import Testing
import RPC
import Messages

/// The rpc-interop-server executable, started as a real process on a free port.
final class InteropServerProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched by init and stop(), from one test at a time.
    let process: Process
    let port: Int
    let logPath: String

    static var executable: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("rpc-interop-server")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[1].appendingPathComponent("rpc-interop-server")
    }

    init(_ extraArguments: [String] = []) async throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--port", "0"] + extraArguments
        let output = Pipe()
        process.standardOutput = output
        // The server's log, shown when it misbehaves.
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("rpc-interop-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        self.process = process
        // Reading the pipe blocks: do it on a thread of its own, not the cooperative pool.
        let line: String = try await withCheckedThrowingContinuation { continuation in
            Thread {
                var bytes: [UInt8] = []
                while true {
                    let chunk = output.fileHandleForReading.readData(ofLength: 1)
                    guard let byte = chunk.first else { break }
                    if byte == 0x0A { break }
                    bytes.append(byte)
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }.start()
        }
        guard let portText = line.split(separator: ":").last, let port = Int(portText) else {
            process.terminate()
            throw InteropFailure("the server did not report its port; said \"\(line)\"")
        }
        self.port = port
    }

    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then waits (at most 30 s, then SIGKILL) for the process to exit; returns its
    /// status. Polls `isRunning`: Foundation's `waitUntilExit` can miss an exit that
    /// happened before it started waiting.
    @discardableResult
    func stop() async -> Int32 {
        if process.isRunning { process.terminate() }
        let end = ContinuousClock.now + .seconds(30)
        while process.isRunning {
            if ContinuousClock.now > end {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                Issue.record("rpc-interop-server did not exit within 30 s of SIGTERM; its log:\n\(log.suffix(3000))")
                kill(process.processIdentifier, SIGKILL)
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        try? FileManager.default.removeItem(atPath: logPath)
        return process.terminationStatus
    }

    func client(_ configure: (inout RPCClientConfiguration) -> Void = { _ in }) -> RPCClient {
        var configuration = RPCClientConfiguration(port: port)
        configure(&configuration)
        return RPCClient(configuration: configuration)
    }

    /// The server still answers a health check on a fresh connection.
    func expectHealthy(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let client = client()
        defer { client.close() }
        let response = try await client.unary(Certportal_Health_V1_Health.check, .init(), options: CallOptions(timeout: .seconds(5)))
        #expect(response.status == .serving, sourceLocation: sourceLocation)
        #expect(process.isRunning, sourceLocation: sourceLocation)
    }
}

struct InteropFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a fresh server process, always stopping it.
func withInteropServer<T>(_ arguments: [String] = [], _ body: (InteropServerProcess) async throws -> T) async throws -> T {
    let server = try await InteropServerProcess(arguments)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
