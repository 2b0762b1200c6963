import CertificatePDF

enum Fixtures {
    /// A 120-character name with spaces: long enough to shrink and wrap.
    static let longName = "Maximiliana Alexandrina Fernanda de los Ángeles Carolina Isabella Montgomery-Featherstonehaugh Villanueva de Castellanos"

    /// Names in the scripts delegates' names come in.
    static let names = ["Zoë Brontë", "Łukasz Żółkiewski", "李雷", "محمد عبد الله", "דוד כהן", longName]

    static func content(name: String = "Zoë Brontë", number: String = "CP-2026-000123",
                        expiry: String? = "2029-03-01") -> CertificateContent {
        CertificateContent(providerName: "Northwind Safety Training", contactName: name,
                           courseName: "Fire Safety and Evacuation Level 2", organisationName: "Acme Logistics Ltd",
                           completionDate: "2026-03-02", expiryDate: expiry, certificateNumber: number,
                           verificationURL: "https://certs.example.org/verify/\(number)?k=7f3a9c2e")
    }

    /// A small logo PNG: a rounded navy mark with a gold bar (made here, stored uncompressed).
    static let logoPNG: [UInt8] = {
        let width = 160, height = 64
        var pixels: [UInt8] = []
        for y in 0..<height {
            pixels.append(0)  // filter: none
            for x in 0..<width {
                let dx = Double(x - 32), dy = Double(y - 32)
                let inCircle = dx * dx + dy * dy <= 30 * 30
                let inBar = x >= 72 && x < 156 && ((y >= 16 && y < 28) || (y >= 36 && y < 48))
                let inCheck = inCircle && abs(dy - (dx < 0 ? -dx * 0.8 : dx * 1.2) + 6) < 4 && dx > -14 && dx < 16
                let pixel: [UInt8] = inCheck ? [255, 255, 255, 255]
                    : inCircle ? [31, 58, 95, 255]
                    : inBar ? (y < 28 ? [31, 58, 95, 255] : [176, 141, 60, 255])
                    : [0, 0, 0, 0]
                pixels += pixel
            }
        }
        return PNG.rgba(width: width, height: height, rows: pixels)
    }()
}

/// Just enough of PNG to write a test image: RGBA, one IDAT of stored deflate blocks.
enum PNG {
    static func rgba(width: Int, height: Int, rows: [UInt8]) -> [UInt8] {
        var header: [UInt8] = []
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 6, 0, 0, 0]  // 8 bits, RGBA, deflate, adaptive filters, no interlace
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = min(65_535, rows.count - offset)
            let final: UInt8 = offset + count == rows.count ? 1 : 0
            zlib += [final, UInt8(count & 0xff), UInt8(count >> 8), UInt8(~count & 0xff), UInt8((~count >> 8) & 0xff)]
            zlib += rows[offset..<(offset + count)]
            offset += count
        } while offset < rows.count
        zlib += bigEndian(adler32(rows))
        return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
            + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }
}
