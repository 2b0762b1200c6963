import Foundation
import Testing
import CertificatePDF
import RPCTesting

/// The independent tools that check a rendered certificate (qpdf, poppler's pdftotext,
/// pdffonts and pdftoppm, zbar's zbarimg), run as processes on threads of their own so
/// that no test blocks Swift's cooperative pool while they work.
enum ExternalTool {
    struct Outcome {
        let status: Int32
        let output: String
        let errors: String
    }

    /// Runs `/usr/bin/<tool> arguments` to its end, off the cooperative pool.
    static func run(_ tool: String, _ arguments: [String]) async throws -> Outcome {
        let run = try await runTool("/usr/bin/" + tool, arguments)
        return Outcome(status: run.status, output: run.text, errors: run.errorText)
    }

    static func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("certificate-pdf-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// One rendered certificate written to a scratch directory, and what the tools say about it.
struct RenderedPDF {
    let directory: String
    var path: String { directory + "/certificate.pdf" }

    init(_ bytes: [UInt8]) throws {
        directory = try ExternalTool.scratchDirectory()
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// `qpdf --check` finds nothing wrong.
    func expectValid(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let check = try await ExternalTool.run("qpdf", ["--check", path])
        #expect(check.status == 0, "qpdf --check: \(check.output) \(check.errors)", sourceLocation: sourceLocation)
        #expect(check.output.contains("No syntax or stream encoding errors found"), "\(check.output)", sourceLocation: sourceLocation)
    }

    /// The page's text as pdftotext reads it, without the direction marks it wraps
    /// right-to-left runs in, every run of white space (line breaks too) as one space.
    func text() async throws -> String {
        let result = try await ExternalTool.run("pdftotext", ["-enc", "UTF-8", path, "-"])
        #expect(result.status == 0, "pdftotext: \(result.errors)")
        return normalised(result.output)
    }

    /// pdffonts' rows: (font name, embedded).
    func fonts() async throws -> [(name: String, embedded: Bool)] {
        let result = try await ExternalTool.run("pdffonts", [path])
        #expect(result.status == 0, "pdffonts: \(result.errors)")
        let lines = result.output.split(separator: "\n")
        guard let rule = lines.firstIndex(where: { $0.hasPrefix("---") }) else { return [] }
        // Columns: name type encoding emb sub uni object ID; the last five are single words.
        return lines[(rule + 1)...].map { line in
            let words = line.split(separator: " ")
            return (String(words[0]), words.count >= 5 && words[words.count - 5] == "yes")
        }
    }

    /// The payloads zbarimg decodes from the page rasterised at 150 dpi.
    func qrPayloads() async throws -> [String] {
        let raster = try await ExternalTool.run("pdftoppm", ["-r", "150", "-png", "-singlefile", path, directory + "/page"])
        #expect(raster.status == 0, "pdftoppm: \(raster.errors)")
        let scan = try await ExternalTool.run("zbarimg", ["-q", "--raw", directory + "/page.png"])
        #expect(scan.status == 0, "zbarimg found nothing: \(scan.errors)")
        return scan.output.split(separator: "\n").map(String.init)
    }
}

/// Text without bidi embedding, override and isolate marks (U+202A–U+202E, U+2066–U+2069),
/// white space runs collapsed to one space.
func normalised(_ text: String) -> String {
    let marks: ClosedRange<UInt32> = 0x202A...0x202E, isolates: ClosedRange<UInt32> = 0x2066...0x2069
    let kept = String(String.UnicodeScalarView(text.unicodeScalars.filter {
        !marks.contains($0.value) && !isolates.contains($0.value)
    }))
    return kept.split(whereSeparator: \.isWhitespace).joined(separator: " ")
}
