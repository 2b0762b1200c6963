public import Foundation
public import Testing
public import RPC
internal import Messages

/// One of the package's executables started as a real process; it prints
/// `listening on HOST:PORT` once it serves, and the port is read from that line.
public final class ServiceProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched by init and stop(), from one test at a time.
    public let process: Process
    public let port: Int
    public let name: String
    public let logPath: String

    /// The executable built beside the test bundle (or in .build/debug).
    public static func executable(_ name: String) -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[1].appendingPathComponent(name)
    }

    public convenience init(_ name: String, arguments: [String] = [], environment: [String: String]? = nil) async throws {
        try await self.init(executable: Self.executable(name), name: name,
                            arguments: arguments.contains("--port") ? arguments : ["--port", "0"] + arguments,
                            environment: environment)
    }

    /// Any program that prints `listening on HOST:PORT` as its first line (a test tool such as
    /// Tests/Tools/smtp_server.py), run with exactly `arguments`.
    public init(executable: URL, name: String, arguments: [String], environment: [String: String]? = nil) async throws {
        self.name = name
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = childPipe()
        process.standardOutput = output
        // The process's log, shown when it misbehaves.
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).log").path
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
        guard line.hasPrefix("listening on "), let portText = line.split(separator: ":").last, let port = Int(portText) else {
            process.terminate()
            throw ServiceProcessFailure("\(name) did not report its port; said \"\(line)\"; its log:\n\(Self.tail(logPath))")
        }
        self.port = port
    }

    public var isRunning: Bool { process.isRunning }

    public var log: String { Self.tail(logPath) }

    static func tail(_ path: String) -> String {
        String(((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").suffix(3000))
    }

    /// SIGTERM (or `signal`), then waits (at most 30 s, then SIGKILL) for the process to
    /// exit; returns its status. Polls `isRunning`: Foundation's `waitUntilExit` can miss
    /// an exit that happened before it started waiting.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let end = ContinuousClock.now + .seconds(30)
        while process.isRunning {
            if ContinuousClock.now > end {
                Issue.record("\(name) did not exit within 30 s of signal \(signal); its log:\n\(log)")
                kill(process.processIdentifier, SIGKILL)
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        try? FileManager.default.removeItem(atPath: logPath)
        return process.terminationStatus
    }

    public func client(_ configure: (inout RPCClientConfiguration) -> Void = { _ in }) -> RPCClient {
        var configuration = RPCClientConfiguration(port: port)
        configure(&configuration)
        return RPCClient(configuration: configuration)
    }

    /// The process still answers a health check on a fresh connection.
    public func expectHealthy(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let client = client()
        defer { client.close() }
        let response = try await client.unary(Certportal_Health_V1_Health.check, .init(), options: CallOptions(timeout: .seconds(5)))
        #expect(response.status == .serving, sourceLocation: sourceLocation)
        #expect(process.isRunning, sourceLocation: sourceLocation)
    }
}

public struct ServiceProcessFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
