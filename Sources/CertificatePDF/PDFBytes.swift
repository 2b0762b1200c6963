internal import CCairo

/// The bytes a cairo PDF surface writes, collected in memory. Owned by one render on one
/// thread; cairo reaches it through the `void *` closure of `appendToPDF`.
final class PDFBytes {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(64 * 1024) }
}

/// cairo's write callback (a plain global function: cairo may call it from inside any of its
/// calls, on the rendering thread).
func appendToPDF(_ closure: UnsafeMutableRawPointer?, _ data: UnsafePointer<UInt8>?, _ length: UInt32) -> cairo_status_t {
    guard let closure else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = Unmanaged<PDFBytes>.fromOpaque(closure).takeUnretainedValue()
    if let data, length > 0 {
        sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    }
    return CAIRO_STATUS_SUCCESS
}

/// PNG bytes cairo reads through `readPNG`: the bytes and how far it has read.
final class PNGReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// cairo's read callback for `cairo_image_surface_create_from_png_stream`.
func readPNG(_ closure: UnsafeMutableRawPointer?, _ data: UnsafeMutablePointer<UInt8>?, _ length: UInt32) -> cairo_status_t {
    guard let closure, let data else { return CAIRO_STATUS_READ_ERROR }
    let reader = Unmanaged<PNGReader>.fromOpaque(closure).takeUnretainedValue()
    let count = Int(length)
    guard reader.bytes.count - reader.offset >= count else { return CAIRO_STATUS_READ_ERROR }
    reader.bytes.withUnsafeBufferPointer { source in
        data.update(from: source.baseAddress! + reader.offset, count: count)
    }
    reader.offset += count
    return CAIRO_STATUS_SUCCESS
}

/// A provider's logo decoded into a cairo image surface, destroyed with this object.
final class Logo {
    /// Logos are small marks; a megabyte is plenty and keeps every certificate small.
    static let maximumBytes = 1 << 20
    static let signature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

    let surface: OpaquePointer
    let width: Double, height: Double

    init(png: [UInt8]) throws(RenderError) {
        guard png.starts(with: Self.signature) else {
            throw RenderError("logoPNG: not a PNG image (no PNG signature)")
        }
        let reader = PNGReader(png)
        let surface = withExtendedLifetime(reader) {
            cairo_image_surface_create_from_png_stream(readPNG, Unmanaged.passUnretained(reader).toOpaque())
        }
        guard let surface else { throw RenderError("logoPNG: cairo could not allocate an image") }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw RenderError("logoPNG: not a readable PNG image (\(String(cString: cairo_status_to_string(status))))")
        }
        let width = cairo_image_surface_get_width(surface), height = cairo_image_surface_get_height(surface)
        guard width > 0, height > 0 else {
            cairo_surface_destroy(surface)
            throw RenderError("logoPNG: the image is empty")
        }
        self.surface = surface
        (self.width, self.height) = (Double(width), Double(height))
    }

    deinit { cairo_surface_destroy(surface) }
}
