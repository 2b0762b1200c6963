import Testing
import Catalog
import ChangeFeed
import Messages
import RPC
import Storage

/// The records import (PRODUCT.md, "Records import"): real files, fed in small chunks, into
/// a real catalog database.
@Suite struct RecordImportTests {
    /// Columns in an order of the booking system's own, without contact_email and
    /// validity_months; CRLF line ends; names in several scripts, one with a comma.
    static let goodFile = [
        "contact_name,contact_id,booking_id,course_name,course_id,schedule_id,schedule_start,schedule_end,"
            + "organisation_name,organisation_id,booker_id,booker_name,booker_email,result,outstanding",
        "\"Brontë, Zoë\",C-1,BK-1,First Aid at Work,CRS-FA,SCH-1,2026-03-02T09:00,2026-03-04T17:00,"
            + "\"Acme, Ltd\",ORG-A,BKR-1,Bea Booker,bea@example.com,pass,0.00",
        "Łukasz Nowak,C-2,BK-1,First Aid at Work,CRS-FA,SCH-1,2026-03-02T09:00,2026-03-04T17:00,"
            + "\"Acme, Ltd\",ORG-A,BKR-1,Bea Booker,bea@example.com,fail,0.00",
        "李雷,C-3,BK-2,First Aid at Work,CRS-FA,SCH-2,2026-06-01T09:00,2026-06-01T17:00,"
            + "Zenith GmbH,ORG-B,BKR-2,Bo Booker,bo@example.com,,007.5",
        "محمد علي,C-4,BK-3,First Aid at Work,CRS-FA,SCH-2,2026-06-01T09:00,2026-06-01T17:00,"
            + "\"Acme, Ltd\",ORG-A,BKR-1,Bea Booker,bea@example.com,PASS,",
    ].joined(separator: "\r\n") + "\r\n"

    @Test func goodFileWithColumnsInAnyOrderImportsEveryRecordWithOneSnapshotEach() async throws {
        let fixture = try await CatalogFixture.open()
        let result = try await fixture.importFile(Self.goodFile)

        #expect(result.accepted)
        #expect(result.problems.isEmpty)
        #expect(result.problemsTotal == 0)
        #expect(result.rows == 4)
        #expect(result.inserted == 4)
        #expect(result.updated == 0)
        #expect(result.unchanged == 0)

        let snapshots = try await fixture.recordEvents()
        #expect(snapshots.count == 4)
        #expect(result.seq == 4)
        #expect(try await fixture.written().head == result.seq)
        let byContact = Dictionary(uniqueKeysWithValues: snapshots.map { ($0.contactId, $0) })

        let zoe = try #require(byContact["C-1"])
        #expect(zoe.contactName == "Brontë, Zoë")
        #expect(zoe.organisationId == "ORG-A")
        #expect(zoe.organisationName == "Acme, Ltd")
        #expect(zoe.bookingId == "BK-1")
        #expect(zoe.bookerId == "BKR-1")
        #expect(zoe.bookerName == "Bea Booker")
        #expect(zoe.bookerEmail == "bea@example.com")
        #expect(zoe.contactEmail == "")
        #expect(zoe.courseId == "CRS-FA")
        #expect(zoe.courseName == "First Aid at Work")
        #expect(zoe.validityMonths == 0)
        #expect(zoe.scheduleId == "SCH-1")
        #expect(zoe.scheduleStart == "2026-03-02T09:00")
        #expect(zoe.scheduleEnd == "2026-03-04T17:00")
        #expect(zoe.scheduleEnd.prefix(10) == "2026-03-04")  // the completion date
        #expect(zoe.result == "pass")
        #expect(zoe.outstanding == "")  // "0.00": paid

        let lukasz = try #require(byContact["C-2"])
        #expect(lukasz.contactName == "Łukasz Nowak")
        #expect(lukasz.result == "fail")
        #expect(lukasz.outstanding == "")

        let liLei = try #require(byContact["C-3"])
        #expect(liLei.contactName == "李雷")
        #expect(liLei.organisationName == "Zenith GmbH")
        #expect(liLei.bookerId == "BKR-2")
        #expect(liLei.scheduleEnd.prefix(10) == "2026-06-01")
        #expect(liLei.result == "")
        #expect(liLei.outstanding == "7.5")  // "007.5"

        let muhammad = try #require(byContact["C-4"])
        #expect(muhammad.contactName == "محمد علي")
        #expect(muhammad.result == "pass")  // "PASS"
        #expect(muhammad.outstanding == "")

        // The snapshot the feed carries is the record as stored.
        for snapshot in snapshots {
            let stored = try await fixture.store.record(snapshot.recordId, for: .admin)
            #expect(stored == snapshot)
        }
        #expect(Set(snapshots.map(\.recordId)).count == 4)
    }

