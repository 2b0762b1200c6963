#if canImport(Glibc)
internal import Glibc
#endif
internal import Dispatch

/// Runs a server until SIGTERM or SIGINT, then shuts it down gracefully: drain within the
/// grace period, then close. Graceful shutdown is not cancellation.
public func runUntilTerminated(_ server: RPCServer, grace: Duration? = nil) async {
    let signals = [SIGTERM, SIGINT]
    let sources = signals.map { number -> any DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            Task { await server.shutdown(grace: grace) }
        }
        source.resume()
        return source
    }
    await server.waitUntilStopped()
    for source in sources { source.cancel() }
}
