import Foundation
import Testing
import RPC
import RPCTesting
import Messages

/// export-service over real processes: catalog-service, cert-store, stats-service and
/// export-service on one data directory. Every CSV is read back by Python's csv module and
/// every ZIP by unzip, Python's zipfile and bsdtar.
@Suite(.serialized) struct ExportFlowTests {
    typealias Exports = Certportal_Export_V1_Exports
    typealias Stats = Certportal_Stats_V1_Stats
    typealias Certificates = Certportal_Certificates_V1_Certificates

    /// What an export streamed.
    struct Export {
        var chunks: [Certportal_Export_V1_ExportChunk.Part] = []
        var header: Certportal_Export_V1_ExportHeader?
        var bytes: [UInt8] = []
        var progress: [Certportal_Export_V1_ExportProgress] = []
        var skipped: [Certportal_Export_V1_ExportSkipped] = []
    }

    static func collect<Request>(_ method: MethodDescriptor<Request, Certportal_Export_V1_ExportChunk>, _ request: Request,
                                 _ portal: Portal, as principal: String) async throws -> Export {
        let client = portal.client(portal.export!)
        defer { client.close() }
        return try await client.serverStreaming(method, request, options: Portal.options(principal)) { stream in
            var export = Export()
            for try await chunk in stream {
                guard let part = chunk.part else { continue }
                export.chunks.append(part)
                switch part {
                case .header(let header): export.header = header
                case .data(let bytes): export.bytes += bytes
                case .progress(let progress): export.progress.append(progress)
                case .skipped(let skipped): export.skipped.append(skipped)
                }
            }
            return export
        }
    }

    /// Every record ListRecords gives for the filter and sort, page by page.
    static func listRecords(_ portal: Portal, _ filter: Certportal_Stats_V1_RecordFilter, sort: String = "", as principal: String) async throws
        -> [Certportal_Stats_V1_RecordRow] {
        let stats = portal.client(portal.stats)
        defer { stats.close() }
        var request = Certportal_Stats_V1_ListRecordsRequest()
        request.filter = filter
        request.sort = sort
        request.pageSize = 1000
        var rows: [Certportal_Stats_V1_RecordRow] = []
        while true {
            let page = try await stats.unary(Stats.listRecords, request, options: Portal.options(principal))
            rows += page.records
            guard !page.nextCursor.isEmpty else { return rows }
            request.cursor = page.nextCursor
        }
    }

    // MARK: Independent expectations

    static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    static func neutral(_ cell: String) -> String {
        guard let first = cell.first, formulaStarts.contains(first) else { return cell }
        return "'" + cell
    }

