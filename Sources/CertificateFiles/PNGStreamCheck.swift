internal import CPNG
internal import Synchronization

/// The PNG check of `CertificateFileCheck`, done while the file's pieces arrive: each piece
/// is decoded as it comes (rows counted and thrown away), so the verdict is ready a moment
/// after the last byte. Refuses exactly as `CertificateFileCheck.inspect` refuses the whole
/// file, whatever the pieces; a header over the pixel limit on the piece that completes it.
public final class PNGStreamCheck: Sendable {
    /// The C decode; nil when it could not be made (out of memory). The mutex only makes the
    /// class Sendable: one caller feeds it at a time, in order, from whatever thread.
    private let decode: Mutex<UnsafeMutablePointer<cpng_stream>?>

    public init() {
        let limit = UInt32(CertificateFileCheck.maxPixelsPerSide)
        decode = Mutex(cpng_stream_create(limit, limit))
    }

    deinit {
        decode.withLock { cpng_stream_destroy($0) }
    }

    /// The next piece of the file. Throws at the first piece that shows the file bad, and
    /// again (the same refusal) at every piece after it.
    public func feed(_ bytes: [UInt8]) throws(FileRefusal) {
        try step { stream, message in
            bytes.withUnsafeBufferPointer { input in
                cpng_stream_feed(stream, input.baseAddress, input.count, message.baseAddress, message.count)
            }
        }
    }

    /// After the last piece: throws unless the whole image and its IEND chunk were read.
    public func finish() throws(FileRefusal) {
        try step { stream, message in cpng_stream_finish(stream, message.baseAddress, message.count) }
    }

    private func step(_ body: @Sendable (UnsafeMutablePointer<cpng_stream>, UnsafeMutableBufferPointer<CChar>) -> Int32)
        throws(FileRefusal) {
        let refusal: FileRefusal? = decode.withLock { decode in
            guard let stream = decode else { return Self.outOfMemory }
            var message = [CChar](repeating: 0, count: ImageCheck.messageCapacity)
            let result = message.withUnsafeMutableBufferPointer { body(stream, $0) }
            return Self.refusal(result, width: cpng_stream_width(stream), height: cpng_stream_height(stream),
                                message: message)
        }
        if let refusal { throw refusal }
    }

    /// The refusal for a result of the decode (shim.h), nil for CPNG_OK.
    private static func refusal(_ result: Int32, width: UInt32, height: UInt32, message: [CChar]) -> FileRefusal? {
        switch Int(result) {
        case Int(CPNG_OK.rawValue): nil
        case Int(CPNG_TRUNCATED.rawValue): FileRefusal(reason: "the file is a PNG that ends early (truncated)")
        case Int(CPNG_TOO_LARGE.rawValue): ImageCheck.tooLarge(.png, width: width, height: height)
        case Int(CPNG_NO_MEMORY.rawValue): outOfMemory
        default: FileRefusal(reason: "the PNG is damaged: \(ImageCheck.text(message))")
        }
    }

    private static let outOfMemory = FileRefusal(reason: "the PNG could not be checked: out of memory")
}
