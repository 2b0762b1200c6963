import Testing
import Catalog
import ChangeFeed
import Messages
import RPC

/// Who may read and change a record: admins every record, an org rep their organisation's,
/// a booker their bookings'; a record outside the caller's scope is NOT_FOUND, exactly as
/// one that does not exist.
@Suite struct RecordScopeTests {
    static func imported() async throws -> (CatalogFixture, acme: UInt64, zenith: UInt64) {
        let fixture = try await CatalogFixture.open()
        let result = try await fixture.importFile(ImportLine.file([
            ImportLine(booking: "BK-1", organisation: "ORG-A", organisationName: "Acme", booker: "BKR-1", contact: "C-1"),
            ImportLine(booking: "BK-2", organisation: "ORG-B", organisationName: "Zenith", booker: "BKR-2",
                       bookerName: "Bo Booker", bookerEmail: "bo@example.com", contact: "C-2"),
        ]))
        #expect(result.accepted)
        return (fixture, try await fixture.recordID(contact: "C-1", schedule: "SCH-1"),
                try await fixture.recordID(contact: "C-2", schedule: "SCH-1"))
    }

    @Test func recordOutsideTheCallersScopeIsNotFoundLikeAMissingOne() async throws {
        let (fixture, acme, _) = try await Self.imported()
        let store = fixture.store

        let missing = await expectRPCError(.notFound) { try await store.record(9_999, for: .admin) }
        let otherOrganisation = await expectRPCError(.notFound) { try await store.record(acme, for: .orgrep("ORG-B")) }
        let otherBooker = await expectRPCError(.notFound) { try await store.record(acme, for: .booker("BKR-2")) }
        #expect(missing?.message == "record_id: there is no record 9999")
        #expect(otherOrganisation?.message == "record_id: there is no record \(acme)")
        #expect(otherBooker?.message == otherOrganisation?.message)
    }

    @Test func ownOrganisationAndOwnBookingsAreVisible() async throws {
        let (fixture, acme, zenith) = try await Self.imported()
        let store = fixture.store

        #expect(try await store.record(acme, for: .admin).contactId == "C-1")
        #expect(try await store.record(zenith, for: .admin).contactId == "C-2")
        #expect(try await store.record(acme, for: .orgrep("ORG-A")).organisationId == "ORG-A")
        #expect(try await store.record(acme, for: .booker("BKR-1")).bookerId == "BKR-1")
        #expect(try await store.record(zenith, for: .orgrep("ORG-B")).organisationId == "ORG-B")
        #expect(try await store.record(zenith, for: .booker("BKR-2")).bookerId == "BKR-2")
    }

    @Test func onlyAdminsRecordResults() async throws {
        let (fixture, acme, zenith) = try await Self.imported()
        let store = fixture.store
        let head = try await fixture.written().head

        await expectRPCError(.permissionDenied) { try await store.recordResult(acme, result: "pass", by: .booker("BKR-1")) }
        await expectRPCError(.permissionDenied) { try await store.recordResult(acme, result: "pass", by: .orgrep("ORG-A")) }
        // Someone else's record: not found before any permission is checked.
        await expectRPCError(.notFound) { try await store.recordResult(zenith, result: "pass", by: .booker("BKR-1")) }
        #expect(try await fixture.written().head == head)
        #expect(try await store.record(acme, for: .admin).result == "")
    }

    @Test func resultMustBePassFailOrEmpty() async throws {
        let (fixture, acme, _) = try await Self.imported()
        let store = fixture.store
        let head = try await fixture.written().head

        let error = await expectRPCError(.invalidArgument) { try await store.recordResult(acme, result: "maybe", by: .admin) }
        #expect(error?.message.hasPrefix("result:") == true)
        #expect(error?.message.contains("maybe") == true)
        #expect(try await fixture.written().head == head)
    }

