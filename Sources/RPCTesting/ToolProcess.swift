public import Foundation

/// What a tool run by a test said and how it ended.
public struct ToolOutcome: Sendable {
    public var status: Int32
    public var output: Data
    public var errors: Data
    public var text: String { String(decoding: output, as: UTF8.self) }
    public var errorText: String { String(decoding: errors, as: UTF8.self) }
}

/// Runs a tool (qpdf, convert, python3, …) to its end on a thread of its own, so a test
/// waiting for it never blocks Swift's cooperative pool, which every other test in the
/// process shares (two threads here: a blocked one stalls RPC tests' deadlines). Output
/// and errors are read on their own threads, so neither pipe can fill up.
/// `environment`: variables added to (or replacing) the test process's own.
public func runTool(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                    environment: [String: String] = [:]) async throws -> ToolOutcome {
    try await onThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let output = childPipe(), errors = childPipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let collected = ToolOutput()
        let reader = Thread { collected.set(errors: errors.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ToolOutcome(status: process.terminationStatus, output: out, errors: collected.waitForErrors())
    }
}

/// A pipe for a child process's standard input or output whose own descriptors close at
/// exec: Foundation's Process leaves a child every descriptor open when it starts, so a
/// child that another test starts at the same moment would otherwise keep this pipe open,
/// and whoever reads it to its end would wait for that child to exit. (The child it is
/// given to gets it as 0, 1 or 2, which are not closed.)
public func childPipe() -> Pipe {
    let pipe = Pipe()
    for descriptor in [pipe.fileHandleForReading.fileDescriptor, pipe.fileHandleForWriting.fileDescriptor] {
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    }
    return pipe
}

/// Runs blocking work (a process, file reads) on a thread of its own and returns its result.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// The error pipe's bytes, handed from its reading thread.
private final class ToolOutput: @unchecked Sendable {
    // @unchecked: `errors` is written once before `done` is signalled and read after.
    private var errors = Data()
    private let done = DispatchSemaphore(value: 0)
    func set(errors: Data) { self.errors = errors; done.signal() }
    func waitForErrors() -> Data { done.wait(); return errors }
}
