import RPCTesting

/// The rpc-interop-server executable, started as a real process on a free port.
typealias InteropServerProcess = ServiceProcess

/// Runs `body` with a fresh server process, always stopping it.
func withInteropServer<T>(_ arguments: [String] = [], _ body: (InteropServerProcess) async throws -> T) async throws -> T {
    let server = try await ServiceProcess("rpc-interop-server", arguments: arguments)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
