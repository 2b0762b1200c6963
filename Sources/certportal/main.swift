// certportal: the portal's command-line tool.
import Flags
import LoadTest
import PortalCommands
import Foundation

let arguments = CommandLineArguments(CommandLine.arguments.dropFirst(), booleanFlags: ["--json", "--help", "--demo", "--quiet", "--compress", "--password-stdin", "--uncompressed"])
let usage = """
usage:
  certportal up [--demo]               start every service and the gateway; print the portal's URL
  certportal user add EMAIL --role R   create or update a login (password on standard input)
  certportal import records FILE.csv   import a records file into the running portal
  certportal generate records          write a realistic demo or benchmark records file
  certportal load …                    drive any CPRPC/1 method and report throughput and latency
Each takes --help.
"""

switch arguments.positional.first {
case "up":
    if arguments.flag("--help") { print(UpCommand.usage); exit(0) }
    exit(await UpCommand.run(arguments))
case "user":
    if arguments.flag("--help") { print(UserCommand.usage); exit(0) }
    exit(await UserCommand.run(arguments))
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
