public import Flags
internal import RPC
internal import Messages
internal import Storage
internal import ServiceRuntime
internal import Foundation

/// `certportal import records FILE.csv [--data DIR] [--catalog HOST:PORT]`: streams the
/// file to the catalog-service running on that data directory, with a progress line, and
/// exits non-zero with every problem when the catalog refuses the file.
public enum ImportCommand {
    public static let usage = """
        usage: certportal import records FILE.csv [--data DIR] [--catalog HOST:PORT] [--mesh-token T] [--compress] [--quiet]
          FILE.csv   the records file (PRODUCT.md, "Records import"); - reads standard input
          --data     the data directory of the running portal (default $CERTPORTAL_DATA, else ./certportal-data)
          --catalog  catalog-service's address (default: read from DIR/run/catalog-service.address)
          --compress deflate the file on the way (for a catalog across a slow network)
          --quiet    no progress line
        """
    static let chunkSize = 256 * 1024

    public static func run(_ arguments: CommandLineArguments) async -> Int32 {
        do {
            try arguments.rejectUnknown(known: ["--data", "--catalog", "--mesh-token", "--quiet", "--compress"])
            guard arguments.positional.count == 3, arguments.positional[1] == "records" else {
                return fail("expected: certportal import records FILE.csv\n\(usage)", status: 2)
            }
            let path = arguments.positional[2]
            let client = try RunningPortal(arguments).catalogClient(arguments, timeout: .seconds(3600), compress: arguments.flag("--compress"))
            defer { client.close() }

            guard let file = path == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: path) else {
                return fail("\(path): cannot open the file", status: 1)
            }
            let total = path == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            let reader = ThreadExecutor(name: "import.read")
            defer { reader.stop() }
            let progress = Progress(total: total, quiet: arguments.flag("--quiet"))
            let response = try await CatalogCalls.importRecords(client, afterLastChunk: progress.waiting) {
                let chunk = try await reader.run { [UInt8](file.readData(ofLength: chunkSize)) }
                progress.sent(chunk.count)
                return chunk
            }
            progress.done()
            guard response.accepted else {
                var lines = ["certportal import: \(path) was refused; nothing was imported. \(response.problemsTotal) problem\(response.problemsTotal == 1 ? "" : "s"):"]
                for problem in response.problems {
                    let place = problem.line == 0 ? "file" : "line \(problem.line)"
                    lines.append("  \(place)\(problem.column.isEmpty ? "" : ", column \(problem.column)"): \(problem.reason)")
                }
                if response.problemsTotal > UInt64(response.problems.count) {
                    lines.append("  … and \(response.problemsTotal - UInt64(response.problems.count)) more")
                }
                FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
                return 1
            }
            print("imported \(response.rows) rows from \(path): \(response.inserted) new, \(response.updated) updated, \(response.unchanged) unchanged (feed at \(response.seq))")
            return 0
        } catch let error as RPCError where error.code == .unavailable {
            let data = RunningPortal(arguments).dataDirectory
            return fail("catalog-service is not reachable (\(error.message)); start the portal first: certportal up --data \(data)", status: 1)
        } catch {
            return fail("\(error)", status: 1)
        }
    }

    static func fail(_ message: String, status: Int32) -> Int32 {
        FileHandle.standardError.write(Data("certportal import: \(message)\n".utf8))
        return status
    }
}

/// One line on standard error, rewritten in place at most a few times a second.
final class Progress: @unchecked Sendable {
    // @unchecked: used by one task at a time (the import's writer loop, then its caller).
    private let total: Int?
    private let quiet: Bool
    private var sentBytes = 0
    private let started = ContinuousClock.now
    private var lastShown = ContinuousClock.now - .seconds(1)

    init(total: Int?, quiet: Bool) {
        self.total = total
        self.quiet = quiet
    }

    func sent(_ count: Int) {
        sentBytes += count
        guard ContinuousClock.now - lastShown >= .milliseconds(250) else { return }
        lastShown = ContinuousClock.now
        let megabytes = Double(sentBytes) / 1_048_576
        if let total, total > 0 {
            show(String(format: "importing: %3.0f%%  %.1f of %.1f MB", Double(sentBytes) * 100 / Double(total), megabytes, Double(total) / 1_048_576))
        } else {
            show(String(format: "importing: %.1f MB", megabytes))
        }
    }

    func waiting() { show("importing: all sent; the catalog is checking and committing…") }

    func done() {
        guard !quiet else { return }
        let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
        show(String(format: "importing: done in %.1f s", seconds))
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func show(_ line: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }
}
