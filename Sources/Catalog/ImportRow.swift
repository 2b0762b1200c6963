internal import Records

/// The columns of the records-import file (PRODUCT.md, "Records import").
enum ImportColumn: String, CaseIterable, Sendable {
    case bookingID = "booking_id"
    case organisationID = "organisation_id"
    case organisationName = "organisation_name"
    case bookerID = "booker_id"
    case bookerName = "booker_name"
    case bookerEmail = "booker_email"
    case contactID = "contact_id"
    case contactName = "contact_name"
    case contactEmail = "contact_email"
    case courseID = "course_id"
    case courseName = "course_name"
    case validityMonths = "validity_months"
    case scheduleID = "schedule_id"
    case scheduleStart = "schedule_start"
    case scheduleEnd = "schedule_end"
    case result = "result"
    case outstanding = "outstanding"

    var isRequired: Bool {
        switch self {
        case .contactEmail, .validityMonths, .result, .outstanding: false
        default: true
        }
    }
}

/// One problem with the file, before it becomes an `ImportProblem` message.
struct RowProblem: Error, Sendable, Equatable {
    var line: Int
    var column: String
    var reason: String
}

/// One valid row of the import file, its values checked and normalised.
struct ImportRow: Sendable {
    var line: Int
    var bookingID = "", organisationID = "", organisationName = ""
    var bookerID = "", bookerName = "", bookerEmail = ""
    var contactID = "", contactName = "", contactEmail = ""
    var courseID = "", courseName = ""
    var validityMonths = 0
    var scheduleID = "", scheduleStart = "", scheduleEnd = ""
    var result = ""
    var outstanding = ""

    /// The longest id and the longest name or e-mail accepted.
    static let maxIDLength = 100
    static let maxTextLength = 300

    /// Reads the row's fields through the header's `layout` (column → field index),
    /// collecting every problem of the row rather than stopping at the first.
    init(line: Int, fields: [String], layout: [(ImportColumn, Int)], width: Int, problems: inout [RowProblem]) {
        self.line = line
        let problemsBefore = problems.count
        var start: LocalDateTime?
        var end: LocalDateTime?
        func report(_ column: ImportColumn, _ reason: String) {
            problems.append(RowProblem(line: line, column: column.rawValue, reason: reason))
        }
        if fields.count != width {
            problems.append(RowProblem(line: line, column: "",
                                       reason: "the row has \(fields.count) fields; the header has \(width)"))
            return
        }
        for (column, index) in layout {
            let raw = fields[index].trimmingWhitespace()
            if raw.isEmpty {
                if column.isRequired { report(column, "is required") }
                continue
            }
            switch column {
            case .bookingID, .organisationID, .bookerID, .contactID, .courseID, .scheduleID:
                if let reason = Self.idProblem(raw) { report(column, reason); continue }
            case .organisationName, .bookerName, .contactName, .courseName:
                if let reason = Self.textProblem(raw) { report(column, reason); continue }
            case .bookerEmail, .contactEmail:
                if let reason = Self.emailProblem(raw) { report(column, reason); continue }
            case .validityMonths:
                guard let months = Int(raw), (1...600).contains(months) else {
                    report(column, "must be a whole number of months from 1 to 600, or empty (never expires); found \"\(raw.clipped)\"")
                    continue
                }
                validityMonths = months
                continue
            case .scheduleStart, .scheduleEnd:
                guard let time = LocalDateTime(raw) else {
                    report(column, "must be an ISO 8601 local date-time such as 2026-03-02T09:00 (years 1900 to 2199); found \"\(raw.clipped)\"")
                    continue
                }
                if column == .scheduleStart { start = time } else { end = time }
                self[column] = time.text
                continue
            case .result:
                let lowered = raw.lowercased()
                guard lowered == "pass" || lowered == "fail" else {
                    report(column, "must be pass, fail or empty; found \"\(raw.clipped)\"")
                    continue
                }
                result = lowered
                continue
            case .outstanding:
                guard let amount = Self.normalisedAmount(raw) else {
                    report(column, "must be a decimal amount such as 125.50 (not negative), or empty; found \"\(raw.clipped)\"")
                    continue
                }
                outstanding = amount
                continue
            }
            self[column] = raw
        }
        if problems.count == problemsBefore, let start, let end, end < start {
            report(.scheduleEnd, "is before schedule_start (\(scheduleStart))")
        }
    }

    /// The completion date: the schedule's last day.
    var completionDate: String { String(scheduleEnd.prefix(10)) }

