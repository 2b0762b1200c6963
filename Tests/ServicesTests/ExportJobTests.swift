import Foundation
import Testing
import RPC
import RPCTesting
import Messages

/// Export jobs over real processes: ZIPs made in the background by export-service into its
/// data directory, read back by unzip, Python's zipfile and bsdtar; scope, cancel, restart
/// and expiry. A job is held "running" by stopping stats-service (SIGSTOP): its first
/// look-up waits, so what the test sees does not depend on how fast anything runs.
@Suite(.serialized) struct ExportJobTests {
    typealias Exports = Certportal_Export_V1_Exports
    typealias Job = Certportal_Export_V1_Job

    static func startJob(_ portal: Portal, _ request: Certportal_Export_V1_ZIPRequest, as principal: String) async throws -> Job {
        let client = portal.client(portal.export!)
        defer { client.close() }
        return try await client.unary(Exports.startZIPJob, request, options: Portal.options(principal))
    }

    static func jobCall(_ method: MethodDescriptor<Certportal_Export_V1_JobRequest, Job>, _ portal: Portal, _ id: String,
                        as principal: String) async throws -> Job {
        let client = portal.client(portal.export!)
        defer { client.close() }
        var request = Certportal_Export_V1_JobRequest()
        request.jobId = id
        return try await client.unary(method, request, options: Portal.options(principal))
    }

    static func list(_ portal: Portal, as principal: String) async throws -> [Job] {
        let client = portal.client(portal.export!)
        defer { client.close() }
        return try await client.unary(Exports.listJobs, Certportal_Export_V1_ListJobsRequest(), options: Portal.options(principal)).jobs
    }

