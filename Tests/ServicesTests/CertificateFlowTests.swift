import Foundation
import Testing
import RPC
import RPCTesting
import Messages

/// cert-store over real processes: catalog-service, cert-store and stats-service on one
/// data directory, driven through CPRPC/1 with each role's principal.
@Suite(.serialized) struct CertificateFlowTests {
    typealias Certificates = Certportal_Certificates_V1_Certificates

    /// A portal with 60 imported records; the records by status, as stats-service sees them.
    static func withRecords(_ body: (Portal, [Certportal_Stats_V1_RecordRow]) async throws -> Void) async throws {
        try await withPortal { portal in
            let imported = try await portal.importFile(try RecordsFlowTests.write(RecordsFlowTests.file(rows: 60)))
            #expect(imported.status == 0, "\(imported.errors)")
            let stats = portal.client(portal.stats)
            defer { stats.close() }
            var request = Certportal_Stats_V1_ListRecordsRequest()
            request.pageSize = 500
            var filter = Certportal_Stats_V1_RecordFilter()
            filter.minCatalogSeq = 60
            request.filter = filter
            let rows = try await stats.unary(Certportal_Stats_V1_Stats.listRecords, request, options: Portal.options("admin")).records
            try await body(portal, rows)
        }
    }

    static func pending(_ rows: [Certportal_Stats_V1_RecordRow], organisation: String = "ORG-A") throws -> Certportal_Stats_V1_RecordRow {
        try #require(rows.first { $0.status == "pending" && $0.organisationId == organisation })
    }

    static func record(_ portal: Portal, _ id: UInt64, seq: UInt64) async throws -> Certportal_Stats_V1_RecordRow {
        let stats = portal.client(portal.stats)
        defer { stats.close() }
        var request = Certportal_Stats_V1_GetRecordRequest()
        request.recordId = id
        request.minCertificateSeq = seq
        return try await stats.unary(Certportal_Stats_V1_Stats.getRecord, request, options: Portal.options("admin"))
    }

    static func upload(_ client: RPCClient, _ record: UInt64, _ bytes: [UInt8], as principal: String = "admin",
                       configure: (inout Certportal_Certificates_V1_UploadHeader) -> Void = { _ in }) async throws -> Certportal_Certificates_V1_CertificateWrite {
        var header = Certportal_Certificates_V1_UploadHeader()
        header.recordId = record
        header.originalName = "scan.png"
        configure(&header)
        let fixed = header
        return try await client.clientStreaming(Certificates.upload, options: Portal.options(principal)) { writer in
            var first = Certportal_Certificates_V1_UploadChunk()
            first.part = .header(fixed)
            try await writer.write(first)
            var offset = 0
            while offset < bytes.count {
                var chunk = Certportal_Certificates_V1_UploadChunk()
                chunk.part = .data(Array(bytes[offset..<min(bytes.count, offset + 65536)]))
                try await writer.write(chunk)
                offset += 65536
            }
        }.message
    }

    static func download(_ client: RPCClient, _ record: UInt64, version: UInt32 = 0, as principal: String = "admin") async throws
        -> (header: Certportal_Certificates_V1_FileHeader, bytes: [UInt8]) {
        var request = Certportal_Certificates_V1_DownloadRequest()
        request.recordId = record
        request.version = version
        return try await client.serverStreaming(Certificates.download, request, options: Portal.options(principal)) { stream in
            var header = Certportal_Certificates_V1_FileHeader()
            var bytes: [UInt8] = []
            for try await chunk in stream {
                switch chunk.part {
                case .header(let value)?: header = value
                case .data(let data)?: bytes += data
                case nil: break
                }
            }
            return (header, bytes)
        }
    }

    /// A real PNG, made by Python's zlib (an independent encoder), `size` pixels square.
    static func png(size: Int = 40, shade: Int = 90) async throws -> [UInt8] {
        let script = """
            import struct, sys, zlib
            w = h = \(size)
            raw = b''.join(b'\\x00' + b''.join(bytes([(\(shade) + x) % 256, (y * 3) % 256, 200]) for x in range(w)) for y in range(h))
            chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
            sys.stdout.buffer.write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
            """
        return [UInt8](try await runTool("python3", ["-c", script]).output)
    }

