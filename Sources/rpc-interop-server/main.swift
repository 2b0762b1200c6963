// rpc-interop-server --port N [--host H] [--max-frame-bytes N] [--mesh-token T]
//                    [--read-timeout-ms N] [--max-calls N] [--grace-ms N]
// Serves the conformance TestService with health and reflection. Test use only.
import Foundation
import Flags
import Interop
import RPC

let arguments = CommandLineArguments(CommandLine.arguments.dropFirst())
var configuration = RPCServerConfiguration()
configuration.name = "rpc-interop-server"
do {
    configuration.port = try arguments.integer("--port") ?? 0
    configuration.host = arguments.string("--host") ?? configuration.host
    configuration.meshToken = arguments.string("--mesh-token")
    if let bytes = try arguments.integer("--max-frame-bytes") { configuration.limits.maxFrameBytes = bytes }
    if let ms = try arguments.integer("--read-timeout-ms") { configuration.limits.readTimeout = .milliseconds(ms) }
    if let calls = try arguments.integer("--max-calls") { configuration.maxConcurrentCallsPerConnection = calls }
    if let ms = try arguments.integer("--grace-ms") { configuration.shutdownGrace = .milliseconds(ms) }
    try arguments.rejectUnknown(known: ["--port", "--host", "--mesh-token", "--max-frame-bytes", "--read-timeout-ms", "--max-calls", "--grace-ms"])
} catch {
    print("rpc-interop-server: \(error)")
    exit(2)
}

let server = RPCServer(configuration: configuration, services: [TestService()])
do {
    try await server.runUntilTerminated { port in
        // Tests and scripts read this line to learn the port.
        FileHandle.standardOutput.write(Data("listening on \(configuration.host):\(port)\n".utf8))
    }
} catch {
    FileHandle.standardError.write(Data("rpc-interop-server: \(error)\n".utf8))
    exit(1)
}
