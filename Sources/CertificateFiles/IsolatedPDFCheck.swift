internal import CGNU
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// `PDFCheck` in a child process with hard limits, so that whatever qpdf does with a file
/// (libqpdf cannot cap how far a stream inflates: 20 MB of Flate-compressed zeros are 20 GB)
/// costs the child, never the caller. The child is an executable with a "check one PDF" mode
/// that calls `checkStandardInput()`: it limits its own address space and CPU time, reads the
/// PDF on its standard input and writes its verdict on its standard output. The parent
/// kills it at a wall-clock deadline.
///
/// `check` blocks (it writes, reads and waits for the child): call it from a thread of your
/// own, never from Swift's cooperative pool.
public struct IsolatedPDFCheck: Sendable {
    /// The executable with a "check one PDF" mode (cert-store: its own, `/proc/self/exe`).
    public var executable: String
    /// What selects that mode.
    public var arguments: [String]
    /// How long a check may take, spawn to exit, before the child is killed.
    public var deadline: Duration = .seconds(20)

    /// The child's address space (`RLIMIT_AS`): a normal check needs about 200 MiB of it,
    /// most of it reserved by the Swift runtime and glibc, not used.
    public static let memoryLimit = 1 << 30
    /// The child's CPU time (`RLIMIT_CPU`, soft: SIGXCPU; the hard limit, a second later, SIGKILL).
    public static let cpuSeconds = 10

    /// The refusal of a file that needs more memory to check than the child may have.
    public static let tooMuchMemory = FileRefusal(reason:
        "the PDF needs more than \(memoryLimit >> 30) GB of memory to check (its streams decompress to too much: a decompression bomb?)")

    public init(executable: String, arguments: [String] = ["check-pdf"]) {
        self.executable = executable
        self.arguments = arguments
    }

    /// The refusal of a file whose check took longer than `seconds`.
    static func tooSlow(_ seconds: Int) -> FileRefusal {
        FileRefusal(reason: "the PDF takes more than \(seconds) s to check")
    }

    /// Why a PDF could not be checked at all: the checker could not be started, or said
    /// nothing a check says. Not the file's fault, so not a `FileRefusal`.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Checks `bytes` (a PDF) in a child process: returns when it passes, throws the
    /// `FileRefusal` the check gave (or one for a file that takes too much memory or time),
    /// or a `Failure` when no check could be made. Blocks: see the type's comment.
    public func check(_ bytes: [UInt8]) throws {
        let outcome = try run(bytes)
        if let refusal = try Self.verdict(outcome, deadline: deadline) { throw refusal }
    }

    // MARK: The child

    /// The "check one PDF" mode of an executable: limits itself, reads the PDF on standard
    /// input, writes `ok` or `refused REASON` on standard output and exits 0.
    public static func checkStandardInput() -> Never {
        limit(RLIMIT_CORE, soft: 0, hard: 0)  // a child killed by a limit leaves no 1 GB core
        limit(RLIMIT_CPU, soft: rlim_t(cpuSeconds), hard: rlim_t(cpuSeconds + 1))
        limit(RLIMIT_AS, soft: rlim_t(memoryLimit), hard: rlim_t(memoryLimit))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { answer("failed reading the PDF: \(String(cString: strerror(errno)))", status: 1) }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        do {
            try PDFCheck.check(bytes)
            answer("ok")
        } catch {
            // qpdf's C API turns a failed allocation into an error like any other.
            let reason = String(error.reason.map { $0.isNewline ? " " : $0 })  // the verdict is one line
            answer(reason.contains("bad_alloc") ? "memory" : "refused " + reason)
        }
    }

    private static func limit(_ resource: __rlimit_resource, soft: rlim_t, hard: rlim_t) {
        var value = rlimit(rlim_cur: soft, rlim_max: hard)
        if setrlimit(__rlimit_resource_t(resource.rawValue), &value) != 0 {
            answer("cannot limit itself (resource \(resource.rawValue)): \(String(cString: strerror(errno)))", status: 1)
        }
    }

    private static func answer(_ text: String, status: Int32 = 0) -> Never {
        var bytes = Array((text + "\n").utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { break }
            bytes = bytes.dropFirst(written)
        }
        exit(status)
    }

    // MARK: The parent

    /// How a child ended, with what it said.
    struct Outcome {
        var output: [UInt8]
        /// `waitpid`'s status.
        var status: Int32
        /// The CPU time it used, in seconds.
        var cpuSeconds: Double
        /// Killed by the parent at the deadline.
        var timedOut: Bool

        var signal: Int32? { status & 0x7F == 0 ? nil : status & 0x7F }
        var exitCode: Int32 { (status >> 8) & 0xFF }
    }

    /// What the child's ending means for the file.
    static func verdict(_ outcome: Outcome, deadline: Duration) throws(Failure) -> FileRefusal? {
        if outcome.timedOut {
            let (seconds, fraction) = deadline.components
            return tooSlow(Int(seconds) + (fraction > 0 ? 1 : 0))  // "more than 1 s" for 0.5 s
        }
        if let signal = outcome.signal {
            // The CPU limit: SIGXCPU, or SIGKILL at the hard limit; any other death (a Swift
            // allocation that failed traps, a signal from the kernel's OOM killer) is memory.
            if signal == SIGXCPU || (signal == SIGKILL && outcome.cpuSeconds >= Double(cpuSeconds)) {
                return tooSlow(cpuSeconds)
            }
            return tooMuchMemory
        }
        let text = String(decoding: outcome.output, as: UTF8.self)
        let line = text.hasSuffix("\n") ? String(text.dropLast()) : text
        if outcome.exitCode == 0 {
            if line == "ok" { return nil }
            if line == "memory" { return tooMuchMemory }
            if line.hasPrefix("refused "), !line.contains("\n") { return FileRefusal(reason: String(line.dropFirst(8))) }
        }
        throw Failure(description: "the PDF checker (\(Self.describe(outcome))) said \"\(line.prefix(200))\"")
    }

