import Foundation
import Testing
import RPCTesting

/// The gateway's export job endpoints over real processes: a ZIP started as a job, watched
/// until done and downloaded; its owner's only; refused without the CSRF token.
@Suite(.serialized) struct ExportJobAPITests {
    static func job(_ portal: Portal, _ id: String, _ user: GatewayAPITests.User) async throws -> HTTPAnswer {
        try await fetch(portal.url + "/api/exports/jobs/\(id)", headers: user.headers)
    }

    @Test func aZIPJobIsStartedWatchedAndDownloadedByItsOwnerOnly() async throws {
        try await GatewayAPITests.withGateway(exports: true) { portal in
            let (admin, booker) = try await CertificateAPITests.logIn(portal)
            let pending = try await CertificateAPITests.records(portal, booker, status: "pending")
            let shared = try #require(pending.first?["record_id"] as? Int)
            let unshared = try #require(pending.dropFirst().first?["record_id"] as? Int)
            #expect(try await CertificateAPITests.post(portal, "/api/records/\(shared)/certificate/issue", admin, ["share": true]).status == 200)
            #expect(try await CertificateAPITests.post(portal, "/api/records/\(unshared)/certificate/issue", admin, ["share": false]).status == 200)

            // A write: the CSRF token is needed.
            var noToken = booker.writeHeaders
            noToken["X-CSRF-Token"] = nil
            let refused = try await fetch(portal.url + "/api/exports/jobs", method: "POST", headers: noToken, body: GatewayAPITests.json(["record_ids": [shared]]))
            #expect(refused.status == 403 && refused.errorCode == "csrf")

            let started = try await CertificateAPITests.post(portal, "/api/exports/jobs", booker, ["record_ids": [shared, unshared]])
            #expect(started.status == 202, "\(started.text)")
            let id = try #require(started.object["job_id"] as? String)
            #expect(started.object["files_total"] as? Int == 2)
            var answer = started
            let end = ContinuousClock.now + .seconds(60)
            while answer.object["state"] as? String != "done", ["queued", "running"].contains(answer.object["state"] as? String ?? ""),
                  ContinuousClock.now < end {
                try await Task.sleep(for: .milliseconds(50))
                answer = try await Self.job(portal, id, booker)
            }
            #expect(answer.object["state"] as? String == "done", "\(answer.text)")
            #expect(answer.object["files_done"] as? Int == 1 && answer.object["skipped"] as? Int == 1, "the unshared one left out: \(answer.text)")
            #expect(answer.object["expires_at"] is String && answer.object["finished_at"] is String)
            let url = try #require(answer.object["download_url"] as? String)

            let file = try await fetch(portal.url + url, headers: booker.headers)
            #expect(file.status == 200 && file.headers["content-type"] == "application/zip", "\(file.text.prefix(300))")
            #expect(file.headers["content-disposition"]?.contains("certificates-\(Portal.today).zip") == true)
            #expect(file.body.count == answer.object["bytes"] as? Int)
            let path = try ExportAPITests.save(file, as: "job.zip")
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try await runTool("unzip", ["-tq", path]).status == 0)
            #expect(try await runTool("bsdtar", ["-tf", path]).status == 0)
            let names = try await runTool("python3", ["-c", """
                import sys, zipfile
                z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
                print(sum(1 for n in z.namelist() if n.endswith('.pdf')), 'manifest.csv' in z.namelist())
                """, path])
            #expect(names.text.trimmingCharacters(in: .whitespacesAndNewlines) == "1 True", "\(names.text) \(names.errorText)")

            // The booker's list holds it; the admin's own list does not, though an admin may read it.
            let mine = try await fetch(portal.url + "/api/exports/jobs", headers: booker.headers)
            #expect((mine.object["jobs"] as? [[String: Any]])?.compactMap { $0["job_id"] as? String } == [id])
            let admins = try await fetch(portal.url + "/api/exports/jobs", headers: admin.headers)
            #expect((admins.object["jobs"] as? [[String: Any]])?.isEmpty == true, "\(admins.text)")
            #expect(try await Self.job(portal, id, admin).status == 200)
            // A done job cannot be cancelled; a malformed id is named; no login, no job.
            let late = try await CertificateAPITests.post(portal, "/api/exports/jobs/\(id)/cancel", booker, [:])
            #expect(late.status == 400 && late.errorField == "job_id", "\(late.text)")
            let malformed = try await Self.job(portal, "nope", booker)
            #expect(malformed.status == 400 && malformed.errorField == "job_id")
            #expect(try await fetch(portal.url + "/api/exports/jobs/\(id)").status == 401)
            let bad = try await CertificateAPITests.post(portal, "/api/exports/jobs?status=maybe", admin, [:])
            #expect(bad.status == 400 && bad.errorField == "status", "\(bad.text)")
            let badIDs = try await CertificateAPITests.post(portal, "/api/exports/jobs", admin, ["record_ids": ["x"]])
            #expect(badIDs.status == 400 && badIDs.errorField == "record_ids")
        }
    }
}
