internal import RPC
internal import Storage
internal import Messages

/// "Upload Cert & Send Email": cert-store keeps each request (in the upload's own
/// transaction) until export-service's outbox has taken it, so an acknowledged request is
/// never lost whichever process stops. export-service asks for the waiting ones, stores
/// them, then hands them over; asking again before that gives the same ones (the outbox
/// knows them by id, so nothing is sent twice).
extension CertStoreService {
    static let maxEmailRequests: UInt32 = 1000

    func registerEmailRequests(into router: inout RPCRouter) {
        router.unary(Service.pendingEmailRequests) { request, context in
            try requireAdmin(context)
            let limit = request.limit == 0 ? 100 : request.limit
            guard limit <= Self.maxEmailRequests else {
                throw RPCError(.invalidArgument, "limit: at most \(Self.maxEmailRequests)")
            }
            var list = Certportal_Certificates_V1_EmailRequestList()
            list.requests = try await store.pendingEmailRequests(limit: Int(limit))
            return list
        }
        router.unary(Service.handOverEmailRequests) { request, context in
            try requireAdmin(context)
            guard request.ids.count <= Int(Self.maxEmailRequests) else {
                throw RPCError(.invalidArgument, "ids: at most \(Self.maxEmailRequests) at a time")
            }
            var answer = Certportal_Certificates_V1_HandOverEmailRequestsResponse()
            answer.handedOver = UInt32(try await store.handOverEmailRequests(request.ids))
            return answer
        }
    }
}

extension CertificateStore {
    func pendingEmailRequests(limit: Int) async throws -> [Certportal_Certificates_V1_EmailRequest] {
        try await pool.read { db in
            try db.fetch("""
                SELECT id, record_id, version, recipients, requested_by, at_ms FROM email_requests
                WHERE state = 'pending' ORDER BY at_ms, id LIMIT ?
                """, [limit]) { row in
                var request = Certportal_Certificates_V1_EmailRequest()
                request.id = row.string(at: 0) ?? ""
                request.recordId = UInt64(row.int(at: 1) ?? 0)
                request.version = UInt32(clamping: row.int(at: 2) ?? 0)
                request.to = row.string(at: 3) ?? ""
                request.requestedBy = row.string(at: 4) ?? ""
                request.requestedAtMs = Int64(row.int(at: 5) ?? 0)
                return request
            }
        }
    }

    /// Marks the requests taken; how many of them were still waiting.
    func handOverEmailRequests(_ ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await pool.write { db in
            var changed = 0
            for id in ids {
                changed += try db.run("UPDATE email_requests SET state = 'handed_over' WHERE id = ? AND state = 'pending'", [id]).changes
            }
            return changed
        }
    }
}
