import CertificateFiles
import Foundation
import Testing
import RPCTesting

/// Real files made at test time by independent tools (ImageMagick's convert, qpdf), and the
/// verdicts of those tools, so each fixture is judged by someone other than the code under test.
enum Fixtures {
    /// The real ImageMagick (`/usr/local/bin/convert` may be a stand-in): scripts/install-deps installs it.
    static let convert = "/usr/bin/convert"
    static let qpdf = "/usr/bin/qpdf"

    struct ToolFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// A fresh folder for one test's files.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("certificate-files-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a tool to the end; its exit status.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) async throws -> Int32 {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw ToolFailure(description: "\(tool) is missing: run scripts/install-deps")
        }
        return try await runTool(tool, arguments).status
    }

    /// An image made by convert: `format` is "png" or "jpg"; `options` go before the output name.
    static func image(_ format: String, width: Int = 320, height: Int = 200, options: [String] = []) async throws -> [UInt8] {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("certificate.\(format)").path
        let status = try await run(convert, ["-size", "\(width)x\(height)", "gradient:navy-gold",
                                       "-fill", "white", "-draw", "rectangle 20,20 120,60"] + options + ["\(format):\(output)"])
        guard status == 0 else { throw ToolFailure(description: "convert exited \(status)") }
        return try Array(Data(contentsOf: URL(fileURLWithPath: output)))
    }

    /// Whether convert reads the file without an error or warning.
    static func convertAccepts(_ bytes: [UInt8], as format: String) async throws -> Bool {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("input.\(format)")
        try Data(bytes).write(to: input)
        return try await run(convert, ["-regard-warnings", "\(format):\(input.path)", "null:"]) == 0
    }

    /// `qpdf --check`'s exit status: 0 clean, 2 errors, 3 warnings.
    static func qpdfCheck(_ bytes: [UInt8]) async throws -> Int32 {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("input.pdf")
        try Data(bytes).write(to: input)
        return try await run(qpdf, ["--check", input.path])
    }

    /// `pdf` encrypted by qpdf with AES-256 and a user password (needed to open it).
    static func encrypted(_ pdf: [UInt8], userPassword: String = "secret") async throws -> [UInt8] {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("input.pdf")
        let output = dir.appendingPathComponent("output.pdf")
        try Data(pdf).write(to: input)
        let status = try await run(qpdf, ["--encrypt", userPassword, "owner-secret", "256", "--", input.path, output.path])
        guard status == 0 else { throw ToolFailure(description: "qpdf --encrypt exited \(status)") }
        return try Array(Data(contentsOf: output))
    }

    /// A one-page PDF written by hand, with a correct cross-reference table.
    static func pdf(content: String = "BT /F1 24 Tf 72 720 Td (Certificate of completion) Tj ET",
                    pagesReference: String = "2 0 R") -> [UInt8] {
        handMadePDF([
            "<< /Type /Catalog /Pages \(pagesReference) >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(content.utf8.count) >>\nstream\n\(content)\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ].map { Array($0.utf8) })
    }

    // MARK: - PNG chunks

    struct Chunk {
        let type: String
        /// Offset of the chunk's length field.
        let offset: Int
        let length: Int
        var dataOffset: Int { offset + 8 }
        var crcOffset: Int { dataOffset + length }
    }

    static func chunks(_ png: [UInt8]) -> [Chunk] {
        var result: [Chunk] = []
        var offset = 8
        while offset + 12 <= png.count {
            let length = png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: png[offset + 4..<offset + 8], as: UTF8.self)
            result.append(Chunk(type: type, offset: offset, length: length))
            offset += 12 + length
        }
        return result
    }

    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// `png` with its header claiming width × height, the header's CRC made right again.
    static func png(_ png: [UInt8], declaring width: UInt32, by height: UInt32) -> [UInt8] {
        var bytes = png
        let header = chunks(png)[0]
        bytes.replaceSubrange(header.dataOffset..<header.dataOffset + 4, with: bigEndian(width))
        bytes.replaceSubrange(header.dataOffset + 4..<header.dataOffset + 8, with: bigEndian(height))
        let crc = crc32(bytes[header.offset + 4..<header.crcOffset])
        bytes.replaceSubrange(header.crcOffset..<header.crcOffset + 4, with: bigEndian(crc))
        return bytes
    }
}

/// A deterministic generator (SplitMix64) for "random" bytes that are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The reason `bytes` are refused, or nil when they are accepted.
func refusal(_ bytes: [UInt8]) -> String? {
    do throws(FileRefusal) {
        _ = try CertificateFileCheck.inspect(bytes)
        return nil
    } catch {
        return error.reason
    }
}
