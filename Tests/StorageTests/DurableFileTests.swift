import Foundation
import Storage
import Testing

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
