// certportal: the portal's command-line tool.
import Flags
import LoadTest
import Foundation

let arguments = CommandLineArguments(CommandLine.arguments.dropFirst(), booleanFlags: ["--json", "--help", "--demo"])
let usage = """
usage:
  certportal load …          drive any CPRPC/1 method and report throughput and latency
                             (certportal load --help)
"""

switch arguments.positional.first {
case "up":
    // The portal's services are not built yet (see README, "State of the work").
    FileHandle.standardError.write(Data("certportal up: the portal services are not built yet; only the RPC foundation exists.\n".utf8))
    exit(1)
case "load":
    if arguments.flag("--help") { print(LoadCommand.usage); exit(0) }
    exit(await LoadCommand.run(arguments))
default:
    print(usage)
    exit(arguments.positional.isEmpty ? 0 : 2)
}
