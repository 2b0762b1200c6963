internal import CJPEG
internal import CPNG

/// Full decodes of PNG and JPEG files; the decode loops live in the C shims (setjmp stays in C).
/// A PNG is checked by `PNGStreamCheck`, whole or piece by piece.
enum ImageCheck {
    static let messageCapacity = 256
    /// Memory libjpeg may use for one image (a progressive JPEG is buffered whole).
    static let maxJPEGMemory = 512 * 1024 * 1024

    /// A whole PNG: the stream check fed it in one piece.
    static func checkPNG(_ bytes: [UInt8]) throws(FileRefusal) {
        let check = PNGStreamCheck()
        try check.feed(bytes)
        try check.finish()
    }

    static func checkJPEG(_ bytes: [UInt8]) throws(FileRefusal) {
        var width: UInt32 = 0
        var height: UInt32 = 0
        var message = [CChar](repeating: 0, count: messageCapacity)
        let limit = UInt32(CertificateFileCheck.maxPixelsPerSide)
        let result = bytes.withUnsafeBufferPointer { input in
            message.withUnsafeMutableBufferPointer { text in
                cjpeg_decode(input.baseAddress, input.count, limit, limit, maxJPEGMemory, &width, &height,
                             text.baseAddress, text.count)
            }
        }
        switch Int(result) {
        case Int(CJPEG_OK.rawValue): return
        case Int(CJPEG_TRUNCATED.rawValue): throw FileRefusal(reason: "the file is a JPEG that ends early (truncated)")
        case Int(CJPEG_TOO_LARGE.rawValue): throw tooLarge(.jpeg, width: width, height: height)
        default:
            let reason = text(message)
            // libjpeg's words when max_memory_to_use runs out (it has no backing store here).
            if reason.contains("Backing store not supported") || reason.contains("Insufficient memory") {
                throw FileRefusal(reason: "the JPEG is \(grouped(Int(width))) × \(grouped(Int(height))) pixels, "
                    + "too large to decode in \(maxJPEGMemory / (1024 * 1024)) MB")
            }
            throw FileRefusal(reason: "the JPEG is damaged: \(reason)")
        }
    }

    static func tooLarge(_ kind: CertificateFileKind, width: UInt32, height: UInt32) -> FileRefusal {
        let limit = grouped(CertificateFileCheck.maxPixelsPerSide)
        return FileRefusal(reason: "the \(kind.displayName) is \(grouped(Int(width))) × \(grouped(Int(height))) pixels; "
            + "the limit is \(limit) × \(limit)")
    }

    /// 100000 → "100,000".
    static func grouped(_ number: Int) -> String {
        var digits = Array(String(number))
        var index = digits.count - 3
        while index > 0 {
            digits.insert(",", at: index)
            index -= 3
        }
        return String(digits)
    }

    /// A C message buffer as a sentence fragment, lower-cased first letter, no final full stop.
    static func text(_ message: [CChar]) -> String {
        let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        var text = String(decoding: bytes, as: UTF8.self)
        while text.hasSuffix(".") || text.hasSuffix(" ") { text.removeLast() }
        return text.isEmpty ? "unknown error" : text
    }
}