    subscript(column: ImportColumn) -> String {
        get {
            switch column {
            case .bookingID: bookingID
            case .organisationID: organisationID
            case .organisationName: organisationName
            case .bookerID: bookerID
            case .bookerName: bookerName
            case .bookerEmail: bookerEmail
            case .contactID: contactID
            case .contactName: contactName
            case .contactEmail: contactEmail
            case .courseID: courseID
            case .courseName: courseName
            case .validityMonths: validityMonths == 0 ? "" : String(validityMonths)
            case .scheduleID: scheduleID
            case .scheduleStart: scheduleStart
            case .scheduleEnd: scheduleEnd
            case .result: result
            case .outstanding: outstanding
            }
        }
        set {
            switch column {
            case .bookingID: bookingID = newValue
            case .organisationID: organisationID = newValue
            case .organisationName: organisationName = newValue
            case .bookerID: bookerID = newValue
            case .bookerName: bookerName = newValue
            case .bookerEmail: bookerEmail = newValue
            case .contactID: contactID = newValue
            case .contactName: contactName = newValue
            case .contactEmail: contactEmail = newValue
            case .courseID: courseID = newValue
            case .courseName: courseName = newValue
            case .validityMonths: validityMonths = Int(newValue) ?? 0
            case .scheduleID: scheduleID = newValue
            case .scheduleStart: scheduleStart = newValue
            case .scheduleEnd: scheduleEnd = newValue
            case .result: result = newValue
            case .outstanding: outstanding = newValue
            }
        }
    }

    static func idProblem(_ text: String) -> String? {
        if text.utf8.count > maxIDLength { return "is longer than \(maxIDLength) bytes" }
        return textProblem(text)
    }

    static func textProblem(_ text: String) -> String? {
        if text.utf8.count > maxTextLength { return "is longer than \(maxTextLength) bytes" }
        // Control characters are C0, DEL and C1 (U+0080–U+009F, in UTF-8 0xC2 0x80–0x9F).
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && byte >= 0x80 && byte <= 0x9F) {
                return "contains a control character"
            }
            previous = byte
        }
        return nil
    }

    /// One `@` between a non-empty local part and a domain with an inner dot; no spaces
    /// or control characters.
    static func emailProblem(_ text: String) -> String? {
        let utf8 = text.utf8
        if utf8.count > 254 { return "is longer than 254 bytes" }
        var at = -1, lastDot = -1, ascii = true, index = 0
        var valid = true
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "@"): if at >= 0 { valid = false }; at = index
            case UInt8(ascii: "."): if at >= 0 { if index == at + 1 { valid = false }; lastDot = index }
            case 0..<0x21, 0x7F: valid = false
            case 0x80...: ascii = false
            default: break
            }
            index += 1
        }
        if valid && !ascii {
            valid = !text.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control }
        }
        guard valid, at > 0, lastDot > at + 1, lastDot < index - 1 else {
            return "is not an e-mail address: \"\(text.clipped)\""
        }
        return nil
    }

    /// "125.50" → "125.50", "007" → "7", "0.00" → "" (paid); nil when not a non-negative decimal.
    static func normalisedAmount(_ text: String) -> String? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 12,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var fraction = ""
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 4, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            fraction = String(parts[1])
        }
        let wholeDigits = whole.drop(while: { $0 == "0" })
        if wholeDigits.isEmpty && fraction.allSatisfy({ $0 == "0" }) { return "" }
        return (wholeDigits.isEmpty ? "0" : String(wholeDigits)) + (fraction.isEmpty ? "" : "." + fraction)
    }
}

/// `YYYY-MM-DDTHH:MM` with optional `:SS`, a real calendar date in years 1900–2199.
struct LocalDateTime: Comparable, Sendable {
    let text: String

    init?(_ text: String) {
        // Read in place from the string's UTF-8 (no array, no generic date parser: this
        // runs twice for every imported row).
        var text = text
        let parsed: (valid: Bool, second: Int) = text.withUTF8 { bytes in
            guard bytes.count == 16 || bytes.count == 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
                  bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":") else { return (false, 0) }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for index in range {
                    let byte = bytes[index]
                    guard byte >= 48 && byte <= 57 else { return nil }
                    value = value * 10 + Int(byte - 48)
                }
                return value
            }
            guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
                  (1900...2199).contains(year), CalendarDate(year: year, month: month, day: day) != nil,
                  let hour = number(11..<13), hour < 24, let minute = number(14..<16), minute < 60 else { return (false, 0) }
            guard bytes.count == 19 else { return (true, -1) }
            guard bytes[16] == UInt8(ascii: ":"), let second = number(17..<19), second < 60 else { return (false, 0) }
            return (true, second)
        }
        guard parsed.valid else { return nil }
        // One spelling per moment, so stored times compare as text: ":00" seconds go.
        self.text = parsed.second == 0 ? String(text.utf8.prefix(16))! : text
    }

    static func < (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool {
        // Same layout, so text order is time order; a missing ":SS" sorts as ":00".
        lhs.padded < rhs.padded
    }

    private var padded: String { text.utf8.count == 16 ? text + ":00" : text }
}

extension String {
    func trimmingWhitespace() -> String {
        // Most fields start and end with a visible ASCII character: nothing to trim.
        if let first = utf8.first, let last = utf8.last, first > 0x20 && first < 0x7F && last > 0x20 && last < 0x7F { return self }
        guard let first = unicodeScalars.first, let last = unicodeScalars.last,
              first.properties.isWhitespace || last.properties.isWhitespace else { return self }
        let scalars = unicodeScalars.drop(while: { $0.properties.isWhitespace })
        return String(String.UnicodeScalarView(scalars.reversed().drop(while: { $0.properties.isWhitespace }).reversed()))
    }

    /// At most 40 characters, for quoting bad values in messages.
    var clipped: String { count <= 40 ? self : String(prefix(40)) + "…" }
}
