public import RPC
public import Records
internal import Messages
internal import Foundation

/// `certportal.export.v1.Mail`: certificates by e-mail through the outbox, the outbox as
/// admins see it, the e-mail templates, and the expiry reminders. Admins only.
public struct MailService: RPCService {
    typealias Service = Certportal_Export_V1_Mail

    let store: ExportStore
    let outbox: MailOutbox
    let reminders: ExpiryReminders
    let clock: StatusClock

    /// The most records one SendCertificates may name.
    static let maxRecords = 1000

    public init(stats: RPCClient, certificates: RPCClient, store: ExportStore, settings: MailSettings, clock: StatusClock) {
        self.store = store
        outbox = MailOutbox(store: store, stats: stats, certificates: certificates, settings: settings)
        reminders = ExpiryReminders(store: store, stats: stats, settings: settings, clock: clock, outbox: outbox)
        self.clock = clock
    }

    /// The outbox's delivery and the daily reminders; runs until cancelled.
    public func runBackgroundWork() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await outbox.run() }
            group.addTask { await reminders.runDaily() }
        }
    }

    var domain: String { outbox.settings.domain }

    public func register(into router: inout RPCRouter) {
        router.unary(Service.sendCertificates) { request, context in
            let actor = try requireAdmin(context)
            return try await send(request, actor: actor)
        }
        router.unary(Service.listOutbox) { request, context in
            _ = try requireAdmin(context)
            let limit = request.pageSize == 0 ? 50 : Int(request.pageSize)
            guard limit <= 500 else { throw RPCError(.invalidArgument, "page_size: at most 500") }
            guard request.state.isEmpty || ["queued", "sending", "sent", "failed", "cancelled"].contains(request.state) else {
                throw RPCError(.invalidArgument, "state: \"\(request.state.prefix(32))\" is not one of queued, sending, sent, failed, cancelled")
            }
            guard request.ids.count <= 500 else { throw RPCError(.invalidArgument, "ids: at most 500") }
            let (rows, counts) = try await store.outboxPage(state: request.state, ids: request.ids.map { Int64(clamping: $0) },
                                                            recordID: request.recordId, beforeID: Int64(clamping: request.beforeId), limit: limit)
            var page = Certportal_Export_V1_OutboxPage()
            page.messages = rows.map { $0.message(domain: domain) }
            page.nextBeforeId = rows.count == limit ? UInt64(rows.last?.id ?? 0) : 0
            var total = Certportal_Export_V1_OutboxCounts()
            total.queued = counts["queued"] ?? 0
            total.sending = counts["sending"] ?? 0
            total.sent = counts["sent"] ?? 0
            total.failed = counts["failed"] ?? 0
            total.cancelled = counts["cancelled"] ?? 0
            page.counts = total
            return page
        }
        router.unary(Service.retryMessage) { request, context in
            _ = try requireAdmin(context)
            let row = try await changeable(store.retry(Int64(clamping: request.id)), request.id, "tried again")
            outbox.doorbell.ring()
            return row.message(domain: domain)
        }
        router.unary(Service.cancelMessage) { request, context in
            _ = try requireAdmin(context)
            return try await changeable(store.cancel(Int64(clamping: request.id)), request.id, "cancelled").message(domain: domain)
        }
        router.unary(Service.listEmailTemplates) { _, context in
            _ = try requireAdmin(context)
            var list = Certportal_Export_V1_EmailTemplateList()
            list.templates = try await store.queue.read { db in try EmailTemplateName.allCases.map { try EmailTemplates.get($0, db) } }
            return list
        }
        router.unary(Service.putEmailTemplate) { request, context in
            let actor = try requireAdmin(context)
            let template = request.template ?? .init()
            _ = try EmailTemplates.check(template)
            return try await store.queue.write { db in try EmailTemplates.put(template, by: actor, db) }
        }
        router.unary(Service.previewEmail) { request, context in
            _ = try requireAdmin(context)
            return try await preview(request)
        }
        router.unary(Service.runReminders) { request, context in
            _ = try requireAdmin(context)
            var today = clock.today
            if !request.today.isEmpty {
                guard let given = CalendarDate(iso: request.today) else {
                    throw RPCError(.invalidArgument, "today: \"\(request.today.prefix(32))\" is not an ISO date (yyyy-mm-dd)")
                }
                today = given
            }
            return try await reminders.run(today: today)
        }
    }

    /// The caller's name for the records it keeps (who asked), or PERMISSION_DENIED.
    func requireAdmin(_ context: ServerContext) throws(RPCError) -> String {
        guard try context.requirePrincipal() == .admin else {
            throw RPCError(.permissionDenied, "only a provider admin may \(context.method.split(separator: "/").last.map(String.init) ?? "do this")")
        }
        if let email = context.requestMetadata[MetadataKey.actor], !email.isEmpty, email.utf8.count <= 254 { return email }
        return "admin"
    }

    /// The message after a retry or cancel; NOT_FOUND or FAILED_PRECONDITION (naming its state) when it could not be.
    func changeable(_ result: (row: OutboxRow, changed: Bool)?, _ id: UInt64, _ verb: String) throws(RPCError) -> OutboxRow {
        guard let (row, changed) = result else { throw RPCError(.notFound, "id: there is no message \(id) in the outbox") }
        guard changed else { throw RPCError(.failedPrecondition, "id: message \(id) is \(row.state); it cannot be \(verb)") }
        return row
    }

    func send(_ request: Certportal_Export_V1_SendCertificatesRequest, actor: String) async throws -> Certportal_Export_V1_SendCertificatesResponse {
        let audience = try MailAudience.parse(request.to)
        let name = try EmailTemplates.name(request.template.isEmpty ? EmailTemplateName.certificate.rawValue : request.template, field: "template")
        guard name == .certificate else { throw RPCError(.invalidArgument, "template: \"\(name.rawValue)\" is not a template for certificates") }
        var seen = Set<UInt64>()
        let ids = request.recordIds.filter { seen.insert($0).inserted }
        guard !ids.isEmpty else { throw RPCError(.invalidArgument, "record_ids: name at least one record") }
        guard ids.count <= Self.maxRecords else { throw RPCError(.invalidArgument, "record_ids: at most \(Self.maxRecords) at a time; found \(ids.count)") }
        guard request.requestKey.utf8.count <= 128 else { throw RPCError(.invalidArgument, "request_key: at most 128 bytes") }
        let template = try await store.queue.read { db in try EmailTemplates.get(name, db) }
        var drafts: [OutboxDraft] = []
        var response = Certportal_Export_V1_SendCertificatesResponse()
        // A repeated request is answered from the outbox, even if a record changed since.
        let keys = ids.map { request.requestKey.isEmpty ? nil : "send:\(request.requestKey):\($0)" }
        let known = try await store.outboxRows(keys: keys.compactMap { $0 })
        for (id, key) in zip(ids, keys) {
            if let key, known[key] != nil {
                drafts.append(OutboxDraft(key: key, kind: "certificate", recipients: [], subject: "", body: "", requestedBy: actor))
                continue
            }
            switch try await outbox.mailer.draft(recordID: id, version: 0, audience: audience, template: template, requestedBy: actor,
                                                 key: key, waiting: outbox.waitingReason) {
            case .draft(let draft):
                drafts.append(draft)
            case .skipped(let reason):
                var skipped = Certportal_Export_V1_SkippedRecord()
                skipped.recordId = id
                skipped.reason = reason
                response.skipped.append(skipped)
            }
        }
        response.messages = try await store.enqueue(drafts).map { $0.message(domain: domain) }
        outbox.doorbell.ring()
        return response
    }

    func preview(_ request: Certportal_Export_V1_PreviewEmailRequest) async throws -> Certportal_Export_V1_EmailPreview {
        let template = request.template ?? .init()
        let name = try EmailTemplates.check(template)
        var values: [String: String]
        switch name {
        case .certificate:
            values = outbox.mailer.sampleValues()
            if request.recordId != 0 {
                switch try await outbox.mailer.draft(recordID: request.recordId, version: 0, audience: .both, template: template,
                                                     requestedBy: "", key: nil, waiting: "") {
                case .draft(let draft):
                    var preview = Certportal_Export_V1_EmailPreview()
                    preview.subject = draft.subject
                    preview.body = draft.body
                    return preview
                case .skipped(let reason):
                    throw RPCError(.failedPrecondition, "record_id: record \(request.recordId) gets no e-mail: \(reason)")
                }
            }
        case .reminder:
            values = reminders.sampleValues()
        }
        let (subject, body) = EmailTemplates.fill(template, values)
        var preview = Certportal_Export_V1_EmailPreview()
        preview.subject = subject
        preview.body = body
        return preview
    }
}
