#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An incremental RFC 4180 reader: feed it chunks of any size (a field or a CRLF may be
/// split across chunks) and it calls `body` once per complete record.
///
/// - A UTF-8 byte-order mark at the very start is skipped.
/// - Records end at LF or CRLF. A CR followed by anything else is data inside an unquoted
///   field (and "text after a closing quote" after a quoted one); a CR that is the last byte
///   of the input ends the last record.
/// - A blank line (no bytes before its LF or CRLF) is skipped, not read as a record.
/// - A field longer than `maxFieldBytes` is an error, so memory stays bounded whatever the
///   input; so is a field that is not valid UTF-8.
///
/// It works on bytes and builds each field's `String` once, straight from the chunk when the
/// field lies within it. After a `CSVError` the reader is not meant to continue.
public struct CSVReader: Sendable {
    private enum State: Sendable {
        /// Before a field's first byte; before a record's when `fields` is empty.
        case fieldStart
        case unquoted
        /// An unquoted field whose chunk ended on a CR: LF (end of record) or data follows.
        case unquotedCR
        case quoted
        /// A quote inside a quoted field: the first of a doubled pair, or the closing one.
        case quotedQuote
        /// A CR after a closing quote: only LF may follow.
        case closedCR
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private let maxFieldBytes: Int
    private var state = State.fieldStart
    /// The current record's finished fields.
    private var fields: [String] = []
    /// The current field's bytes from earlier chunks (and unescaped doubled quotes).
    private var carried: [UInt8] = []
    /// The line of the next byte.
    private var line = 1
    private var recordLine = 1
    private var fieldLine = 1
    /// How many bytes of a leading byte-order mark have been seen; nil once past the start.
    private var byteOrderMarkSeen: Int? = 0

    public init(maxFieldBytes: Int = 1 << 20) {
        precondition(maxFieldBytes > 0, "maxFieldBytes must be positive")
        self.maxFieldBytes = maxFieldBytes
    }

    /// Reads the next chunk, calling `body` for every record it completes. Errors thrown by
    /// `body` propagate unchanged.
    public mutating func feed(_ bytes: some Collection<UInt8>, _ body: (CSVRecord) throws -> Void) throws {
        let fed: Void? = try bytes.withContiguousStorageIfAvailable { try feed(buffer: $0, body) }
        if fed == nil {
            try Array(bytes).withUnsafeBufferPointer { try feed(buffer: $0, body) }
        }
    }

    /// Reads the next chunk from raw memory (a file read or a socket buffer).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (CSVRecord) throws -> Void) throws {
        try bytes.withMemoryRebound(to: UInt8.self) { try feed(buffer: $0, body) }
    }

    /// End of input: emits the last record if it had no final newline; throws `CSVError` for
    /// an unterminated quote. The reader then starts over, as for a new input.
    public mutating func finish(_ body: (CSVRecord) throws -> Void) throws {
        if let seen = byteOrderMarkSeen {
            byteOrderMarkSeen = nil
            try replayByteOrderMark(seen, body)
        }
        let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        switch state {
        case .fieldStart:
            if !fields.isEmpty {
                fields.append("")
                try endRecord(body)
            }
        case .unquoted, .unquotedCR:
            try endUnquotedRecord(empty, body)
        case .quoted:
            throw CSVError(line: fieldLine, column: fields.count + 1, reason: CSVError.unterminatedQuote)
        case .quotedQuote:
            try finishField(empty)
            try endRecord(body)
        case .closedCR:
            try endRecord(body)
        }
        self = CSVReader(maxFieldBytes: maxFieldBytes)
    }

