// certportal: the portal's command-line tool.
import Flags
import LoadTest
import PortalCommands
import Foundation

let arguments = CommandLineArguments(CommandLine.arguments.dropFirst(), booleanFlags: ["--json", "--help", "--demo", "--quiet", "--compress"])
let usage = """
usage:
  certportal import records FILE.csv   import a records file into the running portal
  certportal generate records          write a realistic demo or benchmark records file
  certportal load …                    drive any CPRPC/1 method and report throughput and latency
Each takes --help.
"""

switch arguments.positional.first {
case "up":
    // The portal's gateway and supervisor are not built yet (see README, "State of the work").
    FileHandle.standardError.write(Data("certportal up: not built yet: start catalog-service and stats-service by hand (README, \"Running the services\").\n".utf8))
    exit(1)
case "import":
    if arguments.flag("--help") { print(ImportCommand.usage); exit(0) }
    exit(await ImportCommand.run(arguments))
case "generate":
    if arguments.flag("--help") { print(GenerateCommand.usage); exit(0) }
    exit(GenerateCommand.run(arguments))
case "load":
    if arguments.flag("--help") { print(LoadCommand.usage); exit(0) }
    exit(await LoadCommand.run(arguments))
default:
    print(usage)
    exit(arguments.positional.isEmpty ? 0 : 2)
}