    @Test func theSameFileInOneChunkOrByteByByteImportsTheSame() async throws {
        var imported: [[CatalogRecord]] = []
        for size in [1, 3, Self.goodFile.utf8.count] {
            let fixture = try await CatalogFixture.open()
            let result = try await fixture.importFile(Self.goodFile, chunkSize: size)
            #expect(result.accepted, "chunks of \(size)")
            imported.append(try await fixture.recordEvents())
        }
        #expect(imported[0] == imported[1])
        #expect(imported[0] == imported[2])
    }

    @Test func badRowsAreEachListedByLineAndColumnAndNothingIsWritten() async throws {
        let fixture = try await CatalogFixture.open()
        #expect(try await fixture.importFile(Self.goodFile).accepted)
        let before = try await fixture.written()

        let file = ImportLine.file([
            ImportLine(booking: "BK-10", organisation: "ORG-C", contact: "C-10", schedule: "SCH-10"),
            ImportLine(booking: "BK-11", organisation: "ORG-C", contact: "C-11", schedule: "SCH-11", start: "2026-02-30T09:00"),
            ImportLine(booking: "BK-12", organisation: "ORG-C", contact: "C-12", schedule: "SCH-10"),
            ImportLine(booking: "BK-13", organisation: "ORG-C", contact: "C-13", schedule: "SCH-10", result: "maybe"),
            ImportLine(booking: "BK-14", organisation: "ORG-C", contact: "C-14", contactName: "", schedule: "SCH-10"),
            ImportLine(booking: "BK-15", organisation: "ORG-C", contact: "C-15", schedule: "SCH-10"),
        ])
        let result = try await fixture.importFile(file)

        #expect(!result.accepted)
        #expect(result.rows == 6)
        #expect(result.problemPlaces == [
            ProblemPlace(line: 3, column: "schedule_start"),
            ProblemPlace(line: 5, column: "result"),
            ProblemPlace(line: 6, column: "contact_name"),
        ])
        #expect(result.problemsTotal == 3)
        #expect(result.problems[0].reason.contains("2026-02-30T09:00"))
        #expect(result.problems[1].reason.contains("maybe"))
        #expect(result.problems[2].reason.contains("required"))
        #expect(result.inserted == 0 && result.updated == 0 && result.unchanged == 0)
        #expect(result.seq == before.head)
        #expect(try await fixture.written() == before)
    }

    @Test func unknownHeaderColumnIsRejectedByName() async throws {
        let fixture = try await CatalogFixture.open()
        let file = ImportLine.header + ",favourite_colour\n" + ImportLine().csv + ",green\n"
        let result = try await fixture.importFile(file)

        #expect(!result.accepted)
        #expect(result.problemPlaces == [ProblemPlace(line: 1, column: "favourite_colour")])
        #expect(result.problems.first?.reason.contains("unknown column \"favourite_colour\"") == true)
        #expect(try await fixture.written() == .nothing)
    }

    @Test func missingRequiredColumnIsRejectedByName() async throws {
        let fixture = try await CatalogFixture.open()
        let file = ImportLine.header.replacingOccurrences(of: "booker_email,", with: "") + "\n"
            + ImportLine().fields.filter { $0 != "bea@example.com" }.joined(separator: ",") + "\n"
        let result = try await fixture.importFile(file)

        #expect(!result.accepted)
        #expect(result.problemPlaces == [ProblemPlace(line: 1, column: "booker_email")])
        #expect(result.problems.first?.reason.contains("required") == true)
        #expect(try await fixture.written() == .nothing)
    }

    @Test func rowWithTheWrongNumberOfFieldsIsRejected() async throws {
        let fixture = try await CatalogFixture.open()
        let file = ImportLine.file([ImportLine()]) + ImportLine(contact: "C-2").csv + ",extra\n"
        let result = try await fixture.importFile(file)

        #expect(!result.accepted)
        #expect(result.problemPlaces == [ProblemPlace(line: 3, column: "")])
        #expect(result.problems.first?.reason.contains("18 fields; the header has 17") == true)
        #expect(try await fixture.written() == .nothing)
    }

    @Test func unterminatedQuoteIsACSVErrorAndNothingIsWritten() async throws {
        let fixture = try await CatalogFixture.open()
        var broken = ImportLine(contact: "C-2").fields
        broken[2] = "\"Acme, Ltd"  // organisation_name: the quote never closes
        let file = ImportLine.file([ImportLine()]) + broken.joined(separator: ",") + "\n"
        let result = try await fixture.importFile(file)

        #expect(!result.accepted)
        #expect(result.problemPlaces == [ProblemPlace(line: 3, column: "organisation_name")])
        #expect(result.problems.first?.reason == "unterminated quoted field")
        #expect(try await fixture.written() == .nothing)
    }

    @Test func quoteInsideAnUnquotedFieldStopsTheFileAndNothingIsWritten() async throws {
        let fixture = try await CatalogFixture.open()
        let file = ImportLine.file([ImportLine(), ImportLine(contact: "C-2", contactName: "Zoë \"Zo\" Example"),
                                    ImportLine(contact: "C-3")])
            .replacingOccurrences(of: "\"Zoë \"\"Zo\"\" Example\"", with: "Zoë \"Zo\" Example")
        let result = try await fixture.importFile(file)

        #expect(!result.accepted)
        #expect(result.problemPlaces == [ProblemPlace(line: 3, column: "contact_name")])
        #expect(result.problems.first?.reason == "quote inside an unquoted field")
        #expect(try await fixture.written() == .nothing)
    }

    @Test func emptyFileIsRejected() async throws {
        let fixture = try await CatalogFixture.open()
        let result = try await fixture.importFile("")
        #expect(!result.accepted)
        #expect(result.problems.first?.reason.contains("empty") == true)
        #expect(try await fixture.written() == .nothing)
    }

    @Test func oneOrganisationWithTwoNamesInOneFileNamesTheColumnAndTheEarlierLine() async throws {
        let fixture = try await CatalogFixture.open()
        let file = ImportLine.file([
            ImportLine(booking: "BK-1", organisation: "ORG-A", organisationName: "Acme", contact: "C-1"),
            ImportLine(booking: "BK-2", organisation: "ORG-B", organisationName: "Zenith", contact: "C-2"),
            ImportLine(booking: "BK-3", organisation: "ORG-A", organisationName: "Acme Limited", contact: "C-3"),
        ])
        let result = try await fixture.importFile(file)

        #expect(!result.accepted)
        #expect(result.problemPlaces == [ProblemPlace(line: 4, column: "organisation_name")])
        let reason = try #require(result.problems.first?.reason)
        #expect(reason.contains("ORG-A"))
        #expect(reason.contains("line 2"))
        #expect(reason.contains("\"Acme\""))
        #expect(try await fixture.written() == .nothing)
    }

    @Test func theSameRecordTwiceInOneFileIsAProblem() async throws {
        let fixture = try await CatalogFixture.open()
        let file = ImportLine.file([ImportLine(), ImportLine(contact: "C-2"), ImportLine()])
        let result = try await fixture.importFile(file)

        #expect(!result.accepted)
        #expect(result.problemPlaces == [ProblemPlace(line: 4, column: "contact_id")])
        #expect(result.problems.first?.reason.contains("repeats line 2") == true)
        #expect(try await fixture.written() == .nothing)
    }

    @Test func aRepeatedRecordAfterAnEarlierBadRowIsListedToo() async throws {
        let fixture = try await CatalogFixture.open()
        let file = ImportLine.file([
            ImportLine(contact: "C-1", result: "maybe"),
            ImportLine(contact: "C-2"),
            ImportLine(contact: "C-2"),
        ])
        let result = try await fixture.importFile(file)

        #expect(!result.accepted)
        #expect(result.problemPlaces == [ProblemPlace(line: 2, column: "result"), ProblemPlace(line: 4, column: "contact_id")])
        #expect(result.problems.last?.reason.contains("repeats line 3") == true)
        #expect(try await fixture.written() == .nothing)
    }

    @Test func reimportingTheSameFileChangesNothingAndEmitsNothing() async throws {
        let fixture = try await CatalogFixture.open()
        let first = try await fixture.importFile(Self.goodFile)
        #expect(first.accepted)
        let before = try await fixture.written()

        let again = try await fixture.importFile(Self.goodFile, chunkSize: 5)
        #expect(again.accepted)
        #expect(again.rows == 4)
        #expect(again.inserted == 0)
        #expect(again.updated == 0)
        #expect(again.unchanged == 4)
        #expect(again.seq == first.seq)
        #expect(try await fixture.written() == before)
    }

    @Test func changedResultUpdatesTheRecordAndARenamedOrganisationResnapshotsAllItsRecords() async throws {
        let fixture = try await CatalogFixture.open()
        let first = try await fixture.importFile(Self.goodFile)
        #expect(first.accepted)
        let zoeID = try await fixture.recordID(contact: "C-1", schedule: "SCH-1")
        let lukaszID = try await fixture.recordID(contact: "C-2", schedule: "SCH-1")
        let liLeiID = try await fixture.recordID(contact: "C-3", schedule: "SCH-2")
        let muhammadID = try await fixture.recordID(contact: "C-4", schedule: "SCH-2")

        // Łukasz's result changes fail → pass; ORG-A is renamed. Zoë (ORG-A) is not in
        // this file, Muhammad (ORG-A) is, unchanged apart from the organisation's name.
        let second = [
            "booking_id,contact_id,schedule_id,result,contact_name,course_id,course_name,schedule_start,schedule_end,"
                + "organisation_id,organisation_name,booker_id,booker_name,booker_email,outstanding",
            "BK-1,C-2,SCH-1,pass,Łukasz Nowak,CRS-FA,First Aid at Work,2026-03-02T09:00,2026-03-04T17:00,"
                + "ORG-A,Acme Holdings,BKR-1,Bea Booker,bea@example.com,0",
            "BK-3,C-4,SCH-2,pass,محمد علي,CRS-FA,First Aid at Work,2026-06-01T09:00,2026-06-01T17:00,"
                + "ORG-A,Acme Holdings,BKR-1,Bea Booker,bea@example.com,",
        ].joined(separator: "\n") + "\n"
        let result = try await fixture.importFile(second)

        #expect(result.accepted)
        #expect(result.problems.isEmpty)
        #expect(result.rows == 2)
        #expect(result.inserted == 0)
        #expect(result.updated == 2)
        #expect(result.unchanged == 0)

        let snapshots = try await fixture.recordEvents(after: first.seq)
        #expect(snapshots.count == 3)
        #expect(Set(snapshots.map(\.recordId)) == [zoeID, lukaszID, muhammadID])
        #expect(snapshots.allSatisfy { $0.organisationName == "Acme Holdings" })
        #expect(result.seq == first.seq + 3)
        for snapshot in snapshots {
            #expect(try await fixture.store.record(snapshot.recordId, for: .admin) == snapshot)
        }

        let lukasz = try await fixture.store.record(lukaszID, for: .admin)
        #expect(lukasz.result == "pass")
        let zoe = try await fixture.store.record(zoeID, for: .admin)
        #expect(zoe.organisationName == "Acme Holdings")
        #expect(zoe.contactName == "Brontë, Zoë")
        #expect(zoe.result == "pass")
        let liLei = try await fixture.store.record(liLeiID, for: .admin)
        #expect(liLei.organisationName == "Zenith GmbH")
    }

    struct ConnectionLost: Error {}

    @Test func importKilledMidFileWritesNothingAndReleasesTheStore() async throws {
        let fixture = try await CatalogFixture.open()
        let first = try await fixture.importFile(Self.goodFile)
        #expect(first.accepted)
        let before = try await fixture.written()

        // New records and a rename of ORG-A, cut off after a few complete rows (written
        // inside the import's transaction) and part of another.
        let file = ImportLine.file((10..<40).map { index in
            ImportLine(booking: "BK-\(index)", organisation: "ORG-A", organisationName: "Acme Renamed",
                       contact: "C-\(index)", schedule: "SCH-1")
        })
        let cut = file.utf8.count * 2 / 3 / 7
        await #expect(throws: ConnectionLost.self) {
            try await fixture.store.importRecords(Chunks.broken(file, size: 7, after: cut, error: ConnectionLost()))
        }
        #expect(try await fixture.written() == before)
        let zoe = try await fixture.store.record(try await fixture.recordID(contact: "C-1", schedule: "SCH-1"), for: .admin)
        #expect(zoe.organisationName == "Acme, Ltd")

        // The gate and the writer are free: the whole file goes in now.
        let retried = try await fixture.importFile(file)
        #expect(retried.accepted)
        #expect(retried.inserted == 30)
        #expect(try await fixture.written().attendees == before.attendees + 30)
        #expect(try await fixture.store.record(zoe.recordId, for: .admin).organisationName == "Acme Renamed")
    }

    @Test func importKilledBeforeTheFirstRowWritesNothing() async throws {
        let fixture = try await CatalogFixture.open()
        await #expect(throws: ConnectionLost.self) {
            try await fixture.store.importRecords(Chunks.broken(Self.goodFile, size: 7, after: 0, error: ConnectionLost()))
        }
        #expect(try await fixture.written() == .nothing)
        #expect(try await fixture.importFile(Self.goodFile).accepted)
    }
}
