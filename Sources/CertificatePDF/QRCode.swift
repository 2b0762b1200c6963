internal import CQRencode

/// A QR code's modules as a Swift value: `width` × `width`, row by row, true is dark.
struct QRCode {
    let width: Int
    let modules: [Bool]

    /// The QR code of `payload` (8-bit mode, error correction level M, the smallest version
    /// that holds it). libqrencode guards its shared tables with a mutex: safe on any thread.
    init(_ payload: String) throws(RenderError) {
        guard let code = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else {
            throw RenderError("verificationURL: too long for a QR code (\(payload.utf8.count) bytes)")
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        // Bit 0 of each byte is the module's colour; the other bits describe its role.
        modules = UnsafeBufferPointer(start: code.pointee.data, count: width * width).map { $0 & 1 == 1 }
        self.width = width
    }

    func isDark(row: Int, column: Int) -> Bool { modules[row * width + column] }
}