    private mutating func feed(buffer: UnsafeBufferPointer<UInt8>, _ body: (CSVRecord) throws -> Void) throws {
        var start = 0
        if var seen = byteOrderMarkSeen {
            while seen < Self.byteOrderMark.count, start < buffer.count, buffer[start] == Self.byteOrderMark[seen] {
                seen += 1
                start += 1
            }
            if seen == Self.byteOrderMark.count {
                byteOrderMarkSeen = nil
            } else if start == buffer.count {
                byteOrderMarkSeen = seen  // the chunk ended inside what may still be a mark
                return
            } else {
                byteOrderMarkSeen = nil
                try replayByteOrderMark(seen, body)  // it was data after all
            }
        }
        try consume(UnsafeBufferPointer(rebasing: buffer[start...]), body)
    }

    private mutating func replayByteOrderMark(_ count: Int, _ body: (CSVRecord) throws -> Void) throws {
        guard count > 0 else { return }
        try Self.byteOrderMark.withUnsafeBufferPointer {
            try consume(UnsafeBufferPointer(rebasing: $0[..<count]), body)
        }
    }

    /// The state machine. A field's bytes within this chunk run from `spanStart` and are
    /// copied into `carried` only when the field continues past the chunk (or unescaping
    /// needs it), so most fields become Strings straight from `input`.
    private mutating func consume(_ input: UnsafeBufferPointer<UInt8>, _ body: (CSVRecord) throws -> Void) throws {
        let end = input.count
        var i = 0
        var spanStart = 0
        while i < end {
            switch state {
            case .fieldStart:
                if fields.isEmpty { recordLine = line }
                fieldLine = line
                switch input[i] {
                case ASCII.quote:
                    state = .quoted
                    i += 1
                    spanStart = i
                case ASCII.comma:
                    fields.append("")
                    i += 1
                case ASCII.lf:
                    if fields.isEmpty {
                        line += 1  // a blank line
                    } else {
                        fields.append("")
                        try endRecord(body)
                    }
                    i += 1
                default:
                    state = .unquoted  // the same byte again, as the field's first
                    spanStart = i
                }

            case .unquoted:
                var j = i
                while j < end {
                    let byte = input[j]
                    if byte <= ASCII.comma,
                       byte == ASCII.comma || byte == ASCII.lf || byte == ASCII.cr || byte == ASCII.quote { break }
                    j += 1
                }
                i = j
                guard j < end else { break }
                switch input[j] {
                case ASCII.comma:
                    try finishField(UnsafeBufferPointer(rebasing: input[spanStart..<j]))
                    state = .fieldStart
                    i = j + 1
                case ASCII.lf:
                    try endUnquotedRecord(UnsafeBufferPointer(rebasing: input[spanStart..<j]), body)
                    i = j + 1
                case ASCII.cr:
                    if j + 1 == end {
                        state = .unquotedCR
                        i = end
                    } else if input[j + 1] == ASCII.lf {
                        try endUnquotedRecord(UnsafeBufferPointer(rebasing: input[spanStart..<j]), body)
                        i = j + 2
                    } else {
                        i = j + 1  // a lone CR is data
                    }
                default:
                    throw CSVError(line: line, column: fields.count + 1, reason: CSVError.quoteInUnquotedField)
                }

            case .unquotedCR:
                // Only at the start of a chunk: the last one ended on this field's CR.
                if input[i] == ASCII.lf {
                    try endUnquotedRecord(UnsafeBufferPointer(rebasing: input[i..<i]), body)
                    i += 1
                } else {
                    try carry(CollectionOfOne(ASCII.cr))
                    state = .unquoted
                    spanStart = i
                }

            case .quoted:
                var j = i
                while j < end {
                    let byte = input[j]
                    if byte == ASCII.quote { break }
                    if byte == ASCII.lf { line += 1 }
                    j += 1
                }
                if j == end {
                    i = end
                } else {
                    state = .quotedQuote
                    i = j + 1
                }

            case .quotedQuote:
                // The quote is at i - 1, or ended the last chunk (then i == 0 and it is not
                // part of this chunk's span).
                let contentEnd = max(spanStart, i - 1)
                switch input[i] {
                case ASCII.quote:
                    // A doubled quote stands for one: keep the first, skip the second.
                    if i > 0 {
                        try carry(UnsafeBufferPointer(rebasing: input[spanStart..<i]))
                    } else {
                        try carry(CollectionOfOne(ASCII.quote))
                    }
                    state = .quoted
                    i += 1
                    spanStart = i
                case ASCII.comma:
                    try finishField(UnsafeBufferPointer(rebasing: input[spanStart..<contentEnd]))
                    state = .fieldStart
                    i += 1
                case ASCII.lf:
                    try finishField(UnsafeBufferPointer(rebasing: input[spanStart..<contentEnd]))
                    try endRecord(body)
                    i += 1
                case ASCII.cr:
                    try finishField(UnsafeBufferPointer(rebasing: input[spanStart..<contentEnd]))
                    state = .closedCR
                    i += 1
                default:
                    throw CSVError(line: line, column: fields.count + 1, reason: CSVError.textAfterClosingQuote)
                }

            case .closedCR:
                guard input[i] == ASCII.lf else {
                    throw CSVError(line: line, column: fields.count, reason: CSVError.textAfterClosingQuote)
                }
                try endRecord(body)
                i += 1
            }
        }

        // Keep what the chunk holds of an unfinished field; a trailing CR or quote is not
        // content yet.
        switch state {
        case .unquoted, .quoted:
            try carry(UnsafeBufferPointer(rebasing: input[spanStart..<end]))
        case .unquotedCR, .quotedQuote:
            try carry(UnsafeBufferPointer(rebasing: input[spanStart..<max(spanStart, end - 1)]))
        case .fieldStart, .closedCR:
            break
        }
    }

