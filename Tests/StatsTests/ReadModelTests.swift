import Foundation
import Testing
import Messages
import Records
import RPC
import Storage
@testable import Stats

/// The read model fed real batches (as the feeds send them) and asked real questions.
@Suite struct ReadModelTests {
    static let today = CalendarDate(iso: "2026-06-15")!

    static func record(_ id: UInt64, contact: String = "C1", course: String = "CRS-1", organisation: String = "ORG-1",
                       booker: String = "BKR-1", start: String, end: String? = nil, result: String = "pass",
                       name: String = "Zoë Example") -> Certportal_Feed_V1_CatalogRecord {
        var record = Certportal_Feed_V1_CatalogRecord()
        record.recordId = id
        record.bookingId = "BK-\(id)"
        record.organisationId = organisation
        record.organisationName = "Org \(organisation)"
        record.bookerId = booker
        record.bookerName = "Booker \(booker)"
        record.bookerEmail = "\(booker.lowercased())@example.com"
        record.contactId = contact
        record.contactName = name
        record.courseId = course
        record.courseName = "Course \(course)"
        record.validityMonths = 12
        record.scheduleId = "SCH-\(id)"
        record.scheduleStart = start + "T09:00"
        record.scheduleEnd = (end ?? start) + "T17:00"
        record.result = result
        return record
    }

    static func certificate(_ id: UInt64, expiry: String?, current: Bool = true) -> Certportal_Feed_V1_CertificateState {
        var state = Certportal_Feed_V1_CertificateState()
        state.recordId = id
        state.hasCurrent = current
        state.expiryDate = expiry ?? ""
        state.certType = "internal"
        state.currentVersion = 1
        return state
    }

    static func batch(_ changes: [Certportal_Feed_V1_FeedEvent.Change], from seq: UInt64 = 1, feedID: String = "feed-a") -> Certportal_Feed_V1_EventBatch {
        var batch = Certportal_Feed_V1_EventBatch()
        batch.feedId = feedID
        batch.events = changes.enumerated().map { index, change in
            var event = Certportal_Feed_V1_FeedEvent()
            event.seq = seq + UInt64(index)
            event.change = change
            return event
        }
        batch.headSeq = seq + UInt64(changes.count) - 1
        return batch
    }

    static func open() async throws -> (StatsQueries, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stats-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let model = try await ReadModel.open(path: directory + "/stats.sqlite")
        return (StatsQueries(model: model, clock: StatusClock(pinnedToday: today)), directory)
    }

