import Archive
import Foundation
import RPCTesting
import Testing

/// ZIPs from ZIPWriter, read back by three independent readers: Info-ZIP's unzip, Python's
/// zipfile and libarchive's own bsdtar.
@Suite struct ZIPWriterTests {
    static func write(_ entries: [(name: String, bytes: [UInt8], sized: Bool, compress: Bool)], piece: Int = 1000) throws -> [UInt8] {
        let writer = try ZIPWriter()
        var out: [UInt8] = []
        let modified = Date(timeIntervalSince1970: 1_772_409_600) // 2026-03-02
        for entry in entries {
            try writer.beginEntry(name: entry.name, modified: modified, size: entry.sized ? Int64(entry.bytes.count) : nil, compress: entry.compress)
            var offset = 0
            while offset < entry.bytes.count {
                try writer.write(Array(entry.bytes[offset..<min(entry.bytes.count, offset + piece)]))
                offset += piece
                out += writer.takeOutput()
            }
        }
        try writer.finish()
        out += writer.takeOutput()
        #expect(Int64(out.count) == writer.bytesWritten)
        return out
    }

    static func save(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zip-\(UUID().uuidString).zip").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// name → bytes (hex) as Python's zipfile reads them, checking every CRC.
    static func pythonEntries(_ path: String) async throws -> [String: String] {
        let script = """
            import json, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            print(json.dumps({i.filename: z.read(i).hex() for i in z.infolist()}))
            """
        let outcome = try await runTool("python3", ["-c", script, path])
        #expect(outcome.status == 0, "\(outcome.errorText)")
        return try JSONDecoder().decode([String: String].self, from: outcome.output)
    }

    @Test func entriesStreamedInPiecesReadBackByEveryReader() async throws {
        let random = (0..<300_000).map { _ in UInt8.random(in: 0...255) }
        let text = Array(String(repeating: "Zoë Brontë, 李雷, محمد\r\n", count: 5000).utf8)
        let entries: [(name: String, bytes: [UInt8], sized: Bool, compress: Bool)] = [
            ("Org A/Zoë Brontë - First Aid - 2026-03-02.pdf", random, true, false),
            ("Org A/李雷 - First Aid - 2026-03-02.pdf", text, false, true),
            ("manifest.csv", Array("a,b\r\n".utf8), true, true),
            ("empty.txt", [], false, false),
        ]
        let zip = try Self.write(entries)
        #expect(zip.count < random.count + text.count, "text was deflated")
        #expect(zip.count % 10240 != 0 || zip.count < 10240 * 2, "no padding to a block multiple")
        let path = try Self.save(zip)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let test = try await runTool("unzip", ["-t", path])
        #expect(test.status == 0, "\(test.text)\(test.errorText)")
        let entriesRead = try await Self.pythonEntries(path)
        #expect(Set(entriesRead.keys) == Set(entries.map(\.name)), "UTF-8 names, no mojibake")
        for entry in entries {
            #expect(entriesRead[entry.name] == entry.bytes.map { String(format: "%02x", $0) }.joined(), "\(entry.name)")
        }
        let listing = try await runTool("bsdtar", ["-tf", path])
        #expect(listing.status == 0, "\(listing.errorText)")
        #expect(Set(listing.text.split(separator: "\n").map(String.init)) == Set(entries.map(\.name)))
    }

    @Test func anEntryShortOfItsSizeOrLongerIsRefused() throws {
        let writer = try ZIPWriter()
        try writer.beginEntry(name: "a.pdf", modified: Date(), size: 10, compress: false)
        #expect(throws: ZIPError.self) { try writer.write([UInt8](repeating: 1, count: 11)) }
        try writer.write([1, 2, 3])
        #expect(throws: ZIPError.self) { try writer.finishEntry() }
    }

    @Test func outputIsHandedOverAsItIsMade() throws {
        // Memory stays bounded: after each piece the writer holds no more than a block.
        let writer = try ZIPWriter()
        try writer.beginEntry(name: "big.bin", modified: Date(), size: nil, compress: false)
        var taken = 0
        for _ in 0..<64 {
            try writer.write([UInt8](repeating: 7, count: 65536))
            let out = writer.takeOutput()
            #expect(out.count <= 2 * 65536 + 1024)
            taken += out.count
        }
        try writer.finish()
        taken += writer.takeOutput().count
        #expect(taken > 64 * 65536)
    }
}
