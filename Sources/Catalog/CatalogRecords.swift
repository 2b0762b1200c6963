internal import Storage
public import Messages

public typealias CatalogRecord = Certportal_Feed_V1_CatalogRecord

/// Reading records (attendees joined with everything they show) from the catalog.
enum CatalogRecords {
    static func snapshots(where condition: String, _ bindings: Bindings, db: Database) throws -> [CatalogRecord] {
        try db.fetch(CatalogSchema.snapshotSelect + " WHERE " + condition, bindings) { row in
            var record = CatalogRecord()
            record.recordId = UInt64(row.int64(at: 0) ?? 0)
            record.bookingId = row.string(at: 1) ?? ""
            record.organisationId = row.string(at: 2) ?? ""
            record.organisationName = row.string(at: 3) ?? ""
            record.bookerId = row.string(at: 4) ?? ""
            record.bookerName = row.string(at: 5) ?? ""
            record.bookerEmail = row.string(at: 6) ?? ""
            record.contactId = row.string(at: 7) ?? ""
            record.contactName = row.string(at: 8) ?? ""
            record.contactEmail = row.string(at: 9) ?? ""
            record.courseId = row.string(at: 10) ?? ""
            record.courseName = row.string(at: 11) ?? ""
            record.validityMonths = UInt32(row.int64(at: 12) ?? 0)
            record.scheduleId = row.string(at: 13) ?? ""
            record.scheduleStart = row.string(at: 14) ?? ""
            record.scheduleEnd = row.string(at: 15) ?? ""
            record.result = row.string(at: 16) ?? ""
            record.outstanding = row.string(at: 17) ?? ""
            record.bookingUrl = row.string(at: 18) ?? ""
            record.templateId = row.string(at: 19) ?? ""
            return record
        }
    }

    static func snapshot(id: UInt64, db: Database) throws -> CatalogRecord? {
        try snapshots(where: "a.id = ?", [Int64(clamping: id)], db: db).first
    }
}