    @Test func adminRecordsAResultAndTheFeedCarriesTheNewSnapshot() async throws {
        let (fixture, acme, _) = try await Self.imported()
        let store = fixture.store
        let head = try await fixture.written().head

        let seq = try await store.recordResult(acme, result: "fail", by: .admin)
        #expect(seq == head + 1)
        let snapshots = try await fixture.recordEvents(after: head)
        #expect(snapshots.map(\.recordId) == [acme])
        #expect(snapshots.first?.result == "fail")
        #expect(try await store.record(acme, for: .admin).result == "fail")

        // The same result again changes nothing and announces nothing.
        #expect(try await store.recordResult(acme, result: "fail", by: .admin) == seq)
        #expect(try await fixture.written().head == seq)
    }
}

/// Re-booking a delegate onto a later schedule of the same course.
@Suite struct RebookTests {
    /// C-1 on SCH-1 (2026-03-02) and already on SCH-5; other delegates on the course's
    /// earlier and later schedules, and one on another course.
    static func imported() async throws -> (CatalogFixture, record: UInt64) {
        let fixture = try await CatalogFixture.open()
        let result = try await fixture.importFile(ImportLine.file([
            ImportLine(booking: "BK-1", contact: "C-1", schedule: "SCH-1", start: "2026-03-02T09:00", end: "2026-03-04T17:00",
                       result: "pass", outstanding: "12.50"),
            ImportLine(booking: "BK-2", booker: "BKR-2", bookerName: "Bo", bookerEmail: "bo@example.com", contact: "C-2",
                       schedule: "SCH-0", start: "2025-09-01T09:00", end: "2025-09-03T17:00"),
            ImportLine(booking: "BK-3", contact: "C-3", schedule: "SCH-3", start: "2026-09-01T09:00", end: "2026-09-03T17:00"),
            ImportLine(booking: "BK-4", contact: "C-4", schedule: "SCH-4", start: "2026-12-01T09:00", end: "2026-12-03T17:00"),
            ImportLine(booking: "BK-5", contact: "C-5", course: "CRS-MH", courseName: "Mental Health First Aid", validity: "",
                       schedule: "SCH-X", start: "2026-10-01T09:00", end: "2026-10-01T17:00"),
            ImportLine(booking: "BK-6", contact: "C-1", schedule: "SCH-5", start: "2027-01-10T09:00", end: "2027-01-12T17:00"),
        ]))
        #expect(result.accepted)
        return (fixture, try await fixture.recordID(contact: "C-1", schedule: "SCH-1"))
    }

    @Test func rebookSchedulesAreTheCoursesLaterOnesTheDelegateIsNotOn() async throws {
        let (fixture, record) = try await Self.imported()
        let schedules = try await fixture.store.rebookSchedules(for: record, by: .admin)
        #expect(schedules.map(\.scheduleId) == ["SCH-3", "SCH-4"])
        #expect(schedules.allSatisfy { $0.courseId == "CRS-FA" })
        #expect(schedules.first?.start == "2026-09-01T09:00")
        #expect(schedules.first?.end == "2026-09-03T17:00")
        // Bookers see the list for their own records (to pick from on the booking page).
        #expect(try await fixture.store.rebookSchedules(for: record, by: .booker("BKR-1")).count == 2)
        await expectRPCError(.notFound) { try await fixture.store.rebookSchedules(for: record, by: .orgrep("ORG-B")) }
    }

    @Test func adminRebooksOntoALaterScheduleOfTheSameCourse() async throws {
        let (fixture, record) = try await Self.imported()
        let store = fixture.store
        let original = try await store.record(record, for: .admin)
        let head = try await fixture.written().head

        let (rebooked, seq) = try await store.rebook(record, onto: "SCH-3", bookingID: "", by: .admin)
        #expect(rebooked.recordId != record)
        #expect(rebooked.contactId == original.contactId)
        #expect(rebooked.contactName == original.contactName)
        #expect(rebooked.organisationId == original.organisationId)
        #expect(rebooked.bookerId == original.bookerId)
        #expect(rebooked.courseId == "CRS-FA")
        #expect(rebooked.scheduleId == "SCH-3")
        #expect(rebooked.scheduleStart == "2026-09-01T09:00")
        #expect(rebooked.bookingId != original.bookingId)
        #expect(rebooked.result == "")
        #expect(rebooked.outstanding == "")

        #expect(seq == head + 1)
        #expect(try await fixture.recordEvents(after: head) == [rebooked])
        #expect(try await store.record(rebooked.recordId, for: .booker("BKR-1")) == rebooked)
        // The original is untouched, and SCH-3 is no longer offered.
        #expect(try await store.record(record, for: .admin) == original)
        #expect(try await store.rebookSchedules(for: record, by: .admin).map(\.scheduleId) == ["SCH-4"])
        await expectRPCError(.alreadyExists) { try await store.rebook(record, onto: "SCH-3", bookingID: "", by: .admin) }
    }

