import Foundation
import Testing
import RPC
import RPCTesting
import Messages

/// cert-store's Bundle over real processes: each record's files exactly as Download gives
/// them to the same caller, in the order asked, and each file sent audited as a download.
@Suite(.serialized) struct CertificateBundleTests {
    typealias Certificates = Certportal_Certificates_V1_Certificates

    /// A record's part of a bundle: what cert-store said of it and the files that followed.
    struct Part {
        var record: Certportal_Certificates_V1_BundleRecord
        var files: [(header: Certportal_Certificates_V1_FileHeader, bytes: [UInt8])] = []
    }

    static func bundle(_ client: RPCClient, _ ids: [UInt64], allVersions: Bool = false, as principal: String) async throws -> [Part] {
        var request = Certportal_Certificates_V1_BundleRequest()
        request.recordIds = ids
        request.allVersions = allVersions
        return try await client.serverStreaming(Certificates.bundle, request, options: Portal.options(principal)) { stream in
            var parts: [Part] = []
            for try await chunk in stream {
                switch chunk.part {
                case .record(let record)?: parts.append(Part(record: record))
                case .file(let header)?:
                    guard !parts.isEmpty else { Issue.record("a file before any record"); continue }
                    parts[parts.count - 1].files.append((header, []))
                case .data(let bytes)?:
                    guard let last = parts.last, !last.files.isEmpty else { Issue.record("data before any file"); continue }
                    parts[parts.count - 1].files[last.files.count - 1].bytes += bytes
                case nil: break
                }
            }
            return parts
        }
    }

    static func downloads(_ client: RPCClient, _ id: UInt64) async throws -> Int {
        var history = Certportal_Certificates_V1_HistoryRequest()
        history.recordId = id
        return try await client.unary(Certificates.getHistory, history, options: Portal.options("admin")).audit.filter { $0.action == "downloaded" }.count
    }

    @Test func aBundleGivesEachRecordWhatDownloadGivesTheCallerInOrder() async throws {
        try await CertificateFlowTests.withRecords { portal, rows in
            let client = portal.client(portal.certificates)
            defer { client.close() }
            let mine = rows.filter { $0.status == "pending" && $0.bookerId == "BKR-2" && $0.organisationId == "ORG-A" }
            try #require(mine.count >= 4)
            let shared = mine[0], unshared = mine[1], twice = mine[2], none = mine[3]
            let other = try #require(rows.first { $0.status == "pending" && $0.organisationId != shared.organisationId && $0.bookerId != "BKR-2" })
            for (record, share) in [(shared, true), (unshared, false), (twice, true), (other, true)] {
                var issue = Certportal_Certificates_V1_IssueRequest()
                issue.recordId = record.recordId
                issue.share = share
                _ = try await client.unary(Certificates.issue, issue, options: Portal.options("admin"))
            }
            _ = try await CertificateFlowTests.upload(client, twice.recordId, try await CertificateFlowTests.png(size: 50))
            let ids = [shared, unshared, twice, other, none].map(\.recordId) + [999_999]

            // The admin: every certificate, the current version of each; nothing for the record without one or the missing id.
            let admin = try await Self.bundle(client, ids, as: "admin")
            #expect(admin.map(\.record.recordId) == ids)
            #expect(admin.map { $0.record.certificate != nil } == [true, true, true, true, false, false])
            #expect(admin.map(\.files.count) == [1, 1, 1, 1, 0, 0])
            for part in admin where !part.files.isEmpty {
                let expected = try await CertificateFlowTests.download(client, part.record.recordId)
                #expect(part.files[0].header == expected.header && part.files[0].bytes == expected.bytes, "\(part.record.recordId)")
                #expect(part.record.certificate?.verificationCode.isEmpty == false)
            }
            #expect(admin[2].files[0].header.version == 2 && admin[2].files[0].bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            // Every version when asked, each as Download gives that version.
            let versions = try await Self.bundle(client, [twice.recordId], allVersions: true, as: "admin")
            #expect(versions.first?.files.map(\.header.version) == [1, 2])
            for file in versions.first?.files ?? [] {
                #expect(file.bytes == (try await CertificateFlowTests.download(client, twice.recordId, version: file.header.version)).bytes)
            }

            // The booker: only their shared certificates, the current version even when all are asked for,
            // as GetCertificate shows them; the unshared one and another booker's as if they did not exist.
            let booker = try await Self.bundle(client, ids, allVersions: true, as: "booker:BKR-2")
            #expect(booker.map(\.record.recordId) == ids)
            #expect(booker.map { $0.record.certificate != nil } == [true, false, true, false, false, false])
            #expect(booker.map(\.files.count) == [1, 0, 1, 0, 0, 0])
            #expect(booker[2].files.first?.header.version == 2 && booker[2].record.certificate?.versions.count == 1)
            #expect(booker.allSatisfy { $0.record.certificate?.verificationCode.isEmpty ?? true })
            for part in booker where !part.files.isEmpty {
                #expect(part.files[0].bytes == (try await CertificateFlowTests.download(client, part.record.recordId, as: "booker:BKR-2")).bytes)
            }
            let rep = try await Self.bundle(client, ids, as: "orgrep:ORG-A")
            #expect(rep.map(\.files.count) == [1, 0, 1, 0, 0, 0])

            // Each file sent is audited as a download, for whoever got it (the Download calls above too).
            // shared: the admin's bundle and download, the booker's bundle and download, the org rep's bundle.
            #expect(try await Self.downloads(client, shared.recordId) == 5)
            #expect(try await Self.downloads(client, unshared.recordId) == 2)
            // twice: as shared, and both versions bundled and downloaded by the admin.
            #expect(try await Self.downloads(client, twice.recordId) == 5 + 2 + 2)

            // Too many at once, or no caller: refused, and nothing is audited.
            await expectRPCError(.invalidArgument, "record_ids") {
                _ = try await Self.bundle(client, Array(repeating: shared.recordId, count: 1001), as: "admin")
            }
            await expectRPCError(.permissionDenied) {
                _ = try await client.serverStreaming(Certificates.bundle, Certportal_Certificates_V1_BundleRequest(), options: CallOptions()) { stream in
                    for try await _ in stream {}
                }
            }
            #expect(try await Self.downloads(client, shared.recordId) == 5)
        }
    }
}
