import Foundation
import Testing
import RPCTesting

/// The committed generated code must be what scripts/generate-protos makes from Protos/
/// today: regenerate into a temporary directory and compare file by file.
@Suite("Generated code")
struct GeneratedCodeTests {
    static let repoRoot = URL(filePath: #filePath)
        .deletingLastPathComponent()  // MessagesTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    @Test("Sources/ matches a fresh run of scripts/generate-protos")
    func notStale() async throws {
        let fileManager = FileManager.default
        let scratch = fileManager.temporaryDirectory.appending(path: "generate-protos-\(UUID().uuidString)")
        defer { try? fileManager.removeItem(at: scratch) }

        let run = try await runTool("/bin/bash", [Self.repoRoot.appending(path: "scripts/generate-protos").path, "--out", scratch.path],
                                    in: Self.repoRoot)
        try #require(run.status == 0, "scripts/generate-protos failed: \(run.errorText)")

        let sources = Self.repoRoot.appending(path: "Sources")
        let fresh = try Self.files(under: scratch, in: ["CMessages", "Messages/Generated"])
        let committed = try Self.files(under: sources, in: ["CMessages", "Messages/Generated"])
        try #require(!fresh.isEmpty, "scripts/generate-protos wrote nothing")

        var problems: [String] = []
        for path in fresh.sorted() {
            let new = try Data(contentsOf: scratch.appending(path: path))
            let old = try? Data(contentsOf: sources.appending(path: path))
            if old == nil {
                problems.append("missing: Sources/\(path)")
            } else if old != new {
                problems.append("differs: Sources/\(path)")
            }
        }
        for path in committed.subtracting(fresh).sorted() {
            problems.append("no longer generated: Sources/\(path)")
        }
        #expect(problems.isEmpty, """
            The generated code is stale; run scripts/generate-protos and commit the result.
            \(problems.joined(separator: "\n"))
            """)
    }

    /// Paths relative to `root` of the regular files under the given subdirectories.
    static func files(under root: URL, in subdirectories: [String]) throws -> Set<String> {
        var result: Set<String> = []
        let rootPath = root.standardizedFileURL.path
        for subdirectory in subdirectories {
            let directory = root.appending(path: subdirectory)
            guard let enumerator = FileManager.default.enumerator(
                at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
            for case let url as URL in enumerator {
                guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
                let path = url.standardizedFileURL.path
                result.insert(String(path.dropFirst(rootPath.count + 1)))
            }
        }
        return result
    }
}