    @Test func adminRebooksUnderARequestedBookingID() async throws {
        let (fixture, record) = try await Self.imported()
        let (rebooked, _) = try await fixture.store.rebook(record, onto: "SCH-4", bookingID: "BK-NEW-1", by: .admin)
        #expect(rebooked.bookingId == "BK-NEW-1")
        await expectRPCError(.alreadyExists, mentioning: "booking_id") {
            try await fixture.store.rebook(record, onto: "SCH-3", bookingID: "BK-NEW-1", by: .admin)
        }
    }

    @Test func rebookOntoAnEarlierScheduleIsInvalid() async throws {
        let (fixture, record) = try await Self.imported()
        let before = try await fixture.written()
        await expectRPCError(.invalidArgument, mentioning: "schedule_id") {
            try await fixture.store.rebook(record, onto: "SCH-0", bookingID: "", by: .admin)
        }
        #expect(try await fixture.written() == before)
    }

    @Test func rebookOntoTheSameScheduleIsInvalid() async throws {
        let (fixture, record) = try await Self.imported()
        await expectRPCError(.invalidArgument, mentioning: "schedule_id") {
            try await fixture.store.rebook(record, onto: "SCH-1", bookingID: "", by: .admin)
        }
    }

    @Test func rebookOntoAnotherCoursesScheduleIsInvalid() async throws {
        let (fixture, record) = try await Self.imported()
        let before = try await fixture.written()
        await expectRPCError(.invalidArgument, mentioning: "CRS-MH") {
            try await fixture.store.rebook(record, onto: "SCH-X", bookingID: "", by: .admin)
        }
        #expect(try await fixture.written() == before)
    }

    @Test func rebookOntoAnUnknownScheduleIsNotFound() async throws {
        let (fixture, record) = try await Self.imported()
        let before = try await fixture.written()
        await expectRPCError(.notFound, mentioning: "schedule_id") {
            try await fixture.store.rebook(record, onto: "SCH-NOPE", bookingID: "", by: .admin)
        }
        #expect(try await fixture.written() == before)
    }

    @Test func bookersAndOrgRepsMayNotRebookAndOthersRecordsAreNotFound() async throws {
        let (fixture, record) = try await Self.imported()
        let store = fixture.store
        let before = try await fixture.written()
        await expectRPCError(.permissionDenied) { try await store.rebook(record, onto: "SCH-3", bookingID: "", by: .booker("BKR-1")) }
        await expectRPCError(.permissionDenied) { try await store.rebook(record, onto: "SCH-3", bookingID: "", by: .orgrep("ORG-A")) }
        // Scope first: another booker's record is not found, not forbidden.
        await expectRPCError(.notFound) { try await store.rebook(record, onto: "SCH-3", bookingID: "", by: .booker("BKR-2")) }
        await expectRPCError(.notFound) { try await store.rebook(9_999, onto: "SCH-3", bookingID: "", by: .admin) }
        #expect(try await fixture.written() == before)
    }

    @Test func requestedBookingIDWithAControlCharacterIsInvalid() async throws {
        let (fixture, record) = try await Self.imported()
        await expectRPCError(.invalidArgument, mentioning: "booking_id") {
            try await fixture.store.rebook(record, onto: "SCH-3", bookingID: "BK\u{7}", by: .admin)
        }
    }
}