    private static func describe(_ outcome: Outcome) -> String {
        if let signal = outcome.signal { return "killed by signal \(signal)" }
        return "exit status \(outcome.exitCode)"
    }

    /// Spawns the child, hands it `bytes` on its standard input while reading its standard
    /// output (both non-blocking, under one `poll`, so neither side can stall the other
    /// past the deadline), and waits for it to exit, killing it at the deadline.
    private func run(_ bytes: [UInt8]) throws(Failure) -> Outcome {
        // Close-on-exec from the start, so no child spawned meanwhile by another thread keeps
        // an end open (which would hold the child's input open or our output's end away).
        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1]
        guard cgnu_pipe_cloexec(&input) == 0 else { throw Failure(description: "cannot create a pipe: \(Self.errorText())") }
        guard cgnu_pipe_cloexec(&output) == 0 else {
            let reason = Self.errorText()
            close(input[0]); close(input[1])
            throw Failure(description: "cannot create a pipe: \(reason)")
        }
        let child: pid_t
        do {
            defer { close(input[0]); close(output[1]) }  // the child's ends: its own copies remain
            child = try spawn(stdin: input[0], stdout: output[1])
        } catch {
            close(input[1]); close(output[0])
            throw error
        }
        let end = ContinuousClock.now + deadline
        let exchanged = Self.exchange(bytes, to: input[1], from: output[0], until: end)
        close(output[0])
        // Past the deadline (or a failure of our own): killed now; else waited for until then.
        var timedOut = exchanged == nil
        if timedOut { kill(child, SIGKILL) }
        var status: Int32 = 0
        var usage = rusage()
        while true {
            let waited = wait4(child, &status, timedOut ? 0 : WNOHANG, &usage)
            if waited == child { break }
            if waited < 0 && errno == EINTR { continue }
            if waited < 0 { throw Failure(description: "cannot wait for the PDF checker: \(Self.errorText())") }
            if ContinuousClock.now >= end {
                kill(child, SIGKILL)
                timedOut = true
            } else {
                usleep(1000)  // it closed its output and is exiting: a millisecond or so
            }
        }
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return Outcome(output: exchanged ?? [], status: status, cpuSeconds: cpu, timedOut: timedOut)
    }

    /// The child with `stdin` and `stdout` as its 0 and 1, standard error to /dev/null (a
    /// trapped child's message is no log line), every other descriptor closed, and every
    /// signal at its default, unmasked.
    private func spawn(stdin: Int32, stdout: Int32) throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        cgnu_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var every = sigset_t(), none = sigset_t()
        sigfillset(&every)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &every)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw Failure(description: "cannot start the PDF checker \(executable): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// Writes `bytes` to `input` (closed once written, or when the child stops reading) and
    /// reads `output` to its end; nil past `end` or when poll fails. SIGPIPE is blocked on
    /// this thread meanwhile: a child that exits early makes the write fail with EPIPE.
    private static func exchange(_ bytes: [UInt8], to input: Int32, from output: Int32,
                                 until end: ContinuousClock.Instant) -> [UInt8]? {
        _ = fcntl(input, F_SETFL, fcntl(input, F_GETFL) | O_NONBLOCK)
        _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) | O_NONBLOCK)
        var pipeSignal = sigset_t(), previous = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        var brokenPipe = false
        defer {
            if brokenPipe {
                // Take the SIGPIPE that failed write raised, so it never reaches the process.
                var zero = timespec()
                while sigtimedwait(&pipeSignal, nil, &zero) < 0 && errno == EINTR {}
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        var written = 0
        var inputOpen = !bytes.isEmpty
        if !inputOpen { close(input) }
        defer { if inputOpen { close(input) } }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = end - ContinuousClock.now
            if left <= .zero { return nil }
            var descriptors = [pollfd(fd: output, events: Int16(POLLIN), revents: 0)]
            if inputOpen { descriptors.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
            let milliseconds = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
            let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { return nil }
            if inputOpen, descriptors.count > 1, descriptors[1].revents != 0 {
                let count = bytes.withUnsafeBytes { write(input, $0.baseAddress! + written, min($0.count - written, 1 << 16)) }
                if count > 0 { written += count }
                if count < 0 && errno == EPIPE { brokenPipe = true }
                // All written, or the child will read no more: its input ends.
                if written == bytes.count || (count < 0 && errno != EAGAIN && errno != EINTR) {
                    close(input)
                    inputOpen = false
                }
            }
            if descriptors[0].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                if count == 0 { return received }
                if count > 0 {
                    // A verdict is one short line: more is no check's output.
                    if received.count < 1 << 16 { received += buffer[0..<count] }
                } else if errno != EAGAIN && errno != EINTR {
                    return received
                }
            }
        }
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
