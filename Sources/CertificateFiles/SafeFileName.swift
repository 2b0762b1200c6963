internal import Foundation

/// File names for certificates that are safe on Windows, macOS and Linux and inside ZIP files.
public enum SafeFileName {
    /// The most UTF-8 bytes a name gets by default (well under the 255 of common file systems).
    public static let defaultMaxBytes = 180
    /// The fewest bytes `maxBytes` may be: room for a stem, a counter and an extension.
    static let minimumMaxBytes = 24

    /// "Zoë Brown - First Aid at Work - 2026-03-02.pdf": contact, course, date, extension; safe on
    /// Windows, macOS and Linux and in ZIP files. A long course, then a long contact, is shortened
    /// first so that the date and extension always stay.
    public static func make(contact: String, course: String, date: String, fileExtension: String) -> String {
        let separator = " - "
        let ext = cleanExtension(fileExtension)
        let suffix = ext.isEmpty ? "" : "." + ext
        var parts = [contact, course, date].map { collapseSpaces(replaceUnsafe(normalize($0), pathSeparator: "_")) }
            .map { trimDotsAndSpaces($0) }
        let budget = defaultMaxBytes - suffix.utf8.count
        var used = parts.filter { !$0.isEmpty }.map(\.utf8.count).reduce(0, +)
            + separator.utf8.count * max(0, parts.filter { !$0.isEmpty }.count - 1)
        for index in [1, 0] where used > budget {
            let keep = max(16, parts[index].utf8.count - (used - budget))
            let cut = trimDotsAndSpaces(prefix(parts[index], maxBytes: keep))
            used -= parts[index].utf8.count - cut.utf8.count
            parts[index] = cut
        }
        return sanitize(parts.filter { !$0.isEmpty }.joined(separator: separator) + suffix)
    }

    /// Any name made safe: no `/`, `\`, `..` segments, control characters or characters Windows
    /// forbids (`<>:"|?*`), no leading/trailing dots or spaces, not a Windows reserved name (CON,
    /// PRN, AUX, NUL, COM1…, LPT1…, with any extension), Unicode normalised to NFC, at most
    /// `maxBytes` UTF-8 bytes without cutting a character (keeping the extension), never empty
    /// ("file"). `maxBytes` below 24 counts as 24.
    public static func sanitize(_ name: String, maxBytes: Int = defaultMaxBytes) -> String {
        let (stem, ext) = safeParts(name)
        return fit(stem: stem, counter: "", ext: ext, maxBytes: maxBytes)
    }

    /// Makes names unique within one set (a ZIP): "a.pdf", "a (2).pdf", … comparing
    /// case-insensitively after NFC normalisation. Every name given is sanitised first.
    public struct UniqueNames: Sendable {
        private var taken: Set<String> = []
        private let maxBytes: Int

        public init() {
            self.init(maxBytes: SafeFileName.defaultMaxBytes)
        }

        /// Names of at most `maxBytes` UTF-8 bytes, counter included.
        public init(maxBytes: Int) {
            self.maxBytes = maxBytes
        }

        /// The name itself when no name claimed before equals it, else the first free "name (n).ext".
        public mutating func claim(_ name: String) -> String {
            let (stem, ext) = SafeFileName.safeParts(name)
            var counter = 1
            while true {
                let candidate = SafeFileName.fit(stem: stem, counter: counter == 1 ? "" : " (\(counter))", ext: ext,
                                                 maxBytes: maxBytes)
                if taken.insert(Self.key(candidate)).inserted { return candidate }
                counter += 1
            }
        }

        /// How file systems that ignore case (Windows, macOS) and ZIP tools compare names.
        static func key(_ name: String) -> String {
            SafeFileName.normalize(name).lowercased()
        }
    }

    // MARK: - The rules

