internal import RPC
internal import Messages
internal import Foundation

/// `certportal up --demo`'s certificates: most finished, passed demo records get an issued
/// certificate (their expiry follows the course's rule, so older ones come out Expired or
/// Rebooked, recent ones Certified or Expiring), half of those shared; one in five stays
/// Pending. Deterministic by record id, and only records still without a certificate are
/// issued, so a re-run changes nothing.
enum DemoCertificates {
    typealias Stats = Certportal_Stats_V1_Stats
    typealias Certificates = Certportal_Certificates_V1_Certificates

    static func issue(stats: (host: String, port: Int), certificates: (host: String, port: Int), meshToken: String,
                      catalogSeq: UInt64) async throws {
        let statsClient = client(stats, meshToken)
        let certificatesClient = client(certificates, meshToken)
        defer {
            statsClient.close()
            certificatesClient.close()
        }
        var options = CallOptions(timeout: .seconds(300))
        options.metadata[MetadataKey.principal] = "admin"
        options.metadata[MetadataKey.actor] = "demo"

        // Every Pending record of the demo set, once the read model holds the import.
        var pending: [UInt64] = []
        var request = Certportal_Stats_V1_ListRecordsRequest()
        var filter = Certportal_Stats_V1_RecordFilter()
        filter.status = "pending"
        filter.minCatalogSeq = catalogSeq
        request.filter = filter
        request.pageSize = 1000
        request.sort = "booking_id"
        while true {
            let page = try await statsClient.unary(Stats.listRecords, request, options: options)
            pending += page.records.map(\.recordId)
            if page.nextCursor.isEmpty { break }
            request.cursor = page.nextCursor
        }
        let chosen = pending.filter { $0 % 5 != 0 }
        guard !chosen.isEmpty else { return }
        UpCommand.say("demo: issuing \(chosen.count) certificates…")
        var issued = 0
        for share in [true, false] {
            var batch = Certportal_Certificates_V1_IssueBatchRequest()
            batch.recordIds = chosen.filter { ($0 % 2 == 0) == share }
            batch.share = share
            guard !batch.recordIds.isEmpty else { continue }
            issued += try await certificatesClient.serverStreaming(Certificates.issueBatch, batch, options: options) { stream in
                var count = 0
                for try await progress in stream where progress.issued { count += 1 }
                return count
            }
        }
        UpCommand.say("demo: \(issued) certificates issued (\(chosen.filter { $0 % 2 == 0 }.count) shared with bookers and org reps)")
    }

    static func client(_ address: (host: String, port: Int), _ meshToken: String) -> RPCClient {
        var configuration = RPCClientConfiguration(host: address.host, port: address.port)
        configuration.meshToken = meshToken
        configuration.defaultTimeout = .seconds(300)
        return RPCClient(configuration: configuration)
    }
}
