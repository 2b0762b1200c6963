public import RPC
internal import Messages

/// `certportal.catalog.v1.Catalog`: every call checks the caller's principal; a record
/// outside it is NOT_FOUND.
public struct CatalogService: RPCService {
    typealias Service = Certportal_Catalog_V1_Catalog

    let store: CatalogStore

    public init(store: CatalogStore) {
        self.store = store
    }

    public func register(into router: inout RPCRouter) {
        router.clientStreaming(Service.importRecords) { chunks, context in
            try context.requirePrincipal().requireAdmin("import records")
            return try await store.importRecords(chunks.map(\.data))
        }
        router.unary(Service.getRecord) { request, context in
            try await store.record(request.recordId, for: context.requirePrincipal())
        }
        router.unary(Service.recordResult) { request, context in
            var ack = Certportal_Catalog_V1_WriteAck()
            ack.seq = try await store.recordResult(request.recordId, result: request.result, by: context.requirePrincipal())
            return ack
        }
        router.unary(Service.listRebookSchedules) { request, context in
            var list = Certportal_Catalog_V1_ScheduleList()
            list.schedules = try await store.rebookSchedules(for: request.recordId, by: context.requirePrincipal())
            return list
        }
        router.unary(Service.rebook) { request, context in
            let (record, seq) = try await store.rebook(request.recordId, onto: request.scheduleId,
                                                       bookingID: request.bookingId, by: context.requirePrincipal())
            var response = Certportal_Catalog_V1_RebookResponse()
            response.record = record
            response.seq = seq
            return response
        }
        router.unary(Service.updateCourse) { request, context in
            try await store.updateCourse(request, by: context.requirePrincipal())
        }
        router.unary(Service.putAccount) { request, context in
            let account = try await store.putAccount(request.account ?? Account(), password: request.password,
                                                     by: context.requirePrincipal())
            return Self.response(account)
        }
        router.unary(Service.authenticate) { request, _ in
            // Called by the gateway before there is a principal; the mesh token guards it.
            Self.response(try await store.authenticate(email: request.email, password: request.password))
        }
        router.unary(Service.createInvitation) { request, context in
            try await store.createInvitation(email: request.email, by: context.requirePrincipal())
        }
        router.unary(Service.acceptInvitation) { request, _ in
            Self.response(try await store.acceptInvitation(token: request.token, password: request.password))
        }
    }

    static func response(_ account: Account) -> Certportal_Catalog_V1_AccountResponse {
        var response = Certportal_Catalog_V1_AccountResponse()
        response.account = account
        response.principal = account.principal?.description ?? ""
        return response
    }
}