    /// The name cleaned of everything unsafe, split into stem and extension (without its dot).
    static func safeParts(_ name: String) -> (stem: String, ext: String) {
        var text = collapseSpaces(replaceUnsafe(normalize(name), pathSeparator: "/"))
        // Path segments: `..` and `.` are dropped, the rest joined so nothing names a folder.
        text = text.split(separator: "/", omittingEmptySubsequences: true)
            .map { trimDotsAndSpaces(String($0)) }
            .filter { !$0.isEmpty }
            .joined(separator: "_")
        text = trimDotsAndSpaces(text)
        var stem = text
        var ext = ""
        if let dot = text.lastIndex(of: "."), dot != text.startIndex {
            let candidate = String(text[text.index(after: dot)...])
            if (1...10).contains(candidate.utf8.count), candidate.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) }) {
                ext = candidate
                stem = trimDotsAndSpaces(String(text[..<dot]))
            }
        }
        if isReservedOnWindows(stem) { stem = "_" + stem }
        return (stem, ext)
    }

    /// stem + counter + "." + ext in at most maxBytes UTF-8 bytes: the stem is shortened at a
    /// character boundary; the counter and extension stay. An empty stem becomes "file".
    static func fit(stem: String, counter: String, ext: String, maxBytes: Int) -> String {
        let limit = max(maxBytes, minimumMaxBytes)
        var ext = ext
        if ext.utf8.count > limit / 2 { ext = "" }
        let suffix = counter + (ext.isEmpty ? "" : "." + ext)
        var stem = trimDotsAndSpaces(prefix(stem, maxBytes: limit - suffix.utf8.count))
        if stem.isEmpty { stem = "file" }
        if isReservedOnWindows(stem) { stem = "_" + stem }
        return stem + suffix
    }

    /// The longest prefix of whole characters (grapheme clusters) within maxBytes UTF-8 bytes.
    static func prefix(_ text: String, maxBytes: Int) -> String {
        var bytes = 0
        var result = ""
        for character in text {
            let size = character.utf8.count
            if bytes + size > maxBytes { break }
            bytes += size
            result.append(character)
        }
        return result
    }

    /// NFC: the same name typed on macOS (often NFD) and elsewhere has the same bytes.
    static func normalize(_ text: String) -> String {
        text.precomposedStringWithCanonicalMapping
    }

    /// Control and invisible direction characters dropped (whitespace ones become spaces), the
    /// characters Windows forbids replaced; `/` and `\` become `pathSeparator`.
    static func replaceUnsafe(_ text: String, pathSeparator: Character) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "/", "\\": result.append(pathSeparator)
            case ":": result.append("-")
            case "\"": result.append("'")
            case "<", ">", "|", "?", "*": result.append("_")
            case "\t", "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": result.append(" ")
            default:
                switch scalar.properties.generalCategory {
                // Cc: controls; Cf: format characters such as U+202E, which can make "gpj.exe" look like
                // "exe.jpg" — but the joiners and tags that emoji are built of stay.
                case .format where scalar == "\u{200C}" || scalar == "\u{200D}" || ("\u{E0020}"..."\u{E007F}").contains(scalar):
                    result.unicodeScalars.append(scalar)
                case .control, .format, .surrogate, .privateUse, .unassigned: continue
                default:
                    // Other spaces (no-break and the like) are plain spaces in a file name.
                    if scalar.properties.isWhitespace { result.append(" ") } else { result.unicodeScalars.append(scalar) }
                }
            }
        }
        return result
    }

    static func collapseSpaces(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// Windows drops trailing dots and spaces; leading dots hide a file on macOS and Linux.
    static func trimDotsAndSpaces(_ text: String) -> String {
        var text = Substring(text)
        while let first = text.first, first == "." || first == " " { text.removeFirst() }
        while let last = text.last, last == "." || last == " " { text.removeLast() }
        return String(text)
    }

    /// CON, PRN, AUX, NUL, COM0–9, LPT0–9 (also with superscript digits) are devices on Windows,
    /// whatever follows the first dot.
    static func isReservedOnWindows(_ stem: String) -> Bool {
        let base = (stem.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? stem)
        let upper = trimDotsAndSpaces(base).uppercased()
        if ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"].contains(upper) { return true }
        guard upper.count == 4, upper.hasPrefix("COM") || upper.hasPrefix("LPT"), let digit = upper.last else { return false }
        return digit.isNumber || "¹²³".contains(digit)
    }

    /// The extension in lower-case letters and digits only ("PDF" → "pdf", ".jpg" → "jpg").
    static func cleanExtension(_ ext: String) -> String {
        String(ext.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) || ("0"..."9").contains($0) }.prefix(10)
            .map(Character.init))
    }
}
