public import Records

extension RecordColumn {
    /// The RecordRow field (stats.proto's number) this column shows; nil for Actions.
    public var rowField: UInt64? {
        switch self {
        case .bookingID: 2
        case .contactName: 4
        case .organisation: 7
        case .booker: 9
        case .courseName: 12
        case .scheduleID: 13
        case .status: 14
        case .startDate: 15
        case .completionDate: 16
        case .expiryDate: 17
        case .certificateUpdated: 18
        case .certType: 19
        case .outstanding: 20
        case .shared: 21
        case .passFail: 22
        case .actions: nil
        }
    }

    /// Whether `rowField` is a bool.
    public var isFlag: Bool { self == .certificateUpdated || self == .outstanding || self == .shared }

    /// The cell as a person reads it in a report (`reportText(of:)`) from the row field's
    /// value as the read model holds it (`text`: a string field's UTF-8, `flag`: a bool
    /// field), appended to `buffer` as UTF-8 without making a String.
    public func appendReportText(text: UnsafeRawBufferPointer, flag: Bool, to buffer: inout [UInt8]) {
        switch self {
        case .certificateUpdated, .outstanding, .shared:
            buffer.append(contentsOf: flag ? Self.yes : Self.no)
        case .status:
            if let title = Self.statusTitles.first(where: { $0.key.elementsEqual(text) }) {
                buffer.append(contentsOf: title.title)
            } else {
                buffer.append(contentsOf: text)
            }
        case .certType, .passFail:
            if self == .passFail, text.elementsEqual(Self.noResult) { return }
            guard let first = text.first else { return }
            if first < 0x80, text.count == 1 || text[1] < 0x80 {
                // ASCII: the first character is the first byte.
                buffer.append(first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z") ? first - 0x20 : first)
                buffer.append(contentsOf: text.dropFirst())
            } else {
                let string = String(decoding: text, as: UTF8.self)
                buffer.append(contentsOf: (string.prefix(1).uppercased() + string.dropFirst()).utf8)
            }
        case .actions:
            break
        default:
            buffer.append(contentsOf: text)
        }
    }

    private static let yes = Array("Yes".utf8), no = Array("No".utf8), noResult = Array("none".utf8)
    private static let statusTitles = RecordStatus.allCases.map { (key: Array($0.rawValue.utf8), title: Array($0.title.utf8)) }
}
