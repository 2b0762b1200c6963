/// A PDF written by hand from its objects (numbered from 1, the first the catalog), with a
/// correct cross-reference table.
public func handMadePDF(_ objects: [[UInt8]]) -> [UInt8] {
    var out = Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
    var offsets: [Int] = []
    for (index, object) in objects.enumerated() {
        offsets.append(out.count)
        out += Array("\(index + 1) 0 obj\n".utf8) + object + Array("\nendobj\n".utf8)
    }
    let xref = out.count
    var table = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
    for offset in offsets {
        let digits = String(offset)
        table += String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n"
    }
    table += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
    return out + Array(table.utf8)
}

/// A decompression bomb: a valid one-page PDF whose content stream is `megabytes` MiB of
/// zeros, Flate-compressed (about 1 KB for each MiB). Python's zlib compresses one MiB of
/// zeros into a block that starts and ends on a byte (a full flush), which is repeated;
/// the Adler-32 of n zeros is (n mod 65521) << 16 | 1.
public func decompressionBombPDF(megabytes: Int) async throws -> [UInt8] {
    let script = """
        import sys, zlib
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        sys.stdout.buffer.write(c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH))
        """
    let block = [UInt8](try await runTool("python3", ["-c", script]).output)
    let size = megabytes << 20
    let adler = UInt32(size % 65521) << 16 | 1
    var stream: [UInt8] = [0x78, 0xDA]
    stream.reserveCapacity(block.count * megabytes + 8)
    for _ in 0..<megabytes { stream += block }
    // The last block: empty, fixed Huffman codes, final.
    stream += [0x03, 0x00, UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
    return handMadePDF([
        Array("<< /Type /Catalog /Pages 2 0 R >>".utf8),
        Array("<< /Type /Pages /Kids [3 0 R] /Count 1 >>".utf8),
        Array("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".utf8),
        Array("<< /Length \(stream.count) /Filter /FlateDecode >>\nstream\n".utf8) + stream + Array("\nendstream".utf8),
    ])
}
