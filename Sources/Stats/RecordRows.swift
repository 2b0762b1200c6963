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
}
