internal import Foundation
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// A value that arrives once (a child's first line, its exit), awaited by any number of
/// tasks, each with its own time limit. The first `resolve` wins.
final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    init() {}

    func resolve(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value?, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value, however long it takes.
    func wait() async -> Value {
        await wait(timeout: nil)!
    }

    /// The value, or nil when `timeout` passes first.
    func wait(timeout: Duration?) async -> Value? {
        await withCheckedContinuation { continuation in
            let (ready, id) = state.withLock { state -> (Value?, Int) in
                if let value = state.value { return (value, -1) }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = continuation
                return (nil, state.nextWaiter)
            }
            if let ready { return continuation.resume(returning: ready) }
            guard let timeout else { return }
            Task { [self] in
                try? await Task.sleep(for: timeout)
                state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
            }
        }
    }
}

/// How a child process ended, as `waitpid` reports it.
struct ExitStatus: Sendable, CustomStringConvertible {
    let raw: Int32

    /// The signal that killed it, if one did.
    var signal: Int32? { raw & 0x7F == 0 ? nil : raw & 0x7F }
    var code: Int32 { (raw >> 8) & 0xFF }

    var description: String {
        if let signal {
            let names: [Int32: String] = [SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP"]
            return "status \(signal), killed by \(names[signal] ?? "signal \(signal)")"
        }
        return "status \(code)"
    }
}

/// What a child said on its first line of standard output.
enum Announcement: Sendable {
    /// `listening on HOST:PORT`.
    case listening(address: String)
    /// Any other first line (or none: empty).
    case said(String)
    case exited(ExitStatus)
}

/// One run of a service executable, in a process group of its own (a terminal's Ctrl-C
/// reaches the supervisor only, which stops the children in order). Its standard error
/// goes to its log; its standard output through a pipe, of which a thread of its own reads
/// the first line (the announcement) and copies everything to the log.
final class ChildProcess: Sendable {
    let pid: pid_t
    let started = ContinuousClock.now
    let announced = OneShot<Announcement>()
    let exited = OneShot<ExitStatus>()

    struct SpawnFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `executable` with `arguments` and the environment `environment`, appending its
    /// output to `logPath`; `onExit` runs on the thread that waited for it.
    init(executable: String, arguments: [String], environment: [String: String], logPath: String,
         onExit: @escaping @Sendable (ChildProcess, ExitStatus) -> Void) throws(SpawnFailure) {
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw SpawnFailure(description: "cannot open \(logPath): \(String(cString: strerror(errno)))") }
        var ends: [Int32] = [-1, -1]
        // Close-on-exec, so no other child inherits it (children are spawned one at a time).
        guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else {
            close(log)
            throw SpawnFailure(description: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        let banner = "--- certportal up: \(Date()) starting \(executable) \(arguments.joined(separator: " "))\n"
        Self.writeAll(log, Array(banner.utf8))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_adddup2(&actions, log, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group; SIGINT, SIGTERM and SIGPIPE at their defaults (the
        // supervisor ignores them itself, and ignored signals survive exec).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, number) }
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(ends[1])
        guard status == 0 else {
            close(ends[0])
            close(log)
            throw SpawnFailure(description: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        self.pid = pid
        let child = pid
        let output = ends[0]
        Thread { [self] in copyOutput(output, to: log) }.start()
        Thread { [self] in
            var raw: Int32 = 0
            while waitpid(child, &raw, 0) < 0 && errno == EINTR {}
            let status = ExitStatus(raw: raw)
            exited.resolve(status)
            announced.resolve(.exited(status))
            onExit(self, status)
        }.start()
    }

    /// Runs on a thread of its own: the first line is the announcement; every byte goes to
    /// the log, until the child closes its standard output.
    private func copyOutput(_ output: Int32, to log: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var firstLine: [UInt8] = []
        var seenFirstLine = false
        while true {
            let count = read(output, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            let bytes = buffer[0..<count]
            Self.writeAll(log, Array(bytes))
            guard !seenFirstLine else { continue }
            if let newline = bytes.firstIndex(of: 0x0A) {
                firstLine += bytes[..<newline]
                seenFirstLine = true
                announced.resolve(Self.announcement(String(decoding: firstLine, as: UTF8.self)))
            } else {
                firstLine += bytes
            }
        }
        // Nothing said at all: the child exited (or will be timed out); the waiter says how.
        if !seenFirstLine, !firstLine.isEmpty { announced.resolve(.said(String(decoding: firstLine, as: UTF8.self))) }
        close(output)
        close(log)
    }

    static func announcement(_ line: String) -> Announcement {
        let prefix = "listening on "
        guard line.hasPrefix(prefix) else { return .said(line) }
        return .listening(address: String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces))
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }

    func signal(_ number: Int32) {
        _ = kill(pid, number)
    }
}
