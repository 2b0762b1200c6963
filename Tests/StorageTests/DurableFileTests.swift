import Foundation
import Storage
import Testing
import RPCTesting

@Suite("Durable files")
struct DurableFileTests {
    static func bytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    @Test func writtenPiecesAreRenamedIntoPlaceAndReadBackAtAnyOffset() async throws {
        let scratch = try Scratch()
        let part = scratch.path("file.part"), final = scratch.path("file")
        let file = DurableFile(path: part)
        try await file.create(syncingEvery: 1000)
        let first = Self.bytes(2500), second = Self.bytes(700, seed: 9)
        try await file.write(first)
        try await file.write([])
        try await file.write(second)
        #expect(!scratch.exists(final), "not under its name before it is finished")
        try await file.finish(renamingTo: final)
        #expect(!scratch.exists(part) && scratch.exists(final))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: final))) == first + second)

        let reader = DurableFile(path: final)
        try await reader.openForReading()
        let whole = first + second
        #expect(try await reader.read(at: 0, upTo: 100) == Array(whole[0..<100]))
        #expect(try await reader.read(at: 3000, upTo: 1000) == Array(whole[3000...]), "short at the end")
        #expect(try await reader.read(at: whole.count, upTo: 10) == [])
        #expect(try await reader.read(upTo: 2000) == Array(whole[0..<2000]), "in turn from the start")
        #expect(try await reader.read(upTo: 2000) == Array(whole[2000...]))
        #expect(try await reader.read(upTo: 2000) == [])
    }

    @Test func aDiscardedFileIsGoneAndFailuresNameTheFile() async throws {
        let scratch = try Scratch()
        let file = DurableFile(path: scratch.path("gone.part"))
        try await file.create()
        try await file.write(Self.bytes(10))
        await file.discard()
        #expect(!scratch.exists(scratch.path("gone.part")))

        let missing = DurableFile(path: scratch.path("missing"))
        do {
            try await missing.openForReading()
            Issue.record("a missing file opened")
        } catch {
            #expect(error.operation == "open" && error.path.hasSuffix("/missing") && error.description.contains("No such file"), "\(error)")
        }
        let nowhere = DurableFile(path: scratch.path("no/such/dir/file"))
        await #expect(throws: FileError.self) { try await nowhere.create() }
    }
}

@Suite("Durable files past the page cache")
struct DirectDurableFileTests {
    /// Pieces of sizes that fall across, onto and short of the megabyte the file writes at a time.
    static let piecePatterns: [[Int]] = [
        [],
        [1],
        [(1 << 20) - 1, 1],
        [1 << 20, 1 << 20],
        [3, 4095, 128 << 10, (1 << 20) + 17, 0, 2 << 20, 999_999],
        [(5 << 20) + 4097],
    ]

    @Test(arguments: piecePatterns)
    func everyByteIsWrittenWhateverThePieces(_ sizes: [Int]) async throws {
        let scratch = try Scratch()
        let path = scratch.path("direct")
        let file = DurableFile(path: path)
        try await file.create(syncingEvery: 1 << 20, syncingDirectory: true, bypassingCache: true)
        #expect(await file.bypassesCache, "the temporary directory's file system takes O_DIRECT")
        var expected: [UInt8] = []
        for (index, size) in sizes.enumerated() {
            let piece = DurableFileTests.bytes(size, seed: UInt8(index + 1))
            expected += piece
            // Both ways of writing: waited for, and queued.
            if index.isMultiple(of: 2) { try await file.write(piece) } else { file.queueWrite(piece) }
        }
        try await file.finish()
        #expect(!(await file.bypassesCache), "finished")
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written.count == expected.count)
        #expect(written == expected)
    }

    @Test func theWholeMegabytesDoNotStayInThePageCache() async throws {
        let scratch = try Scratch()
        // tmpfs keeps every file in memory; only a disk's file can be left out of the cache.
        let fileSystem = try Self.fileSystemType(of: scratch.directory.path)
        try #require(!["tmpfs", "ramfs"].contains(fileSystem), "the temporary directory is on a disk, not \(fileSystem)")
        let path = scratch.path("direct")
        let file = DurableFile(path: path)
        try await file.create(bypassingCache: true)
        let megabytes = 4
        try await file.write(DurableFileTests.bytes((megabytes << 20) + 100))
        try await file.finish()
        #expect(try residentPages(path, bytes: megabytes << 20) == 0)

        // The same bytes written through the cache stay there: the check can tell.
        let cached = DurableFile(path: scratch.path("cached"))
        try await cached.create()
        try await cached.write(DurableFileTests.bytes((megabytes << 20) + 100))
        try await cached.finish()
        #expect(try residentPages(scratch.path("cached"), bytes: megabytes << 20) > 0)
    }

    @Test func aFileOpenedToBeReadWholeIsReadAheadIntoMemory() async throws {
        let (scratch, path, bytes) = try await Self.writtenPastTheCache()
        let reader = DurableFile(path: path)
        try await reader.openForReading(readingAhead: true)
        // Nothing read yet: the system fetches it on its own.
        #expect(try await becomesResident(path, bytes: bytes))
        #expect(try await reader.read(upTo: bytes + 1) == DurableFileTests.bytes(bytes))
        withExtendedLifetime(scratch) {}
    }

    @Test func aFileAskedIntoMemoryIsReadInTheBackground() async throws {
        let (scratch, path, bytes) = try await Self.writtenPastTheCache()
        DurableFile(path: path).readIntoMemory()
        #expect(try await becomesResident(path, bytes: bytes))
        // A missing file is no error: only advice.
        DurableFile(path: scratch.path("missing")).readIntoMemory()
    }

    /// 4 MiB written past the page cache, on a disk (tmpfs keeps everything in memory), and
    /// not in memory afterwards.
    static func writtenPastTheCache() async throws -> (Scratch, String, Int) {
        let scratch = try Scratch()
        let fileSystem = try fileSystemType(of: scratch.directory.path)
        try #require(!["tmpfs", "ramfs"].contains(fileSystem), "the temporary directory is on a disk, not \(fileSystem)")
        let path = scratch.path("direct")
        let bytes = 4 << 20
        let writer = DurableFile(path: path)
        try await writer.create(bypassingCache: true)
        try await writer.write(DurableFileTests.bytes(bytes))
        try await writer.finish()
        try #require(try residentPages(path, bytes: bytes) == 0, "not in memory after the write")
        return (scratch, path, bytes)
    }

    /// The type of the file system `path` is on (`ext4`, `tmpfs`…), from the longest mount point over it.
    static func fileSystemType(of path: String) throws -> String {
        let mounts = try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 2 else { continue }
            let point = fields[1]
            let covers = path == point || path.hasPrefix(point.hasSuffix("/") ? point : point + "/")
            if covers && point.count >= (best?.point.count ?? 0) { best = (point, fields[2]) }
        }
        return try #require(best).type
    }

}
