public import Messages
public import Records

/// One cell of the records table: what a column holds for a read-model row. The JSON API
/// and the CSV report both take the column → value mapping from here, so the two can't
/// disagree.
public enum RecordValue: Sendable, Hashable {
    /// Always present: ids, names, the status.
    case text(String)
    /// May be missing (empty): dates, the certificate's type, the result.
    case optionalText(String)
    case flag(Bool)
    /// A column without data (Actions).
    case none
}

extension RecordColumn {
    /// This column's value for a row, as the read model holds it (keys, ISO dates).
    public func value(of row: Certportal_Stats_V1_RecordRow) -> RecordValue {
        switch self {
        case .bookingID: .text(row.bookingId)
        case .contactName: .text(row.contactName)
        case .organisation: .text(row.organisationName)
        case .booker: .text(row.bookerName)
        case .courseName: .text(row.courseName)
        case .scheduleID: .text(row.scheduleId)
        case .status: .text(row.status)
        case .startDate: .optionalText(row.start)
        case .completionDate: .optionalText(row.completionDate)
        case .expiryDate: .optionalText(row.expiryDate)
        case .certificateUpdated: .flag(row.certificateUpdated)
        case .certType: .optionalText(row.certType)
        case .outstanding: .flag(row.outstanding)
        case .shared: .flag(row.shared)
        case .passFail: .optionalText(row.result == "none" ? "" : row.result)
        case .actions: .none
        }
    }

    /// The cell as a person reads it in a report: titles for the status, the type and the
    /// result ("Certified", "Internal", "Pass"), Yes/No for flags, ISO dates as they are
    /// (`appendReportText` makes it).
    public func reportText(of row: Certportal_Stats_V1_RecordRow) -> String {
        var bytes: [UInt8] = []
        switch value(of: row) {
        case .text(var text), .optionalText(var text):
            text.withUTF8 { appendReportText(text: UnsafeRawBufferPointer($0), flag: false, to: &bytes) }
        case .flag(let flag):
            appendReportText(text: UnsafeRawBufferPointer(start: nil, count: 0), flag: flag, to: &bytes)
        case .none:
            break
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