    static func titled(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    /// The report's row for a read-model row, written out by hand (not through the service's code).
    static func expectedCells(_ row: Certportal_Stats_V1_RecordRow) -> [String] {
        let yes = { (flag: Bool) in flag ? "Yes" : "No" }
        return [row.bookingId, row.contactName, row.organisationName, row.bookerName, row.courseName, row.scheduleId,
                titled(row.status), row.start, row.completionDate, row.expiryDate, yes(row.certificateUpdated), titled(row.certType),
                yes(row.outstanding), yes(row.shared), row.result == "none" ? "" : titled(row.result)].map(neutral)
    }

    static let header = ["Booking ID", "Contact Name", "Organisation", "Booker", "Course Name", "Schedule ID", "Status", "Start Date",
                         "Completion Date", "Expiry Date", "Certificate Updated", "Cert Type", "Outstanding", "Shared", "Pass/Fail"]

    static func save(_ bytes: [UInt8], _ suffix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).\(suffix)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The CSV's rows as Python's csv module reads them (after the BOM, which must be there).
    static func pythonCSV(_ bytes: [UInt8]) async throws -> [[String]] {
        let path = try save(bytes, "csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = """
            import csv, json, sys
            raw = open(sys.argv[1], 'rb').read()
            assert raw.startswith(b'\\xef\\xbb\\xbf'), 'no BOM'
            with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
                print(json.dumps(list(csv.reader(f, strict=True))))
            """
        let outcome = try await runTool("python3", ["-c", script, path])
        #expect(outcome.status == 0, "\(outcome.errorText)")
        return try JSONDecoder().decode([[String]].self, from: outcome.output)
    }

    /// The ZIP checked by unzip -t, zipfile (every CRC) and bsdtar -tf; its entries in order with their bytes.
    static func readZIP(_ bytes: [UInt8]) async throws -> [(name: String, bytes: [UInt8])] {
        let path = try save(bytes, "zip")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let test = try await runTool("unzip", ["-t", path])
        #expect(test.status == 0, "unzip -t: \(test.text)\(test.errorText)")
        let script = """
            import json, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            for i in z.infolist():
                assert i.flag_bits & 0x800 or all(ord(c) < 128 for c in i.filename), 'UTF-8 flag missing: ' + i.filename
            print(json.dumps([[i.filename, z.read(i).hex()] for i in z.infolist()]))
            """
        let outcome = try await runTool("python3", ["-c", script, path])
        #expect(outcome.status == 0, "zipfile: \(outcome.errorText)")
        let entries = try JSONDecoder().decode([[String]].self, from: outcome.output).map { pair in
            (name: pair[0], bytes: stride(from: 0, to: pair[1].utf8.count, by: 2).map { offset in
                let start = pair[1].utf8.index(pair[1].utf8.startIndex, offsetBy: offset)
                return UInt8(String(pair[1].utf8[start..<pair[1].utf8.index(start, offsetBy: 2)])!, radix: 16)!
            })
        }
        let listing = try await runTool("bsdtar", ["-tf", path])
        #expect(listing.status == 0, "bsdtar: \(listing.errorText)")
        #expect(listing.text.split(separator: "\n").map(String.init) == entries.map(\.name))
        return entries
    }

    // MARK: Data

    /// Records whose names try to break out of a ZIP or into a spreadsheet, all of organisation
    /// ORG-H, booker BKR-H, one course and schedule (so their file names would collide).
    static let hostileContacts: [(id: String, name: String)] = [
        ("H-FORMULA", "=HYPERLINK(\"http://evil.example\",\"x\")"),
        ("H-PLUS", "+44 20 7946 0000"),
        ("H-MINUS", "-2+3"),
        ("H-AT", "@SUM(A1:A9)"),
        ("H-DOTS", "../../etc/passwd"),
        ("H-SLASH", "/absolute\\name"),
        ("H-BIDI", "Bidi\u{202E}fdp.exe\u{200B}"),
        ("H-LONG", String(repeating: "Long", count: 75)),
        ("H-NFC", "Zo\u{EB} Bront\u{EB}"),
        ("H-NFD", "Zoe\u{308} Bronte\u{308}"),
        ("H-CON", "CON"),
    ]

    static func hostileFile() -> String {
        var lines = [RecordsFlowTests.header]
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        for contact in hostileContacts {
            lines.append([
                "BK-H1", "ORG-H", quoted("../Evil/Org: <H>"), "BKR-H", "Booker H", "bkr-h@example.com", contact.id, quoted(contact.name),
                "\(contact.id.lowercased())@example.com", "CRS-H", quoted("Safety: \"Working\" at Height?"), "12", "SCH-H",
                "2026-03-02T09:00", "2026-03-02T17:00", "pass", "",
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A portal with export-service, `rows` generated records plus the hostile ones imported.
    static func withExports(rows: Int, _ body: (Portal) async throws -> Void) async throws {
        try await withPortal { portal in
            let generated = try await portal.importFile(try RecordsFlowTests.write(RecordsFlowTests.file(rows: rows)))
            #expect(generated.status == 0, "\(generated.errors)")
            let hostile = try await portal.importFile(try RecordsFlowTests.write(hostileFile()))
            #expect(hostile.status == 0, "\(hostile.errors)")
            try await portal.startExport()
            try await body(portal)
        }
    }

    static func waitForRecords(_ portal: Portal, count: Int) async throws -> [Certportal_Stats_V1_RecordRow] {
        let end = ContinuousClock.now + .seconds(30)
        while true {
            let rows = try await listRecords(portal, .init(), as: "admin")
            if rows.count >= count || ContinuousClock.now > end { return rows }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: CSV

    @Test func recordsCSVReadsBackAsListRecordsRowsWithABOMAndNoFormulas() async throws {
        try await Self.withExports(rows: 2100) { portal in
            let all = try await Self.waitForRecords(portal, count: 2100 + Self.hostileContacts.count)
            #expect(all.count == 2100 + Self.hostileContacts.count)
            for (principal, filter, sort) in [("admin", Certportal_Stats_V1_RecordFilter(), ""),
                                              ("admin", { var f = Certportal_Stats_V1_RecordFilter(); f.organisationId = "ORG-A"; return f }(), "-contact_name"),
                                              ("booker:BKR-H", Certportal_Stats_V1_RecordFilter(), "contact_name"),
                                              ("orgrep:ORG-B", Certportal_Stats_V1_RecordFilter(), "")] {
                var request = Certportal_Export_V1_CSVRequest()
                request.filter = filter
                request.sort = sort
                let export = try await Self.collect(Exports.recordsCSV, request, portal, as: principal)
                guard case .header(let header)? = export.chunks.first else {
                    Issue.record("the header comes first")
                    continue
                }
                #expect(header.mediaType.hasPrefix("text/csv") && header.fileName == "records-\(Portal.today).csv")
                let expected = try await Self.listRecords(portal, filter, sort: sort, as: principal)
                #expect(header.totalRows == UInt64(expected.count))
                #expect(Array(export.bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
                let rows = try await Self.pythonCSV(export.bytes)
                #expect(rows.first == Self.header)
                #expect(rows.count - 1 == expected.count, "\(principal)")
                #expect(Array(rows.dropFirst()) == expected.map(Self.expectedCells), "\(principal) \(sort)")
                for cell in rows.joined() {
                    #expect(cell.first.map { !Self.formulaStarts.contains($0) } ?? true, "\(cell)")
                }
                #expect(export.progress.last?.rows == UInt64(expected.count))
                #expect(export.progress.last?.bytes == UInt64(export.bytes.count))
            }
            // A matrix of more contacts than stats-service shows is refused, not cut short unsaid.
            let tooBig = await expectRPCError(.failedPrecondition) {
                _ = try await Self.collect(Exports.matrixCSV, Certportal_Export_V1_MatrixCSVRequest(), portal, as: "admin")
            }
            #expect(tooBig?.message.hasPrefix("organisation_id:") == true)
            // The hostile names are there, neutralised.
            var hostile = Certportal_Export_V1_CSVRequest()
            hostile.filter = { var f = Certportal_Stats_V1_RecordFilter(); f.organisationId = "ORG-H"; return f }()
            let rows = try await Self.pythonCSV(Self.collect(Exports.recordsCSV, hostile, portal, as: "admin").bytes)
            #expect(rows.contains { $0[1] == "'=HYPERLINK(\"http://evil.example\",\"x\")" })
            #expect(rows.contains { $0[1] == "'-2+3" } && rows.contains { $0[1] == "'@SUM(A1:A9)" } && rows.contains { $0[1] == "'+44 20 7946 0000" })

            // A ZIP of every record (three pages of them, none with a certificate yet): each one
            // listed in the manifest as skipped, which is kept in the database, not in memory.
            let zip = try await Self.collect(Exports.certificatesZIP, Certportal_Export_V1_ZIPRequest(), portal, as: "admin")
            let entries = try await Self.readZIP(zip.bytes)
            #expect(entries.map(\.name) == ["manifest.csv"])
            let manifest = try await Self.pythonCSV(entries[0].bytes)
            #expect(manifest.count == all.count + 1 && manifest.dropFirst().allSatisfy { $0[8] == "skipped: no certificate yet" })
            #expect(Set(manifest.dropFirst().map(\.[0])) == Set(all.map { "\($0.recordId)" }))
            #expect(zip.skipped.count == all.count)

            // Each export is noted in export-service's database; no manifest line stays behind.
            let noted = try await runTool("sqlite3", [portal.data + "/export.sqlite",
                                                      "SELECT kind, status, count(*) FROM exports GROUP BY 1, 2 ORDER BY 1, 2; SELECT count(*) FROM manifest_lines;"])
            #expect(noted.text == "certificates_zip|done|1\nmatrix_csv|failed|1\nrecords_csv|done|5\n0\n", "\(noted.text)\(noted.errorText)")
        }
    }

    @Test func aBadFilterOrSortIsAClearInvalidArgument() async throws {
        try await Self.withExports(rows: 10) { portal in
            var request = Certportal_Export_V1_CSVRequest()
            var filter = Certportal_Stats_V1_RecordFilter()
            filter.dateField = "birthday"
            request.filter = filter
            let datefieldError = await expectRPCError(.invalidArgument, "date_field") {
                _ = try await Self.collect(Exports.recordsCSV, request, portal, as: "admin")
            }
            #expect(datefieldError?.message.hasPrefix("date_field:") == true, "\(String(describing: datefieldError))")
            request.filter = .init()
            request.sort = "salary"
            let sortError = await expectRPCError(.invalidArgument, "sort") {
                _ = try await Self.collect(Exports.recordsCSV, request, portal, as: "admin")
            }
            #expect(sortError?.message.hasPrefix("sort:") == true)
            var zip = Certportal_Export_V1_ZIPRequest()
            filter = .init()
            filter.status = "golden"
            zip.filter = filter
            let statusError = await expectRPCError(.invalidArgument, "status") {
                _ = try await Self.collect(Exports.certificatesZIP, zip, portal, as: "admin")
            }
            #expect(statusError?.message.hasPrefix("status:") == true)
            await expectRPCError(.unauthenticated, "a malformed principal") {
                _ = try await Self.collect(Exports.recordsCSV, Certportal_Export_V1_CSVRequest(), portal, as: "nobody")
            }
        }
    }

    @Test func theMatrixCSVHasAColumnPerCourseAndStatusWithExpiry() async throws {
        try await Self.withExports(rows: 40) { portal in
            _ = try await Self.waitForRecords(portal, count: 40 + Self.hostileContacts.count)
            let stats = portal.client(portal.stats)
            defer { stats.close() }
            var query = Certportal_Stats_V1_MatrixRequest()
            query.organisationId = "ORG-A"
            let matrix = try await stats.unary(Stats.matrix, query, options: Portal.options("admin"))
            var request = Certportal_Export_V1_MatrixCSVRequest()
            request.organisationId = "ORG-A"
            let export = try await Self.collect(Exports.matrixCSV, request, portal, as: "admin")
            let rows = try await Self.pythonCSV(export.bytes)
            #expect(rows.first == ["Contact Name", "Organisation"] + matrix.courses.map(\.courseName))
            #expect(rows.count == matrix.rows.count + 1)
            for (row, expected) in zip(rows.dropFirst(), matrix.rows) {
                #expect(row[0] == Self.neutral(expected.contactName))
                for cell in expected.cells {
                    let text = Self.titled(cell.status) + (cell.expiryDate.isEmpty ? "" : " (\(cell.expiryDate))")
                    #expect(row[2 + Int(cell.courseIndex)] == text)
                }
            }
        }
    }

    // MARK: ZIP

    /// Uploads a PNG for each hostile record (two versions for one), issues a PDF for one,
    /// shares every other one; answers the records by contact id.
    static func certify(_ portal: Portal) async throws -> [String: Certportal_Stats_V1_RecordRow] {
        var filter = Certportal_Stats_V1_RecordFilter()
        filter.organisationId = "ORG-H"
        var rows: [Certportal_Stats_V1_RecordRow] = []
        let end = ContinuousClock.now + .seconds(30)
        while rows.count < hostileContacts.count, ContinuousClock.now < end {
            rows = try await listRecords(portal, filter, as: "admin")
        }
        let client = portal.client(portal.certificates)
        defer { client.close() }
        var byContact: [String: Certportal_Stats_V1_RecordRow] = [:]
        for row in rows { byContact[row.contactId] = row }
        var seq: UInt64 = 0
        for (index, contact) in hostileContacts.enumerated() {
            let row = try #require(byContact[contact.id])
            if contact.id == "H-CON" { continue } // left without a certificate
            if contact.id == "H-PLUS" {
                var issue = Certportal_Certificates_V1_IssueRequest()
                issue.recordId = row.recordId
                issue.share = true
                seq = max(seq, try await client.unary(Certificates.issue, issue, options: Portal.options("admin")).seq)
                continue
            }
            // One large file (noise does not compress: about 3 MB), streamed from cert-store in many chunks.
            let png = contact.id == "H-BIDI" ? try await noisePNG(size: 1000) : try await CertificateFlowTests.png(size: 30 + index, shade: index * 20)
            seq = max(seq, try await CertificateFlowTests.upload(client, row.recordId, png) { $0.share = index % 2 == 0 }.seq)
            if contact.id == "H-NFC" {
                seq = max(seq, try await CertificateFlowTests.upload(client, row.recordId, try await CertificateFlowTests.png(size: 70)) { $0.share = true }.seq)
            }
        }
        // Wait until the read model shows the certificates.
        filter.minCertificateSeq = seq
        for row in try await listRecords(portal, filter, as: "admin") { byContact[row.contactId] = row }
        return byContact
    }

    /// A PNG of random pixels, made by Python's zlib.
    static func noisePNG(size: Int) async throws -> [UInt8] {
        let script = """
            import os, struct, sys, zlib
            w = h = \(size)
            raw = b''.join(b'\\x00' + os.urandom(w * 3) for y in range(h))
            chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
            sys.stdout.buffer.write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
            """
        return [UInt8](try await runTool("python3", ["-c", script]).output)
    }

    static func expectSafe(_ names: [String]) {
        var seen = Set<String>()
        for name in names {
            #expect(!name.hasPrefix("/") && !name.contains("\\"), "\(name)")
            let segments = name.split(separator: "/", omittingEmptySubsequences: false)
            #expect(segments.count == (name == "manifest.csv" ? 1 : 2), "\(name)")
            for segment in segments {
                #expect(segment != ".." && segment != "." && !segment.isEmpty, "\(name)")
                #expect(!segment.hasPrefix(".") && !segment.hasSuffix(" ") && !segment.hasSuffix("."), "\(name)")
                #expect(segment.utf8.count <= 180, "\(name)")
            }
            #expect(!name.unicodeScalars.contains { [.control, .format].contains($0.properties.generalCategory) }, "\(name.debugDescription)")
            #expect(!name.contains { "<>:\"|?*".contains($0) }, "\(name)")
            #expect(seen.insert(name.precomposedStringWithCanonicalMapping.lowercased()).inserted, "unique: \(name)")
        }
    }

    @Test func theAdminsZIPHoldsTheChosenCertificatesUnderSafeUniqueNames() async throws {
        try await Self.withExports(rows: 12) { portal in
            let records = try await Self.certify(portal)
            let client = portal.client(portal.certificates)
            defer { client.close() }
            var request = Certportal_Export_V1_ZIPRequest()
            let chosen = Self.hostileContacts.map(\.id).filter { $0 != "H-AT" }
            request.recordIds = chosen.compactMap { records[$0]?.recordId } + [999_999]
            let export = try await Self.collect(Exports.certificatesZIP, request, portal, as: "admin")
            guard case .header(let header)? = export.chunks.first else { Issue.record("the header comes first"); return }
            #expect(header.mediaType == "application/zip" && header.totalRows == UInt64(request.recordIds.count))
            let entries = try await Self.readZIP(export.bytes)
            Self.expectSafe(entries.map(\.name))
            #expect(entries.last?.name == "manifest.csv")
            let files = entries.dropLast()
            // Every chosen record with a certificate, and nothing else: byte for byte its current version.
            #expect(files.count == chosen.count - 1, "\(files.map(\.name))")
            for id in chosen where id != "H-CON" {
                let row = try #require(records[id])
                let expected = try await CertificateFlowTests.download(client, row.recordId)
                let matching = files.filter { $0.bytes == expected.bytes }
                #expect(matching.count == 1, "\(id)")
                #expect(matching.first?.name.hasPrefix("_Evil_Org- _H_/") == true || matching.first?.name.split(separator: "/").count == 2,
                        "\(matching.first?.name ?? "")")
            }
            let names = files.map { String($0.name.split(separator: "/").last!) }
            #expect(names.contains { $0.hasPrefix("Zoë Brontë - Safety") && $0.hasSuffix(".png") })
            #expect(names.contains { $0.hasPrefix("Zoë Brontë - Safety") && $0.hasSuffix(" (2).png") }, "NFC-equal names made unique: \(names)")
            #expect(names.contains { $0.hasPrefix("LongLong") && $0.utf8.count <= 180 && $0.hasSuffix(" - 2026-03-02.png") }, "shortened, the date kept")
            #expect(names.contains { $0.hasSuffix(".pdf") }, "the issued PDF")
            #expect(Set(files.map { $0.name.split(separator: "/").first! }).count == 1, "one folder for the one organisation")
            // The skipped: the record without a certificate and the id that does not exist.
            #expect(Set(export.skipped.map(\.recordId)) == Set([records["H-CON"]!.recordId, 999_999]))
            #expect(export.progress.last?.files == UInt64(files.count) && export.progress.last?.skipped == 2)
            #expect(files.contains { $0.bytes.count > 2_000_000 }, "the large file is there")
            #expect(export.progress.count >= 3, "progress at least every MiB: \(export.progress.count)")
            // The manifest names every file with its size and digest, and the skipped ones.
            let manifest = try await Self.pythonCSV(entries.last!.bytes)
            #expect(manifest.first == ["Record", "Booking ID", "Contact Name", "Course Name", "Version", "File", "Size", "BLAKE2b-256", "Note"])
            for file in files {
                let line = try #require(manifest.first { $0[5] == file.name }, "\(file.name)")
                #expect(line[6] == "\(file.bytes.count)" && line[7].count == 64)
            }
            #expect(manifest.filter { $0[8].hasPrefix("skipped") }.count == 2)

            // Every version, numbered, when asked.
            request.recordIds = [records["H-NFC"]!.recordId]
            request.allVersions = true
            let versions = try await Self.readZIP(Self.collect(Exports.certificatesZIP, request, portal, as: "admin").bytes)
            let versionNames: [String] = versions.map(\.name).filter { $0 != "manifest.csv" }
            #expect(versionNames.count == 2, "\(versionNames)")
            #expect(versionNames.contains { $0.hasSuffix(" (version 1).png") } && versionNames.contains { $0.hasSuffix(" (version 2).png") })
        }
    }

    @Test func aBookersZIPHoldsOnlyTheirSharedCurrentCertificates() async throws {
        try await Self.withExports(rows: 12) { portal in
            let records = try await Self.certify(portal)
            var request = Certportal_Export_V1_ZIPRequest()
            request.allVersions = true // a booker still gets only the current version
            let export = try await Self.collect(Exports.certificatesZIP, request, portal, as: "booker:BKR-H")
            let entries = try await Self.readZIP(export.bytes)
            Self.expectSafe(entries.map(\.name))
            let shared = records.values.filter { $0.shared && $0.hasCertificate }
            #expect(!shared.isEmpty && shared.count < records.count - 1)
            let manifest = try await Self.pythonCSV(entries.last!.bytes)
            let included = Set(manifest.dropFirst().filter { !$0[8].hasPrefix("skipped") }.map(\.[0]))
            #expect(included == Set(shared.map { "\($0.recordId)" }))
            #expect(entries.count - 1 == shared.count, "one file each, the current one: \(entries.map(\.name))")
            // Unshared ones are skipped, never sent; the booker sees nothing of another booker.
            #expect(export.skipped.count == records.count - shared.count)
            let otherBooker = try await Self.collect(Exports.certificatesZIP, Certportal_Export_V1_ZIPRequest(), portal, as: "booker:BKR-NONE")
            #expect(try await Self.readZIP(otherBooker.bytes).map(\.name) == ["manifest.csv"])
            // Naming another booker's record is as if it did not exist.
            request.recordIds = [records["H-PLUS"]!.recordId]
            let elsewhere = try await Self.collect(Exports.certificatesZIP, request, portal, as: "booker:BKR-1")
            #expect(elsewhere.skipped.map(\.recordId) == [records["H-PLUS"]!.recordId])
            #expect(try await Self.readZIP(elsewhere.bytes).count == 1)
        }
    }

    @Test func aZIPOfEveryRecordMatchingAFilterStreamsWithProgress() async throws {
        try await Self.withExports(rows: 120) { portal in
            _ = try await Self.waitForRecords(portal, count: 120 + Self.hostileContacts.count)
            var filter = Certportal_Stats_V1_RecordFilter()
            filter.organisationId = "ORG-A"
            let rows = try await Self.listRecords(portal, filter, as: "admin")
            let client = portal.client(portal.certificates)
            defer { client.close() }
            var batch = Certportal_Certificates_V1_IssueBatchRequest()
            batch.recordIds = rows.filter { $0.status == "pending" }.map(\.recordId)
            let issued = try await client.serverStreaming(Certificates.issueBatch, batch, options: Portal.options("admin")) { stream in
                var issued: [Certportal_Certificates_V1_IssueProgress] = []
                for try await progress in stream where progress.issued { issued.append(progress) }
                return issued
            }
            #expect(issued.count > 20, "enough files for progress by count")
            var request = Certportal_Export_V1_ZIPRequest()
            filter.minCertificateSeq = issued.map(\.seq).max() ?? 0
            request.filter = filter
            let export = try await Self.collect(Exports.certificatesZIP, request, portal, as: "admin")
            #expect(export.header?.totalRows == UInt64(rows.count))
            let entries = try await Self.readZIP(export.bytes)
            Self.expectSafe(entries.map(\.name))
            #expect(entries.count - 1 == issued.count)
            #expect(export.skipped.count == rows.count - issued.count)
            // Progress between the data, growing, the last one the whole.
            #expect(export.progress.count >= 2)
            #expect(export.progress.map(\.files) == export.progress.map(\.files).sorted())
            #expect(export.progress.last?.files == UInt64(issued.count) && export.progress.last?.bytes == UInt64(export.bytes.count))
            let firstProgress = try #require(export.chunks.firstIndex { if case .progress = $0 { true } else { false } })
            let lastData = try #require(export.chunks.lastIndex { if case .data = $0 { true } else { false } })
            #expect(firstProgress < lastData, "progress is interleaved with the data")

            // A caller that goes away mid-ZIP: the export stops, is noted as failed, leaves no
            // manifest lines, and the next one works.
            let exportClient = portal.client(portal.export!)
            defer { exportClient.close() }
            let header: Certportal_Export_V1_ExportHeader? = try await exportClient.serverStreaming(Exports.certificatesZIP, request, options: Portal.options("admin")) { stream in
                for try await chunk in stream { if case .header(let header)? = chunk.part { return Optional(header) } }
                return nil
            }
            #expect(header != nil)
            let end = ContinuousClock.now + .seconds(10)
            var noted = ""
            while ContinuousClock.now < end {
                noted = try await runTool("sqlite3", [portal.data + "/export.sqlite",
                                                      "SELECT group_concat(status) FROM exports WHERE kind = 'certificates_zip'; SELECT count(*) FROM manifest_lines;"]).text
                if noted == "done,failed\n0\n" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(noted == "done,failed\n0\n")
            let again = try await Self.collect(Exports.certificatesZIP, request, portal, as: "admin")
            #expect(try await Self.readZIP(again.bytes).count == issued.count + 1)
        }
    }
}
