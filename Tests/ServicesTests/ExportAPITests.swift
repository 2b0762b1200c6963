import Foundation
import Testing
import RPCTesting

/// The gateway's export endpoints over real processes: the records report and certificate
/// ZIPs streamed from export-service, read back by independent readers.
@Suite(.serialized) struct ExportAPITests {
    static func save(_ answer: HTTPAnswer, as name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
        try answer.body.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func theRecordsReportIsTheTableAsCSV() async throws {
        try await GatewayAPITests.withGateway(exports: true) { portal in
            let (admin, booker) = try await CertificateAPITests.logIn(portal)
            let report = try await fetch(portal.url + "/api/exports/records.csv", headers: admin.headers)
            #expect(report.status == 200, "\(report.text)")
            #expect(report.headers["content-type"]?.hasPrefix("text/csv") == true)
            #expect(report.headers["content-disposition"]?.hasPrefix("attachment") == true)
            #expect(report.body.starts(with: [0xEF, 0xBB, 0xBF]), "a byte-order mark for spreadsheets")
            let path = try Self.save(report, as: "records.csv")
            defer { try? FileManager.default.removeItem(atPath: path) }
            // Python's csv module reads it back: the header, then one row per record.
            let parsed = try await runTool("python3", ["-c", """
                import csv, sys
                rows = list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline='')))
                print(len(rows) - 1, rows[0][0], rows[0][-1], sum(1 for r in rows[1:] for c in r if c and c[0] in '=+-@\\t\\r'))
                """, path])
            #expect(parsed.text.trimmingCharacters(in: .whitespacesAndNewlines) == "300 Booking ID Pass/Fail 0", "\(parsed.text) \(parsed.errorText)")
            // The booker's report is the booker's scope.
            let mine = try await fetch(portal.url + "/api/exports/records.csv", headers: booker.headers)
            let expected = try await GatewayAPITests.records(portal, booker).object["total"] as? Int
            let lines = mine.text.split(separator: "\r\n", omittingEmptySubsequences: true).count
            #expect(lines - 1 == expected, "\(lines) lines")
            // A bad filter is a clear error before any byte is sent.
            let bad = try await fetch(portal.url + "/api/exports/records.csv?status=maybe", headers: admin.headers)
            #expect(bad.status == 400 && bad.errorField == "status", "\(bad.text)")
            #expect(try await fetch(portal.url + "/api/exports/records.csv").status == 401)
        }
    }

    @Test func aZIPHoldsExactlyThePermittedCertificates() async throws {
        try await GatewayAPITests.withGateway(exports: true) { portal in
            let (admin, booker) = try await CertificateAPITests.logIn(portal)
            let pending = try await CertificateAPITests.records(portal, booker, status: "pending")
            let shared = try #require(pending.first?["record_id"] as? Int)
            let unshared = try #require(pending.dropFirst().first?["record_id"] as? Int)
            #expect(try await CertificateAPITests.post(portal, "/api/records/\(shared)/certificate/issue", admin, ["share": true]).status == 200)
            #expect(try await CertificateAPITests.post(portal, "/api/records/\(unshared)/certificate/issue", admin, ["share": false]).status == 200)

            let all = try await fetch(portal.url + "/api/exports/certificates.zip?ids=\(shared),\(unshared)", headers: admin.headers)
            #expect(all.status == 200 && all.headers["content-type"] == "application/zip", "\(all.text.prefix(300))")
            let path = try Self.save(all, as: "certificates.zip")
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try await runTool("unzip", ["-tq", path]).status == 0)
            #expect(try await runTool("bsdtar", ["-tf", path]).status == 0)
            let names = try await runTool("python3", ["-c", """
                import sys, zipfile
                z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
                print(sum(1 for n in z.namelist() if n.endswith('.pdf')), 'manifest.csv' in z.namelist())
                """, path])
            #expect(names.text.trimmingCharacters(in: .whitespacesAndNewlines) == "2 True", "\(names.text) \(names.errorText)")

            // The booker's ZIP of the same two records holds only the shared certificate.
            let mine = try await fetch(portal.url + "/api/exports/certificates.zip?ids=\(shared),\(unshared)", headers: booker.headers)
            let minePath = try Self.save(mine, as: "mine.zip")
            defer { try? FileManager.default.removeItem(atPath: minePath) }
            let mineNames = try await runTool("python3", ["-c", """
                import sys, zipfile
                print(sum(1 for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.endswith('.pdf')))
                """, minePath])
            #expect(mineNames.text.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(mineNames.text) \(mineNames.errorText)")
            let bad = try await fetch(portal.url + "/api/exports/certificates.zip?ids=1,x", headers: admin.headers)
            #expect(bad.status == 400 && bad.errorField == "ids")
        }
    }
}
