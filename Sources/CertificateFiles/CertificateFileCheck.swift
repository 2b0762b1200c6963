/// Judges an uploaded certificate file by its content (magic bytes and a full parse), never its name.
public enum CertificateFileCheck {
    /// The largest file accepted: 20 MB.
    public static let maxBytes = 20 * 1024 * 1024
    /// The largest width and the largest height of an image accepted, in pixels (decompression bombs).
    public static let maxPixelsPerSide = 20_000

    /// What the bytes are, or why they are refused. Fully parses: a PDF is opened with qpdf and
    /// its pages and objects checked (what `qpdf --check` would reject is refused; an encrypted
    /// PDF without a password refused as such); a PNG is decoded to the last row and its CRCs
    /// checked; a JPEG decoded completely. Also refuses images larger than 20,000 × 20,000
    /// pixels (decompression bombs) before decoding them.
    public static func inspect(_ bytes: [UInt8]) throws(FileRefusal) -> CertificateFileKind {
        let kind = try kindToCheck(bytes)
        switch kind {
        case .pdf: try PDFCheck.check(bytes)
        case .png: try ImageCheck.checkPNG(bytes)
        case .jpeg: try ImageCheck.checkJPEG(bytes)
        }
        return kind
    }

    /// As `inspect(_:)`, a PDF checked by `isolated` in a child process when it is given
    /// (images are checked here, in bounded memory, as always). Throws a `FileRefusal`, or
    /// `IsolatedPDFCheck.Failure` when no check could be made; blocks while the child runs.
    public static func inspect(_ bytes: [UInt8], checkingPDFsWith isolated: IsolatedPDFCheck?) throws -> CertificateFileKind {
        guard let isolated else { return try inspect(bytes) }
        let kind = try kindToCheck(bytes)
        guard kind == .pdf else { return try inspect(bytes) }
        try isolated.check(bytes)
        return kind
    }

    /// What the bytes claim to be, refused when empty, too large or none of the three.
    private static func kindToCheck(_ bytes: [UInt8]) throws(FileRefusal) -> CertificateFileKind {
        if bytes.isEmpty { throw FileRefusal(reason: "the file is empty") }
        if bytes.count > maxBytes {
            throw FileRefusal(reason: "the file is \(megabytes(bytes.count)) MB; the limit is \(maxBytes / (1024 * 1024)) MB")
        }
        guard let kind = sniff(bytes) else {
            throw FileRefusal(reason: "the file is not a PDF, PNG or JPEG (it starts with \(describeStart(of: bytes)))")
        }
        return kind
    }

    /// Cheap check of the first bytes only, for refusing a stream early.
    public static func sniff(_ prefix: [UInt8]) -> CertificateFileKind? {
        if prefix.starts(with: pngSignature) { return .png }
        if prefix.starts(with: jpegStart) { return .jpeg }
        if prefix.starts(with: pdfHeader) { return .pdf }
        return nil
    }

    /// The number of bytes `sniff` needs to decide.
    public static let sniffLength = 8

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let jpegStart: [UInt8] = [0xFF, 0xD8, 0xFF]
    static let pdfHeader: [UInt8] = Array("%PDF-".utf8)

    /// "31.2", rounded up so that a file just over the limit never reads as the limit.
    static func megabytes(_ count: Int) -> String {
        let tenths = (count * 10 + 1024 * 1024 - 1) / (1024 * 1024)
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// The file's first bytes as a person can read them: text in quotes, otherwise hex.
    static func describeStart(of bytes: [UInt8]) -> String {
        let start = bytes.prefix(16)
        let printable = start.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        if printable {
            let text = String(decoding: start, as: UTF8.self)
                .map { $0.isWhitespace ? " " : String($0) }.joined()
            return "\"\(text)\(bytes.count > start.count ? "…" : "")\""
        }
        let hex = bytes.prefix(8).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return "the bytes \(hex.joined(separator: " "))\(bytes.count > 8 ? " …" : "")"
    }
}