    private mutating func carry(_ bytes: some Collection<UInt8>) throws {
        guard carried.count + bytes.count <= maxFieldBytes else {
            throw CSVError(line: fieldLine, column: fields.count + 1, reason: CSVError.fieldTooLong(maxFieldBytes))
        }
        carried.append(contentsOf: bytes)
    }

    /// Ends the current field with `tail`, its last bytes.
    private mutating func finishField(_ tail: UnsafeBufferPointer<UInt8>) throws {
        let value: String?
        if carried.isEmpty {
            guard tail.count <= maxFieldBytes else {
                throw CSVError(line: fieldLine, column: fields.count + 1, reason: CSVError.fieldTooLong(maxFieldBytes))
            }
            value = Self.string(tail)
        } else {
            try carry(tail)
            value = carried.withUnsafeBufferPointer { Self.string($0) }
            carried.removeAll(keepingCapacity: true)
        }
        guard let value else {
            throw CSVError(line: fieldLine, column: fields.count + 1, reason: CSVError.invalidUTF8)
        }
        fields.append(value)
    }

    /// At LF (or CRLF) after an unquoted field: a record, or a blank CRLF line to skip.
    private mutating func endUnquotedRecord(_ tail: UnsafeBufferPointer<UInt8>, _ body: (CSVRecord) throws -> Void) throws {
        if fields.isEmpty, carried.isEmpty, tail.isEmpty {
            state = .fieldStart
            line += 1
            return
        }
        try finishField(tail)
        try endRecord(body)
    }

    /// The field's String, or nil when `bytes` is not valid UTF-8. `String(decoding:)` is
    /// the fast path (it validates as it copies, several times faster than
    /// `String(validating:as:)`) but repairs bad input with U+FFFD, so the copy equals its
    /// input exactly when the input was valid.
    @inline(__always)
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var value = String(decoding: bytes, as: UTF8.self)
        let unchanged = value.withUTF8 { copy in
            copy.count == bytes.count
                && (bytes.isEmpty || memcmp(copy.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
        return unchanged ? value : nil
    }

    private mutating func endRecord(_ body: (CSVRecord) throws -> Void) throws {
        let record = CSVRecord(line: recordLine, fields: fields)
        fields.removeAll(keepingCapacity: true)
        state = .fieldStart
        line += 1
        try body(record)
    }
}
