#if canImport(Glibc)
internal import Glibc
#endif

/// The write end of the self-pipe; set once, before the handlers are installed, and only
/// read by the async-signal-safe handler afterwards.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// SIGTERM and SIGINT through the self-pipe trick: whichever thread the kernel picks runs a
/// handler that only writes the signal number to a pipe (async-signal-safe), and one
/// dedicated thread reads the pipe and acts. No signal is lost and none kills the process
/// once `watch` has run.
public enum TerminationSignals {
    public static func watch(_ handler: @escaping @Sendable (Int32) -> Void) {
        var ends: [Int32] = [-1, -1]
        // Without the pipe a SIGTERM would kill the process mid-call: refuse to start.
        precondition(pipe(&ends) == 0, "cannot create the signal pipe: errno \(errno)")
        precondition(signalPipeWriteEnd == -1, "TerminationSignals.watch runs once per process")
        let readEnd = ends[0]
        signalPipeWriteEnd = ends[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { number in
            var byte = UInt8(truncatingIfNeeded: number)
            _ = write(signalPipeWriteEnd, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)
        startThread(name: "signals") {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 { handler(Int32(byte)) } else if count < 0 && errno != EINTR { return }
            }
        }
    }
}

extension RPCServer {
    /// Starts the server and runs it until SIGTERM or SIGINT, then shuts it down gracefully
    /// (drain within the grace period, then close): graceful shutdown is not cancellation.
    /// Signals are watched before the server starts and before `announce` tells the world
    /// the port, so a supervisor's early SIGTERM is never lost.
    public func runUntilTerminated(grace: Duration? = nil, announce: (Int) -> Void) async throws {
        TerminationSignals.watch { [self] _ in
            Task { await shutdown(grace: grace) }
        }
        announce(try start())
        await waitUntilStopped()
    }
}