    @Test func everyStatusIsCountedAndCertificatesArriveInEitherOrder() async throws {
        let (queries, _) = try await Self.open()
        let model = queries.model
        // A certificate event before its record (cert-store ahead of the catalog feed).
        try await model.apply(Self.batch([.certificate(Self.certificate(1, expiry: "2027-03-01"))]), from: .certificates)
        try await model.apply(Self.batch([
            .record(Self.record(1, contact: "C1", start: "2026-03-02")),                       // certified (after horizon)
            .record(Self.record(2, contact: "C2", start: "2026-03-02")),                       // expiring
            .record(Self.record(3, contact: "C3", start: "2025-03-02")),                       // expired
            .record(Self.record(4, contact: "C4", start: "2026-03-02")),                       // pending
            .record(Self.record(5, contact: "C5", start: "2026-03-02", result: "fail")),       // failed
            .record(Self.record(6, contact: "C6", start: "2026-09-01")),                       // booked
            .record(Self.record(7, contact: "C7", start: "2024-03-02")),                       // rebooked (8 is later)
            .record(Self.record(8, contact: "C7", start: "2026-09-01")),                       // booked
        ]), from: .catalog)
        try await model.apply(Self.batch([
            .certificate(Self.certificate(2, expiry: "2026-12-31")),
            .certificate(Self.certificate(3, expiry: "2026-06-14")),
            .certificate(Self.certificate(7, expiry: "2025-03-02")),
        ], from: 2), from: .certificates)

        let summary = try await queries.summary(RecordFilter(), for: .admin)
        #expect([summary.certified, summary.expiring, summary.expired, summary.pending, summary.failed, summary.booked, summary.rebooked]
                == [1, 1, 1, 1, 1, 2, 1])
        var request = Certportal_Stats_V1_ListRecordsRequest()
        request.sort = "booking_id"
        let page = try await queries.page(request, for: .admin)
        #expect(page.records.map(\.status) == ["certified", "expiring", "expired", "pending", "failed", "booked", "rebooked", "booked"])
        #expect(page.total == 8)
        #expect(page.records[0].expiryDate == "2027-03-01" && page.records[0].certType == "internal")
    }

    /// ListRecords' pages, encoded by hand from the read model, are the generated encoder's
    /// bytes for the rows `RecordRows.row` reads.
    @Test func pagesEncodedFromTheReadModelEqualTheGeneratedEncoding() async throws {
        let (queries, _) = try await Self.open()
        try await queries.model.apply(Self.batch([.certificate(Self.certificate(1, expiry: "2027-03-01"))]), from: .certificates)
        try await queries.model.apply(Self.batch([
            .record(Self.record(1, contact: "Zoë 李雷 محمد", start: "2026-03-02")),
            .record(Self.record(2, contact: "=1+2, \"quoted\"", start: "2026-03-02", result: "fail")),
            .record(Self.record(3, contact: "", start: "2026-09-01")),
        ]), from: .catalog)
        var request = Certportal_Stats_V1_ListRecordsRequest()
        request.sort = "booking_id"
        request.pageSize = 2
        var records: [RecordRow] = []
        while true {
            let encoded = try await queries.encodedPage(request, for: .admin)
            let page = try encoded.decoded()
            #expect(page.serializedBytes() == encoded.bytes)
            #expect(page.total == 3)
            records += page.records
            guard !page.nextCursor.isEmpty else { break }
            request.cursor = page.nextCursor
        }
        let query = try queries.makeQuery(RecordFilter(), .admin)
        let rows = try await queries.model.pool.read { db in
            try db.fetch("SELECT \(RecordRows.columns), \(query.statusSQL) FROM records ORDER BY booking_id, id", Bindings(query.bindings)) { RecordRows.row($0) }
        }
        #expect(records.count == 3)
        #expect(records == rows)
    }

    @Test func scopeLimitsEveryQueryAndHidesOthersRecordsAsNotFound() async throws {
        let (queries, _) = try await Self.open()
        try await queries.model.apply(Self.batch([
            .record(Self.record(1, contact: "C1", organisation: "ORG-1", booker: "BKR-1", start: "2026-03-02")),
            .record(Self.record(2, contact: "C2", organisation: "ORG-1", booker: "BKR-2", start: "2026-03-02")),
            .record(Self.record(3, contact: "C3", organisation: "ORG-2", booker: "BKR-3", start: "2026-03-02")),
        ]), from: .catalog)
        let request = Certportal_Stats_V1_ListRecordsRequest()
        #expect(try await queries.page(request, for: .admin).total == 3)
        #expect(try await queries.page(request, for: .orgrep("ORG-1")).records.map(\.recordId).sorted() == [1, 2])
        #expect(try await queries.page(request, for: .booker("BKR-2")).records.map(\.recordId) == [2])
        // A filter naming someone else's organisation or booker returns nothing.
        var other = request
        other.filter = RecordFilter()
        other.filter!.organisationId = "ORG-2"
        #expect(try await queries.page(other, for: .orgrep("ORG-1")).total == 0)
        other.filter!.organisationId = ""
        other.filter!.bookerId = "BKR-3"
        #expect(try await queries.page(other, for: .booker("BKR-2")).total == 0)
        var get = Certportal_Stats_V1_GetRecordRequest()
        get.recordId = 3
        #expect(try await queries.record(get, for: .admin).recordId == 3)
        await #expect(throws: RPCError.self) { try await queries.record(get, for: .orgrep("ORG-1")) }
        await #expect(throws: RPCError.self) { try await queries.record(get, for: .booker("BKR-1")) }
        #expect(try await queries.matrix(Certportal_Stats_V1_MatrixRequest(), for: .booker("BKR-1")).rows.map(\.contactId) == ["C1"])
        #expect(try await queries.facets(for: .orgrep("ORG-2")).organisations.map(\.id) == ["ORG-2"])
    }

    @Test func keysetPagesVisitEveryRecordOnceInOrder() async throws {
        let (queries, _) = try await Self.open()
        let names = ["Łukasz", "李雷", "محمد", "Zoë", "Anna", "anna", "Bob"]
        var changes: [Certportal_Feed_V1_FeedEvent.Change] = []
        for id in 1...53 {
            changes.append(.record(Self.record(UInt64(id), contact: "C\(id)", start: "2026-0\(1 + id % 5)-0\(1 + id % 7)",
                                               name: names[id % names.count])))
        }
        try await queries.model.apply(Self.batch(changes), from: .catalog)
        for sort in ["contact_name", "-completion_date", "status", "-expiry_date", "booking_id"] {
            var request = Certportal_Stats_V1_ListRecordsRequest()
            request.sort = sort
            request.pageSize = 10
            var seen: [UInt64] = []
            repeat {
                let page = try await queries.page(request, for: .admin)
                #expect(page.total == 53)
                seen += page.records.map(\.recordId)
                request.cursor = page.nextCursor
            } while !request.cursor.isEmpty
            #expect(seen.count == 53 && Set(seen).count == 53, "sort \(sort)")
        }
        var bad = Certportal_Stats_V1_ListRecordsRequest()
        bad.sort = "nonsense"
        await #expect(throws: RPCError.self) { try await queries.page(bad, for: .admin) }
        bad.sort = ""
        bad.cursor = "not-a-cursor"
        await #expect(throws: RPCError.self) { try await queries.page(bad, for: .admin) }
    }

    @Test func forecastCountsExpiriesPerMonthAhead() async throws {
        let (queries, _) = try await Self.open()
        try await queries.model.apply(Self.batch([
            .record(Self.record(1, contact: "C1", start: "2026-01-05")),
            .record(Self.record(2, contact: "C2", start: "2026-01-05")),
            .record(Self.record(3, contact: "C3", start: "2026-01-05")),
        ]), from: .catalog)
        try await queries.model.apply(Self.batch([
            .certificate(Self.certificate(1, expiry: "2026-06-30")),
            .certificate(Self.certificate(2, expiry: "2026-07-01")),
            .certificate(Self.certificate(3, expiry: "2027-06-01")),   // the 13th month: outside
        ]), from: .certificates)
        let forecast = try await queries.forecast(Certportal_Stats_V1_ForecastRequest(), for: .admin)
        #expect(forecast.months.count == 12)
        #expect(forecast.months.first?.month == "2026-06" && forecast.months.first?.expiring == 1)
        #expect(forecast.months[1].expiring == 1)
        #expect(forecast.months.last?.month == "2027-05")
    }

    @Test func aCachedStatsBarNeverOutlivesAChange() async throws {
        let (queries, _) = try await Self.open()
        let model = queries.model
        try await model.apply(Self.batch([.record(Self.record(1, start: "2026-03-02")), .record(Self.record(2, contact: "C2", start: "2026-03-02"))]), from: .catalog)
        var orgOne = RecordFilter()
        orgOne.organisationId = "ORG-1"
        #expect(try await queries.summary(orgOne, for: .admin).pending == 2)
        #expect(try await queries.summary(orgOne, for: .admin).pending == 2, "answered again, from the cache")
        #expect(try await queries.summary(orgOne, for: .orgrep("ORG-2")).pending == 0, "another scope is another entry")
        for _ in 0..<2 {
            let page = try await queries.page(Certportal_Stats_V1_ListRecordsRequest(), for: .admin)
            #expect(page.summary?.pending == 2 && page.records.allSatisfy { $0.status == "pending" })
        }
        var failedOnly = Certportal_Stats_V1_ListRecordsRequest()
        failedOnly.filter = RecordFilter()
        failedOnly.filter!.status = "failed"
        let none = try await queries.page(failedOnly, for: .admin)
        #expect(none.total == 0 && none.records.isEmpty, "a status filter is another page than the unfiltered one")
        // A certificate arrives: the very next stats bar shows it, through both calls.
        try await model.apply(Self.batch([.certificate(Self.certificate(1, expiry: "2027-03-01"))]), from: .certificates)
        let after = try await queries.summary(orgOne, for: .admin)
        #expect(after.pending == 1 && after.certified == 1)
        let page = try await queries.page(Certportal_Stats_V1_ListRecordsRequest(), for: .admin)
        #expect(page.summary?.certified == 1 && page.summary?.pending == 1)
        #expect(page.records.first { $0.recordId == 1 }?.status == "certified", "the page's rows are not the cached ones")
        // A new history of the feed reaching the same position is still a change.
        try await model.apply(Self.batch([.record(Self.record(9, start: "2026-03-02", result: "fail"))], feedID: "other"), from: .catalog)
        let replaced = try await queries.summary(orgOne, for: .admin)
        #expect(replaced.failed == 1 && replaced.pending == 0)
    }

    @Test func aNewFeedHistoryReplacesTheOldRecords() async throws {
        let (queries, _) = try await Self.open()
        try await queries.model.apply(Self.batch([.record(Self.record(1, start: "2026-01-05"))], feedID: "old"), from: .catalog)
        try await queries.model.apply(Self.batch([.record(Self.record(7, start: "2026-01-05"))], feedID: "new"), from: .catalog)
        let page = try await queries.page(Certportal_Stats_V1_ListRecordsRequest(), for: .admin)
        #expect(page.records.map(\.recordId) == [7])
    }

    @Test func readYourWritesWaitsThenGivesUpClearly() async throws {
        var (opened, _) = try await Self.open()
        opened.catchUpTimeout = .milliseconds(200)
        let queries = opened
        var filter = RecordFilter()
        filter.minCatalogSeq = 1
        let first = filter
        let model = queries.model
        async let answer = queries.summary(first, for: .admin)
        try await Task.sleep(for: .milliseconds(50))
        try await model.apply(Self.batch([.record(Self.record(1, start: "2026-01-05"))]), from: .catalog)
        #expect(try await answer.pending == 1)
        filter.minCatalogSeq = 5
        let ahead = filter
        await #expect(throws: RPCError.self) { try await queries.summary(ahead, for: .admin) }
    }
}
