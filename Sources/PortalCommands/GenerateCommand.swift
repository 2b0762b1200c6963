public import Flags
internal import DemoData
internal import Records
internal import Foundation

/// `certportal generate records [--count N] [--seed S] [--today YYYY-MM-DD] [--out FILE]`:
/// writes a realistic records-import file, the same bytes for the same flags.
public enum GenerateCommand {
    public static let usage = """
        usage: certportal generate records [--count N] [--seed S] [--today YYYY-MM-DD] [--out FILE]
          --count  data rows (default 500, the demo's size)
          --seed   any whole number (default 1); the same seed gives the same file
          --today  the date the data is shaped around (default $CERTPORTAL_TODAY, else today)
          --out    the file to write (default standard output)
        """

    public static func run(_ arguments: CommandLineArguments) -> Int32 {
        do {
            try arguments.rejectUnknown(known: ["--count", "--seed", "--today", "--out"])
            guard arguments.positional.count == 2, arguments.positional[1] == "records" else {
                FileHandle.standardError.write(Data("certportal generate: expected: certportal generate records\n\(usage)\n".utf8))
                return 2
            }
            let count = try arguments.integer("--count") ?? 500
            guard count >= 0 else { throw CommandLineArguments.Failure(description: "--count: must not be negative") }
            let seed = try arguments.integer("--seed") ?? 1
            let today = try TodayOption.resolve(arguments)
            let output: FileHandle
            if let path = arguments.string("--out") {
                guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                    throw CommandLineArguments.Failure(description: "--out: cannot write \(path)")
                }
                output = handle
            } else {
                output = FileHandle.standardOutput
            }
            let plan = DemoDataPlan(records: count, seed: UInt64(bitPattern: Int64(seed)), today: today)
            try DemoData.generate(plan) { chunk in try output.write(contentsOf: Data(chunk)) }
            try output.close()
            return 0
        } catch {
            FileHandle.standardError.write(Data("certportal generate: \(error)\n".utf8))
            return 2
        }
    }
}
