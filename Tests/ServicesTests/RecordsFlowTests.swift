import Foundation
import Testing
import RPC
import RPCTesting
import Messages
import Records
import CSV

/// The records' whole path over real processes: a file imported with the command-line
/// tool into catalog-service, followed by stats-service, read back through the RPC.
@Suite(.serialized) struct RecordsFlowTests {
    static let header = "booking_id,organisation_id,organisation_name,booker_id,booker_name,booker_email,contact_id,contact_name,contact_email,course_id,course_name,validity_months,schedule_id,schedule_start,schedule_end,result,outstanding"

    /// `count` rows over two organisations and three bookers, with passes, fails, no
    /// results and schedules after today.
    static func file(rows count: Int) -> String {
        var lines = [header]
        let names = ["Zoë Brown", "Łukasz Nowak", "李雷", "محمد علي", "Ana \"Nita\" Silva, Jr."]
        for index in 0..<count {
            let organisation = index % 2 == 0 ? "ORG-A" : "ORG-B"
            let booker = ["BKR-1", "BKR-2", "BKR-3"][index % 3]
            let month = 1 + index % 12
            let year = 2025 + index % 2
            let result = index % 7 == 0 ? "fail" : (index % 5 == 0 ? "" : "pass")
            let name = names[index % names.count]
            let quoted = name.contains(",") || name.contains("\"") ? "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : name
            let date = String(format: "%04d-%02d-%02d", year, month, 1 + index % 28)
            let booking = "BK-\(organisation)-\(booker)-\(index / 12)"
            let owes = (index / 12) % 3 == 0 ? "120.00" : ""
            lines.append("\(booking),\(organisation),Org \(organisation),\(booker),Booker \(booker),\(booker.lowercased())@example.com,C-\(index),\(quoted),c\(index)@example.com,CRS-\(index % 4),Course \(index % 4),12,SCH-\(index % 40)-\(date),\(date)T09:00,\(date)T17:00,\(result),\(owes)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The stats bar the rules give for an import file (no certificates yet).
    static func expectedSummary(_ text: String, scope: (String, String) -> Bool = { _, _ in true }) throws -> [RecordStatus: Int] {
        var reader = CSVReader()
        var header: [String] = []
        var counts: [RecordStatus: Int] = [:]
        let today = CalendarDate(iso: Portal.today)!
        func handle(_ record: CSVRecord) {
            if header.isEmpty { header = record.fields; return }
            let field = { (name: String) in record.fields[header.firstIndex(of: name)!] }
            guard scope(field("organisation_id"), field("booker_id")) else { return }
            let facts = StatusFacts(result: AttendeeResult(rawValue: field("result")) ?? .none,
                                    completion: CalendarDate(iso: field("schedule_end").prefix(10))!,
                                    currentCertificate: nil, rebooked: false)
            counts[RecordStatus.evaluate(facts, today: today, horizon: .endOfYear), default: 0] += 1
        }
        try reader.feed(Array(text.utf8), handle)
        try reader.finish(handle)
        return counts
    }

    @Test func importedRecordsReachTheStatsBarScopedForEachRole() async throws {
        try await withPortal { portal in
            let text = Self.file(rows: 300)
            let imported = try await portal.importFile(try Self.write(text))
            #expect(imported.status == 0, "\(imported.errors)")
            #expect(imported.output.contains("300 rows"))
            let seq = UInt64(imported.output.split(separator: " ").last?.filter(\.isNumber) ?? "") ?? 0
            #expect(seq >= 300)

            let stats = portal.client(portal.stats)
            defer { stats.close() }
            for (principal, scope) in [("admin", { (_: String, _: String) in true }),
                                       ("orgrep:ORG-A", { (org: String, _: String) in org == "ORG-A" }),
                                       ("booker:BKR-2", { (_: String, booker: String) in booker == "BKR-2" })] {
                var request = Certportal_Stats_V1_ListRecordsRequest()
                request.filter = Certportal_Stats_V1_RecordFilter()
                request.filter!.minCatalogSeq = seq   // read-your-writes
                request.pageSize = 1000
                let page = try await stats.unary(Certportal_Stats_V1_Stats.listRecords, request, options: Portal.options(principal))
                let expected = try Self.expectedSummary(text, scope: scope)
                let summary = page.summary!
                #expect(Int(summary.failed) == expected[.failed, default: 0], "\(principal)")
                #expect(Int(summary.pending) == expected[.pending, default: 0], "\(principal)")
                #expect(Int(summary.booked) == expected[.booked, default: 0], "\(principal)")
                #expect(Int(page.total) == expected.values.reduce(0, +), "\(principal)")
                #expect(page.records.allSatisfy { scope($0.organisationId, $0.bookerId) }, "\(principal)")
            }
            #expect(try await stats.unary(Certportal_Stats_V1_Stats.listRecords, .init(), options: Portal.options("admin"))
                .records.contains { $0.contactName == "Ana \"Nita\" Silva, Jr." })

            // Another organisation's record is not found, through stats and catalog alike.
            var request = Certportal_Stats_V1_ListRecordsRequest()
            request.filter = Certportal_Stats_V1_RecordFilter()
            request.filter!.organisationId = "ORG-B"
            let other = try await stats.unary(Certportal_Stats_V1_Stats.listRecords, request, options: Portal.options("admin")).records[0]
            var get = Certportal_Stats_V1_GetRecordRequest()
            get.recordId = other.recordId
            await expectRPCError(.notFound) {
                _ = try await stats.unary(Certportal_Stats_V1_Stats.getRecord, get, options: Portal.options("orgrep:ORG-A"))
            }
            let catalog = portal.client(portal.catalog)
            defer { catalog.close() }
            var lookup = Certportal_Catalog_V1_GetRecordRequest()
            lookup.recordId = other.recordId
            await expectRPCError(.notFound) {
                _ = try await catalog.unary(Certportal_Catalog_V1_Catalog.getRecord, lookup, options: Portal.options("orgrep:ORG-A"))
            }
            // Without the mesh token nobody gets in.
            let stranger = portal.stats.client()
            defer { stranger.close() }
            await expectRPCError(.unauthenticated) {
                _ = try await stranger.unary(Certportal_Stats_V1_Stats.listRecords, .init(), options: Portal.options("admin"))
            }
        }
    }

    @Test func aRefusedFileListsEveryBadRowAndChangesNothing() async throws {
        try await withPortal { portal in
            var lines = Self.file(rows: 20).split(separator: "\n").map(String.init)
            lines[3] = lines[3].replacingOccurrences(of: "T09:00", with: "T25:00")
            lines[8] = lines[8].replacingOccurrences(of: ",pass,", with: ",maybe,").replacingOccurrences(of: ",fail,", with: ",maybe,")
                .replacingOccurrences(of: ",,", with: ",maybe,")
            lines[15] = lines[15].replacingOccurrences(of: "@example.com,C-", with: "-at-example.com,C-")
            let refused = try await portal.importFile(try Self.write(lines.joined(separator: "\n")))
            #expect(refused.status == 1)
            #expect(refused.errors.contains("3 problems"), "\(refused.errors)")
            #expect(refused.errors.contains("line 4, column schedule_start"))
            #expect(refused.errors.contains("line 9, column result"))
            #expect(refused.errors.contains("line 16, column booker_email"))
            let catalog = portal.client(portal.catalog)
            defer { catalog.close() }
            let head = try await catalog.unary(Certportal_Feed_V1_Feed.head, .init(), options: Portal.options("admin"))
            #expect(head.headSeq == 0)
        }
    }

    @Test func aCatalogKilledMidImportKeepsAllOrNothingAndTheReadModelRebuilds() async throws {
        try await withPortal { portal in
            let text = Self.file(rows: 3000)
            let bytes = Array(text.utf8)
            // Send half the file, then kill catalog-service before the import can finish.
            let catalog = portal.client(portal.catalog)
            let half = bytes.count / 2
            let sent = Task {
                try await catalog.clientStreaming(Certportal_Catalog_V1_Catalog.importRecords, options: Portal.options("admin")) { writer in
                    var message = Certportal_Catalog_V1_ImportChunk()
                    message.data = Array(bytes[..<half])
                    try await writer.write(message)
                    try await Task.sleep(for: .seconds(60))
                }
            }
            try await Task.sleep(for: .milliseconds(500))
            try await portal.restartCatalog(signal: SIGKILL)
            sent.cancel()
            await #expect(throws: (any Error).self) { _ = try await sent.value }
            catalog.close()

            let fresh = portal.client(portal.catalog)
            defer { fresh.close() }
            #expect(try await fresh.unary(Certportal_Feed_V1_Feed.head, .init(), options: Portal.options("admin")).headSeq == 0)
            let imported = try await portal.importFile(try Self.write(text))
            #expect(imported.status == 0, "\(imported.errors)")
            let head = try await fresh.unary(Certportal_Feed_V1_Feed.head, .init(), options: Portal.options("admin")).headSeq
            #expect(head == 3000)

            // stats-service was following the old process: it reconnects; then a rebuild
            // from nothing gives the same answer.
            try await portal.restartStats()
            var filter = Certportal_Stats_V1_RecordFilter()
            filter.minCatalogSeq = head
            let stats = portal.client(portal.stats)
            let before = try await stats.unary(Certportal_Stats_V1_Stats.summary, filter, options: Portal.options("admin"))
            stats.close()
            try await portal.restartStats(deletingReadModel: true)
            let rebuilt = portal.client(portal.stats)
            defer { rebuilt.close() }
            let after = try await rebuilt.unary(Certportal_Stats_V1_Stats.summary, filter, options: Portal.options("admin"))
            #expect(before == after)
            #expect(after.failed + after.pending + after.booked == 3000)
        }
    }
}
