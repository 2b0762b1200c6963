public import RPC
internal import Messages

/// `certportal.stats.v1.Stats`: every query is scoped to the call's principal.
public struct StatsService: RPCService {
    typealias Service = Certportal_Stats_V1_Stats

    let queries: StatsQueries

    public init(queries: StatsQueries) {
        self.queries = queries
    }

    public func register(into router: inout RPCRouter) {
        router.unary(Service.listRecords.encodedResponse) { request, context in
            try await queries.encodedPage(request, for: context.requirePrincipal())
        }
        router.unary(Service.summary) { request, context in
            try await queries.summary(request, for: context.requirePrincipal())
        }
        router.unary(Service.getRecord) { request, context in
            try await queries.record(request, for: context.requirePrincipal())
        }
        router.unary(Service.matrix) { request, context in
            try await queries.matrix(request, for: context.requirePrincipal())
        }
        router.unary(Service.forecast) { request, context in
            try await queries.forecast(request, for: context.requirePrincipal())
        }
        router.unary(Service.facets) { _, context in
            try await queries.facets(for: context.requirePrincipal())
        }
        router.unary(Service.position) { _, _ in
            var response = Certportal_Stats_V1_PositionResponse()
            response.catalogSeq = queries.model.catalogApplied.head
            response.certificateSeq = queries.model.certificatesApplied.head
            response.records = UInt64(try await queries.model.pool.read { db in try db.scalar("SELECT count(*) FROM records")?.int64 ?? 0 })
            response.today = queries.clock.today.description
            return response
        }
    }
}
