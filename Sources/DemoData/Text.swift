import Records

/// Fast formatting for the generator's hot loop (no `String(format:)`).
enum Text {
    /// `prefix` then `number` padded with zeros to at least `width` digits: `BK-000123`.
    static func identifier(_ prefix: StaticString, _ number: Int, width: Int) -> String {
        precondition(number >= 0)
        var digits = 1
        var rest = number / 10
        while rest > 0 { digits += 1; rest /= 10 }
        let length = prefix.utf8CodeUnitCount + max(width, digits)
        return String(unsafeUninitializedCapacity: length) { buffer in
            var index = 0
            let prefixBytes = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
            for byte in prefixBytes { buffer[index] = byte; index += 1 }
            var value = number
            var position = length - 1
            while position >= index {
                buffer[position] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                value /= 10
                position -= 1
            }
            return length
        }
    }

    /// `2026-03-02T09:00`: ISO 8601 local date-time, no zone.
    static func dateTime(_ date: CalendarDate, hour: Int, minute: Int) -> String {
        "\(identifier("", date.year, width: 4))-\(identifier("", date.month, width: 2))-\(identifier("", date.day, width: 2))"
            + "T\(identifier("", hour, width: 2)):\(identifier("", minute, width: 2))"
    }

    /// An amount in pence as a decimal: `125.50`.
    static func money(pence: Int) -> String {
        "\(pence / 100).\(identifier("", pence % 100, width: 2))"
    }
}

extension CalendarDate {
    /// 0 for Monday … 6 for Sunday (1970-01-01 was a Thursday).
    var weekday: Int { ((dayNumber % 7) + 7 + 3) % 7 }
}
