import Foundation
import Synchronization
import Testing
import RPCTesting
#if canImport(Glibc)
import Glibc
#endif

/// The real `certportal` executable run as a process; its standard output and error are
/// read on threads of their own, line by line.
final class CommandProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched by init and the test that owns this value.
    let process = Process()
    private let output = Mutex<[String]>([])
    private let errors = Mutex<String>("")
    /// Readers that reached the end of their pipe.
    private let finishedReaders = Mutex(0)

    init(_ arguments: [String], standardInput: String? = nil) throws {
        process.executableURL = ServiceProcess.executable("certportal")
        process.arguments = arguments
        let stdout = childPipe()
        let stderr = childPipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let stdin = childPipe()
        process.standardInput = stdin
        // A command that exits before reading its input (a bad flag) closes the pipe: the write
        // must then fail with EPIPE, not kill the whole test process with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        try process.run()
        try? stdin.fileHandleForWriting.write(contentsOf: Data((standardInput ?? "").utf8))
        try stdin.fileHandleForWriting.close()
        Thread { [self] in
            var line: [UInt8] = []
            while let byte = stdout.fileHandleForReading.readData(ofLength: 1).first {
                if byte == 0x0A {
                    let text = String(decoding: line, as: UTF8.self)
                    output.withLock { $0.append(text) }
                    line = []
                } else {
                    line.append(byte)
                }
            }
            finishedReaders.withLock { $0 += 1 }
        }.start()
        Thread { [self] in
            let all = stderr.fileHandleForReading.readDataToEndOfFile()
            errors.withLock { $0 = String(decoding: all, as: UTF8.self) }
            finishedReaders.withLock { $0 += 1 }
        }.start()
    }

    var lines: [String] { output.withLock { $0 } }
    var standardOutput: String { lines.joined(separator: "\n") }
    var standardError: String { errors.withLock { $0 } }

    /// The first line of standard output `matching`, waiting at most `timeout`.
    func line(timeout: Duration, where matching: (String) -> Bool) async -> String? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let line = lines.first(where: matching) { return line }
            if !process.isRunning, let line = lines.first(where: matching) { return line }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// Waits for the exit (at most `timeout`, then SIGKILL) and returns the status.
    func exitStatus(timeout: Duration = .seconds(60)) async -> Int32 {
        let end = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > end {
                Issue.record("certportal \(process.arguments ?? []) did not exit within \(timeout)")
                kill(process.processIdentifier, SIGKILL)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        // The reader threads take the last bytes.
        let readersEnd = ContinuousClock.now + .seconds(10)
        while finishedReaders.withLock({ $0 }) < 2, ContinuousClock.now < readersEnd {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    /// Runs `certportal arguments` to its end.
    static func run(_ arguments: [String], standardInput: String? = nil) async throws -> (status: Int32, output: String, errors: String) {
        let command = try CommandProcess(arguments, standardInput: standardInput)
        let status = await command.exitStatus()
        return (status, command.standardOutput, command.standardError)
    }
}

func temporaryDirectory(_ prefix: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
}
