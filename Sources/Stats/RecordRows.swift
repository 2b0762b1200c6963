internal import Storage
internal import Messages

/// The records table's columns as the queries select them, and their reading into a
/// `RecordRow`; the status follows them as one more column.
enum RecordRows {
    static let columns = """
        id, booking_id, contact_id, contact_name, contact_email, organisation_id, organisation_name, booker_id, \
        booker_name, booker_email, course_id, course_name, schedule_id, start, completion, expiry, \
        certificate_updated, cert_type, outstanding, shared, result, has_certificate, booking_url
        """
    static let columnCount = 23

    static func row(_ row: Row) -> RecordRow {
        var record = RecordRow()
        record.recordId = UInt64(row.int64(at: 0) ?? 0)
        record.bookingId = row.string(at: 1) ?? ""
        record.contactId = row.string(at: 2) ?? ""
        record.contactName = row.string(at: 3) ?? ""
        record.contactEmail = row.string(at: 4) ?? ""
        record.organisationId = row.string(at: 5) ?? ""
        record.organisationName = row.string(at: 6) ?? ""
        record.bookerId = row.string(at: 7) ?? ""
        record.bookerName = row.string(at: 8) ?? ""
        record.bookerEmail = row.string(at: 9) ?? ""
        record.courseId = row.string(at: 10) ?? ""
        record.courseName = row.string(at: 11) ?? ""
        record.scheduleId = row.string(at: 12) ?? ""
        record.start = row.string(at: 13) ?? ""
        record.completionDate = row.string(at: 14) ?? ""
        record.expiryDate = row.string(at: 15) ?? ""
        record.certificateUpdated = row.bool(at: 16) ?? false
        record.certType = row.string(at: 17) ?? ""
        record.outstanding = row.bool(at: 18) ?? false
        record.shared = row.bool(at: 19) ?? false
        record.result = row.string(at: 20) ?? ""
        record.hasCertificate = row.bool(at: 21) ?? false
        record.bookingUrl = row.string(at: 22) ?? ""
        record.status = row.string(at: columnCount) ?? ""
        return record
    }

    /// Each RecordRow field (stats.proto's numbers, in order) and the column it comes from,
    /// a flag when true.
    private static let fields: [(field: UInt64, column: Int, flag: Bool)] = [
        (2, 1, false), (3, 2, false), (4, 3, false), (5, 4, false), (6, 5, false), (7, 6, false),
        (8, 7, false), (9, 8, false), (10, 9, false), (11, 10, false), (12, 11, false), (13, 12, false),
        (14, columnCount, false), (15, 13, false), (16, 14, false), (17, 15, false), (18, 16, true),
        (19, 17, false), (20, 18, true), (21, 19, true), (22, 20, false), (23, 21, true), (24, 22, false),
    ]

    /// `row(_:)`'s RecordRow as the generated encoder writes it (fields in number order,
    /// defaults left out), straight from SQLite's bytes into `bytes`, with its key and
    /// length as field `field` of the enclosing message: a test checks the two agree.
    /// `scratch` is reused from row to row.
    static func appendEncoded(_ row: Row, field: UInt64, into bytes: inout [UInt8], scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        ProtoWire.appendField(1, UInt64(bitPattern: row.int64(at: 0) ?? 0), into: &scratch)
        for (field, column, flag) in fields {
            if flag {
                ProtoWire.appendField(field, (row.bool(at: column) ?? false) ? 1 : 0, into: &scratch)
            } else {
                row.withText(at: column) { ProtoWire.appendField(field, bytes: $0, into: &scratch) }
            }
        }
        ProtoWire.key(field: field, type: .lengthDelimited, into: &bytes)
        ProtoWire.varint(UInt64(scratch.count), into: &bytes)
        bytes.append(contentsOf: scratch)
    }
}