    /// The job once it is in one of `states` (within a minute; it fails the test otherwise).
    static func wait(_ portal: Portal, _ id: String, for states: Set<String>, as principal: String = "admin") async throws -> Job {
        let end = ContinuousClock.now + .seconds(60)
        while true {
            let job = try await jobCall(Exports.getJob, portal, id, as: principal)
            if states.contains(job.state) { return job }
            guard ContinuousClock.now < end else {
                Issue.record("job \(id) is still \(job.state) (\(job.error)), not \(states.sorted())")
                return job
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func download(_ portal: Portal, _ id: String, as principal: String) async throws -> ExportFlowTests.Export {
        var request = Certportal_Export_V1_JobRequest()
        request.jobId = id
        return try await ExportFlowTests.collect(Exports.downloadJob, request, portal, as: principal)
    }

    static func jobFiles(_ portal: Portal) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: portal.data + "/jobs").sorted()
    }

    static func signal(_ process: ServiceProcess, _ signal: Int32) {
        kill(process.process.processIdentifier, signal)
    }

    @Test func aJobsZIPHoldsExactlyThePermittedFilesAndIsItsOwners() async throws {
        try await ExportFlowTests.withExports(rows: 12) { portal in
            let records = try await ExportFlowTests.certify(portal)
            var request = Certportal_Export_V1_ZIPRequest()
            let chosen = ExportFlowTests.hostileContacts.map(\.id).filter { $0 != "H-AT" }
            request.recordIds = chosen.compactMap { records[$0]?.recordId } + [999_999]
            let started = try await Self.startJob(portal, request, as: "admin")
            #expect(started.jobId.count == 32 && started.jobId.allSatisfy(\.isHexDigit), "\(started.jobId)")
            #expect(started.kind == "certificates_zip" && ["queued", "running"].contains(started.state))
            #expect(started.filesTotal == UInt64(request.recordIds.count) && started.createdAtMs > 0)
            let done = try await Self.wait(portal, started.jobId, for: ["done", "failed"])
            #expect(done.state == "done", "\(done.error)")
            #expect(done.fileName == "certificates-\(Portal.today).zip")
            #expect(done.expiresAtMs - done.finishedAtMs == 24 * 3600 * 1000, "kept 24 hours by default")
            #expect(try Self.jobFiles(portal) == ["\(started.jobId).zip"], "renamed from .part once done")

            // The job's ZIP is the streamed one's: the same entries, byte for byte, every one opening cleanly.
            let job = try await Self.download(portal, started.jobId, as: "admin")
            #expect(job.header?.fileName == done.fileName && job.header?.mediaType == "application/zip")
            #expect(UInt64(job.bytes.count) == done.bytes && job.progress.last?.files == done.filesDone)
            let entries = try await ExportFlowTests.readZIP(job.bytes)
            let streamed = try await ExportFlowTests.readZIP(ExportFlowTests.collect(Exports.certificatesZIP, request, portal, as: "admin").bytes)
            #expect(entries.map(\.name) == streamed.map(\.name))
            #expect(entries.map(\.bytes) == streamed.map(\.bytes))
            ExportFlowTests.expectSafe(entries.map(\.name))
            let client = portal.client(portal.certificates)
            defer { client.close() }
            for id in chosen where id != "H-CON" {
                let expected = try await CertificateFlowTests.download(client, try #require(records[id]).recordId)
                #expect(entries.filter { $0.bytes == expected.bytes }.count == 1, "\(id)")
            }
            #expect(done.filesDone == UInt64(entries.count - 1) && done.skipped == 2, "\(done)")

            // Another principal sees nothing of it; an admin does; a malformed id is named.
            for principal in ["booker:BKR-H", "orgrep:ORG-H"] {
                await expectRPCError(.notFound, principal) { _ = try await Self.jobCall(Exports.getJob, portal, started.jobId, as: principal) }
                await expectRPCError(.notFound, principal) { _ = try await Self.download(portal, started.jobId, as: principal) }
                await expectRPCError(.notFound, principal) { _ = try await Self.jobCall(Exports.cancelJob, portal, started.jobId, as: principal) }
                #expect(try await Self.list(portal, as: principal).isEmpty)
            }
            #expect(try await Self.list(portal, as: "admin").map(\.jobId) == [started.jobId])
            let malformed = await expectRPCError(.invalidArgument) { _ = try await Self.jobCall(Exports.getJob, portal, "../etc", as: "admin") }
            #expect(malformed?.message.hasPrefix("job_id:") == true)
            await expectRPCError(.notFound) { _ = try await Self.jobCall(Exports.getJob, portal, String(repeating: "0", count: 32), as: "admin") }
            // A done job cannot be cancelled; it stays done.
            let late = await expectRPCError(.failedPrecondition) { _ = try await Self.jobCall(Exports.cancelJob, portal, started.jobId, as: "admin") }
            #expect(late?.message.hasPrefix("job_id:") == true)

            // A booker's job of every record in their scope: only their shared, current certificates.
            var all = Certportal_Export_V1_ZIPRequest()
            all.allVersions = true
            let bookers = try await Self.startJob(portal, all, as: "booker:BKR-H")
            #expect(try await Self.wait(portal, bookers.jobId, for: ["done", "failed"], as: "booker:BKR-H").state == "done")
            let mine = try await ExportFlowTests.readZIP(Self.download(portal, bookers.jobId, as: "booker:BKR-H").bytes)
            let manifest = try await ExportFlowTests.pythonCSV(try #require(mine.last).bytes)
            let shared = records.values.filter { $0.shared && $0.hasCertificate }
            #expect(!shared.isEmpty && shared.count < records.count - 1)
            #expect(Set(manifest.dropFirst().filter { !$0[8].hasPrefix("skipped") }.map(\.[0])) == Set(shared.map { "\($0.recordId)" }))
            #expect(mine.count - 1 == shared.count, "\(mine.map(\.name))")
            #expect(try await Self.list(portal, as: "booker:BKR-H").map(\.jobId) == [bookers.jobId])
            await expectRPCError(.notFound) { _ = try await Self.download(portal, bookers.jobId, as: "booker:BKR-1") }

            // A bad request is the call's error, and no job is made of it.
            var bad = Certportal_Export_V1_ZIPRequest()
            var filter = Certportal_Stats_V1_RecordFilter()
            filter.status = "golden"
            bad.filter = filter
            let refused = await expectRPCError(.invalidArgument) { _ = try await Self.startJob(portal, bad, as: "admin") }
            #expect(refused?.message.hasPrefix("status:") == true, "\(String(describing: refused))")
            var tooMany = Certportal_Export_V1_ZIPRequest()
            tooMany.recordIds = Array(1...10_001)
            let tooManyError = await expectRPCError(.invalidArgument) { _ = try await Self.startJob(portal, tooMany, as: "admin") }
            #expect(tooManyError?.message.hasPrefix("record_ids:") == true)
            #expect(try await Self.list(portal, as: "admin").count == 1)
        }
    }

    @Test func jobsAreCancelledRestartedAfterAKillAndExpire() async throws {
        try await ExportFlowTests.withExports(rows: 12) { portal in
            let records = try await ExportFlowTests.certify(portal)
            await portal.export?.stop()
            try await portal.startExport(["--max-jobs", "1"])
            var request = Certportal_Export_V1_ZIPRequest()
            request.recordIds = ExportFlowTests.hostileContacts.compactMap { records[$0.id]?.recordId }

            // One job at a time: the first runs (held at its first look-up), the rest wait.
            Self.signal(portal.stats, SIGSTOP)
            let first = try await Self.startJob(portal, request, as: "admin")
            #expect(try await Self.wait(portal, first.jobId, for: ["running"]).state == "running")
            let second = try await Self.startJob(portal, request, as: "admin")
            let third = try await Self.startJob(portal, request, as: "booker:BKR-H")
            #expect(try await Self.jobCall(Exports.getJob, portal, second.jobId, as: "admin").state == "queued")
            // A queued job cancelled: it never runs. Cancelling it again changes nothing.
            let cancelled = try await Self.jobCall(Exports.cancelJob, portal, second.jobId, as: "admin")
            #expect(cancelled.state == "cancelled" && cancelled.finishedAtMs > 0)
            #expect(try await Self.jobCall(Exports.cancelJob, portal, second.jobId, as: "admin").state == "cancelled")
            await expectRPCError(.failedPrecondition) { _ = try await Self.download(portal, first.jobId, as: "admin") }

            // Killed with a job running and one queued: after a restart both finish, nothing lost.
            await portal.export?.stop(signal: SIGKILL)
            Self.signal(portal.stats, SIGCONT)
            try await portal.startExport(["--max-jobs", "1"])
            let firstDone = try await Self.wait(portal, first.jobId, for: ["done", "failed"])
            let thirdDone = try await Self.wait(portal, third.jobId, for: ["done", "failed"], as: "booker:BKR-H")
            #expect(firstDone.state == "done" && thirdDone.state == "done", "\(firstDone.error) \(thirdDone.error)")
            #expect(try await Self.jobCall(Exports.getJob, portal, second.jobId, as: "admin").state == "cancelled")
            let entries = try await ExportFlowTests.readZIP(Self.download(portal, first.jobId, as: "admin").bytes)
            #expect(entries.count == request.recordIds.count, "every record's file but H-CON's, and the manifest")
            #expect(UInt64(entries.count - 1) == firstDone.filesDone)
            #expect(try await ExportFlowTests.readZIP(Self.download(portal, third.jobId, as: "booker:BKR-H").bytes).last?.name == "manifest.csv")
            #expect(try Self.jobFiles(portal) == ["\(first.jobId).zip", "\(third.jobId).zip"].sorted(), "no part left behind")

            // A running job cancelled: it stops, and its file is gone when the answer comes.
            Self.signal(portal.stats, SIGSTOP)
            let fourth = try await Self.startJob(portal, request, as: "admin")
            #expect(try await Self.wait(portal, fourth.jobId, for: ["running"]).state == "running")
            let stopped = try await Self.jobCall(Exports.cancelJob, portal, fourth.jobId, as: "admin")
            Self.signal(portal.stats, SIGCONT)
            #expect(stopped.state == "cancelled")
            #expect(try Self.jobFiles(portal).allSatisfy { !$0.hasPrefix(fourth.jobId) })
            await expectRPCError(.failedPrecondition) { _ = try await Self.download(portal, fourth.jobId, as: "admin") }

            // A short TTL: the done jobs expire (their files deleted), and say so.
            await portal.export?.stop()
            try await portal.startExport(["--job-ttl", "1s"])
            let expired = try await Self.wait(portal, first.jobId, for: ["expired"])
            #expect(expired.state == "expired")
            let gone = await expectRPCError(.failedPrecondition) { _ = try await Self.download(portal, first.jobId, as: "admin") }
            #expect(gone?.message.contains("expired") == true)
            #expect(try await Self.wait(portal, third.jobId, for: ["expired"], as: "booker:BKR-H").state == "expired")
            #expect(try Self.jobFiles(portal).isEmpty)
            let states = try await Self.list(portal, as: "admin").map(\.state)
            #expect(states == ["cancelled", "cancelled", "expired"], "newest first")
        }
    }
}