    @Test func anIssuedCertificateIsAPDFAndMovesTheRecordOutOfPending() async throws {
        try await Self.withRecords { portal, rows in
            let client = portal.client(portal.certificates)
            defer { client.close() }
            let target = try Self.pending(rows)
            var issue = Certportal_Certificates_V1_IssueRequest()
            issue.recordId = target.recordId
            let written = try await client.unary(Certificates.issue, issue, options: Portal.options("admin"))
            let certificate = try #require(written.certificate)
            #expect(certificate.certificateNumber.hasPrefix("CP-2026-"))
            #expect(certificate.currentVersion == 1 && certificate.versions.first?.kind == "internal")
            #expect(certificate.verificationCode.count >= 26)
            // The very next view reflects it.
            let row = try await Self.record(portal, target.recordId, seq: written.seq)
            #expect(row.status != "pending" && row.hasCertificate && row.certType == "internal")
            #expect(!row.expiryDate.isEmpty, "the course's validity gives an expiry")

            let file = try await Self.download(client, target.recordId)
            #expect(file.bytes.starts(with: Array("%PDF-".utf8)))
            #expect(file.header.mediaType == "application/pdf" && file.header.size == UInt64(file.bytes.count))
            #expect(file.header.fileName.hasSuffix(".pdf") && !file.header.fileName.contains("/"))
            // Checked by independent readers: qpdf accepts it, and its text names the delegate and the number.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("issued-\(UUID().uuidString).pdf").path
            try Data(file.bytes).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try await runTool("qpdf", ["--check", path]).status == 0)
            let text = try await runTool("pdftotext", [path, "-"]).text
            #expect(text.contains(target.contactName) && text.contains(certificate.certificateNumber), "\(text)")

            // A failed delegate and a course still running are refused, by reason.
            let failed = try #require(rows.first { $0.status == "failed" })
            issue.recordId = failed.recordId
            await expectRPCError(.failedPrecondition) { _ = try await client.unary(Certificates.issue, issue, options: Portal.options("admin")) }
            let booked = try #require(rows.first { $0.status == "booked" })
            issue.recordId = booked.recordId
            await expectRPCError(.failedPrecondition) { _ = try await client.unary(Certificates.issue, issue, options: Portal.options("admin")) }

            // A batch reports each record as it is done.
            var batch = Certportal_Certificates_V1_IssueBatchRequest()
            let pendings = rows.filter { $0.status == "pending" && $0.recordId != target.recordId }.prefix(5).map(\.recordId)
            batch.recordIds = Array(pendings) + [failed.recordId]
            let progress = try await client.serverStreaming(Certificates.issueBatch, batch, options: Portal.options("admin")) { stream in
                var all: [Certportal_Certificates_V1_IssueProgress] = []
                for try await item in stream { all.append(item) }
                return all
            }
            #expect(progress.count == pendings.count + 1 && progress.last?.done == progress.last?.total)
            #expect(progress.filter(\.issued).count == pendings.count)
            #expect(progress.first { $0.recordId == failed.recordId }?.problem.contains("failed") == true)
        }
    }

    @Test func uploadsAddAndReplaceVersionsAndKeepEveryFile() async throws {
        try await Self.withRecords { portal, rows in
            let client = portal.client(portal.certificates)
            defer { client.close() }
            let target = try Self.pending(rows)
            let first = try await Self.png(shade: 10), second = try await Self.png(shade: 120), third = try await Self.png(size: 60)
            let added = try await Self.upload(client, target.recordId, first) { $0.expiryDate = "2027-01-31" }
            #expect(added.certificate?.versions.map(\.kind) == ["external"])
            #expect(added.certificate?.versions.first?.mediaType == "image/png")
            var row = try await Self.record(portal, target.recordId, seq: added.seq)
            #expect(row.status == "certified" && row.expiryDate == "2027-01-31" && row.certType == "external")

            let newer = try await Self.upload(client, target.recordId, second)
            #expect(newer.certificate?.currentVersion == 2)
            let replaced = try await Self.upload(client, target.recordId, third) { $0.replaceVersion = 2; $0.emailTo = "booker" }
            let versions = try #require(replaced.certificate?.versions)
            #expect(versions.map(\.state) == ["superseded", "replaced", "current"])
            #expect(versions.last?.replaces == 2)
            #expect(!replaced.emailRequestId.isEmpty, "Upload & Send Email keeps the request")
            row = try await Self.record(portal, target.recordId, seq: replaced.seq)
            #expect(row.certificateUpdated)
            // Every file stays downloadable by admins, byte for byte.
            #expect(try await Self.download(client, target.recordId, version: 1).bytes == first)
            #expect(try await Self.download(client, target.recordId, version: 2).bytes == second)
            #expect(try await Self.download(client, target.recordId).bytes == third)

            var history = Certportal_Certificates_V1_HistoryRequest()
            history.recordId = target.recordId
            let audit = try await client.unary(Certificates.getHistory, history, options: Portal.options("admin")).audit
            #expect(audit.map(\.action).contains("replaced") && audit.map(\.action).contains("email_requested"))
        }
    }

    @Test func badUploadsAreRefusedByTheirContentAndChangeNothing() async throws {
        try await Self.withRecords { portal, rows in
            let client = portal.client(portal.certificates)
            defer { client.close() }
            let target = try Self.pending(rows)
            let good = try await Self.png()
            let bad: [(String, [UInt8])] = [
                ("text named .pdf", Array("this is not a certificate, just text\n".utf8)),
                ("a truncated PNG", Array(good.prefix(good.count / 2))),
                ("a PDF that is not one", Array("%PDF-1.7\n1 0 obj garbage\n%%EOF\n".utf8)),
                ("nothing", []),
                ("over the limit", [UInt8](repeating: 0x89, count: 21 * 1024 * 1024)),
            ]
            for (what, bytes) in bad {
                await expectRPCError(.invalidArgument, "\(what)") { _ = try await Self.upload(client, target.recordId, bytes) }
            }
            await expectRPCError(.invalidArgument) { _ = try await Self.upload(client, target.recordId, good) { $0.expiryDate = "2027-02-30" } }
            await expectRPCError(.invalidArgument) { _ = try await Self.upload(client, target.recordId, good) { $0.emailTo = "everyone" } }
            await expectRPCError(.notFound) { _ = try await Self.upload(client, target.recordId, good) { $0.replaceVersion = 3 } }
            await Self.expectNoCertificate(client, target.recordId)
        }
    }

    /// The record has no certificate: nothing was stored for it.
    static func expectNoCertificate(_ client: RPCClient, _ record: UInt64) async {
        var get = Certportal_Certificates_V1_GetCertificateRequest()
        get.recordId = record
        await expectRPCError(.notFound, "nothing was stored") {
            _ = try await client.unary(Certificates.getCertificate, get, options: Portal.options("admin"))
        }
    }

    @Test func anAcknowledgedUploadSurvivesAKilledCertStore() async throws {
        try await Self.withRecords { portal, rows in
            let target = try Self.pending(rows)
            let bytes = try await Self.png(size: 64)
            let client = portal.client(portal.certificates)
            let written = try await Self.upload(client, target.recordId, bytes)
            client.close()
            try await portal.restartCertStore(signal: SIGKILL)
            let fresh = portal.client(portal.certificates)
            defer { fresh.close() }
            #expect(try await Self.download(fresh, target.recordId).bytes == bytes)
            let row = try await Self.record(portal, target.recordId, seq: written.seq)
            #expect(row.status == "certified" || row.status == "expiring")
        }
    }

    @Test func everyCallChecksTheCallersScope() async throws {
        try await Self.withRecords { portal, rows in
            let client = portal.client(portal.certificates)
            defer { client.close() }
            let mine = try #require(rows.first { $0.status == "pending" && $0.bookerId == "BKR-2" })
            let other = try #require(rows.first { $0.status == "pending" && $0.organisationId != mine.organisationId && $0.bookerId != "BKR-2" })
            for record in [mine, other] {
                var issue = Certportal_Certificates_V1_IssueRequest()
                issue.recordId = record.recordId
                _ = try await client.unary(Certificates.issue, issue, options: Portal.options("admin"))
            }
            let booker = "booker:BKR-2", rep = "orgrep:\(mine.organisationId)"
            var get = Certportal_Certificates_V1_GetCertificateRequest()
            get.recordId = mine.recordId
            // Not shared yet: the booker and org rep see nothing, as if there were nothing.
            for principal in [booker, rep] {
                await expectRPCError(.notFound, "\(principal)") { _ = try await client.unary(Certificates.getCertificate, get, options: Portal.options(principal)) }
                await expectRPCError(.notFound, "\(principal)") { _ = try await Self.download(client, mine.recordId, as: principal) }
            }
            var share = Certportal_Certificates_V1_ShareRequest()
            share.recordId = mine.recordId
            share.shared = true
            await expectRPCError(.permissionDenied) { _ = try await client.unary(Certificates.share, share, options: Portal.options(booker)) }
            _ = try await client.unary(Certificates.share, share, options: Portal.options("admin"))
            for principal in [booker, rep] {
                let seen = try await client.unary(Certificates.getCertificate, get, options: Portal.options(principal))
                #expect(seen.verificationCode.isEmpty && seen.versions.count == 1, "\(principal)")
                #expect(try await Self.download(client, mine.recordId, as: principal).bytes.starts(with: Array("%PDF".utf8)))
            }
            // Another organisation's record: not found for every call, whatever its state.
            share.recordId = other.recordId
            _ = try await client.unary(Certificates.share, share, options: Portal.options("admin"))
            get.recordId = other.recordId
            var history = Certportal_Certificates_V1_HistoryRequest()
            history.recordId = other.recordId
            var revoke = Certportal_Certificates_V1_RevokeRequest()
            revoke.recordId = other.recordId
            var issue = Certportal_Certificates_V1_IssueRequest()
            issue.recordId = other.recordId
            for principal in [booker, rep] {
                await expectRPCError(.notFound) { _ = try await client.unary(Certificates.getCertificate, get, options: Portal.options(principal)) }
                await expectRPCError(.notFound) { _ = try await Self.download(client, other.recordId, as: principal) }
                // Admin-only calls are refused for the role before anything is looked up.
                await expectRPCError(.permissionDenied) { _ = try await client.unary(Certificates.getHistory, history, options: Portal.options(principal)) }
                await expectRPCError(.permissionDenied) { _ = try await client.unary(Certificates.revoke, revoke, options: Portal.options(principal)) }
                await expectRPCError(.permissionDenied) { _ = try await client.unary(Certificates.issue, issue, options: Portal.options(principal)) }
                await expectRPCError(.permissionDenied) { _ = try await Self.upload(client, other.recordId, try await Self.png(), as: principal) }
                await expectRPCError(.permissionDenied) {
                    _ = try await client.unary(Certificates.listTemplates, .init(), options: Portal.options(principal))
                }
            }
            // No principal at all: refused.
            await expectRPCError(.permissionDenied) { _ = try await client.unary(Certificates.getCertificate, get, options: CallOptions()) }
        }
    }

    @Test func verificationShowsValidThenRevokedAndTheRecordIsPendingAgain() async throws {
        try await Self.withRecords { portal, rows in
            let client = portal.client(portal.certificates)
            defer { client.close() }
            let target = try Self.pending(rows)
            var issue = Certportal_Certificates_V1_IssueRequest()
            issue.recordId = target.recordId
            let code = try #require(try await client.unary(Certificates.issue, issue, options: Portal.options("admin")).certificate?.verificationCode)
            var verify = Certportal_Certificates_V1_VerifyRequest()
            verify.code = code
            let valid = try await client.unary(Certificates.verify, verify, options: CallOptions())
            #expect(valid.state == "valid" && valid.holder == target.contactName && valid.course == target.courseName)
            #expect(valid.provider == "Zoë's Training Ltd")
            var revoke = Certportal_Certificates_V1_RevokeRequest()
            revoke.recordId = target.recordId
            revoke.reason = "issued in error"
            let revoked = try await client.unary(Certificates.revoke, revoke, options: Portal.options("admin"))
            #expect(try await client.unary(Certificates.verify, verify, options: CallOptions()).state == "revoked")
            let row = try await Self.record(portal, target.recordId, seq: revoked.seq)
            #expect(row.status == "pending" && !row.hasCertificate)
            verify.code = String(code.reversed())
            await expectRPCError(.notFound) { _ = try await client.unary(Certificates.verify, verify, options: CallOptions()) }
        }
    }

    @Test func templatesAreCheckedBeforeTheyAreSaved() async throws {
        try await Self.withRecords { portal, _ in
            let client = portal.client(portal.certificates)
            defer { client.close() }
            let list = try await client.unary(Certificates.listTemplates, .init(), options: Portal.options("admin"))
            var template = try #require(list.templates.first { $0.templateId == "standard" })
            #expect(list.placeholders.contains("{contact_name}"))
            template.templateId = "first-aid"
            template.title = "Certificate of Competence"
            var put = Certportal_Certificates_V1_PutTemplateRequest()
            put.template = template
            let saved = try await client.unary(Certificates.putTemplate, put, options: Portal.options("admin"))
            #expect(saved.revision == 1 && saved.title == "Certificate of Competence")
            #expect(try await client.unary(Certificates.putTemplate, put, options: Portal.options("admin")).revision == 2)
            template.body = "Awarded to {contact_nmae}"
            put.template = template
            await expectRPCError(.invalidArgument) { _ = try await client.unary(Certificates.putTemplate, put, options: Portal.options("admin")) }
            template.body = "Awarded to {contact_name}"
            template.primaryColour = "blue"
            put.template = template
            let colour = await expectRPCError(.invalidArgument) { _ = try await client.unary(Certificates.putTemplate, put, options: Portal.options("admin")) }
            #expect(colour?.message.hasPrefix("primary_colour:") == true, "named as the proto names it: \(colour?.message ?? "")")
        }
    }
}
