internal import HTTPServer
internal import RPC
internal import Messages
internal import Foundation

/// The e-mail endpoints (admins only): certificates sent through export-service's outbox,
/// the outbox itself, the e-mail templates and the expiry reminders. export-service keeps
/// every message and checks the caller's principal again; recipients come from the records.
extension API {
    typealias Mail = Certportal_Export_V1_Mail

    /// Who a certificate goes to (mail.proto's `to`).
    static let emailRecipients = ["booker", "delegate", "both"]
    /// An outbox message's states (mail.proto's `OutboxMessage.state`).
    static let outboxStates = ["queued", "sending", "sent", "failed", "cancelled"]

    static let messageID = Parameter(name: "id", place: .path, description: "the message id", schema: ["type": "integer"])
    static let emailTemplateName = Parameter(name: "name", place: .path, description: "the e-mail template's name",
                                             schema: ["type": "string", "enum": ["certificate", "reminder"]])

    static let emailRoutes: [Route] = [
        Route(method: "POST", path: "/api/emails", access: .admin, summary: "Send the certificates of records by e-mail",
              requestBody: ["type": "object", "required": ["record_ids", "to"], "properties": [
                  "record_ids": recordIDs, "to": ["type": "string", "enum": .array(emailRecipients.map(JSON.string))],
                  "template": ["type": "string", "description": "an e-mail template's name; absent: certificate"],
                  "request_key": ["type": "string", "description": "the caller's key (e.g. a UUID): the same key again answers the messages queued the first time"],
              ]],
              success: (200, ref("EmailsQueued")), errors: [400, 413, 415]) { gateway, call in
            let body = try call.jsonBody()
            var request = Certportal_Export_V1_SendCertificatesRequest()
            request.recordIds = try recordIDList(body)
            guard let to = body["to"]?.stringValue, emailRecipients.contains(to) else {
                throw APIError.invalid("to", "required: booker, delegate or both")
            }
            request.to = to
            request.template = try text(body, "template", limit: 100) ?? ""
            request.requestKey = try text(body, "request_key", limit: 100) ?? ""
            let sent = try await gateway.mail(Mail.sendCertificates, request, call)
            return Gateway.json(["messages": .array(sent.messages.map(EmailJSON.message)),
                                 "skipped": .array(sent.skipped.map { ["record_id": .integer($0.recordId), "reason": .string($0.reason)] })])
        },
        Route(method: "GET", path: "/api/emails", access: .admin, summary: "List the outbox, newest first",
              parameters: [
                  Parameter(name: "state", place: .query, description: "one state; absent: all",
                            schema: ["type": "string", "enum": .array(outboxStates.map(JSON.string))]),
                  Parameter(name: "record_id", place: .query, description: "only this record's messages", schema: ["type": "integer", "minimum": 1]),
                  Parameter(name: "ids", place: .query, description: "only these messages: ids, comma-separated (at most 500)"),
                  Parameter(name: "before_id", place: .query, description: "next_before_id of the previous page", schema: ["type": "integer", "minimum": 1]),
                  Parameter(name: "page_size", place: .query, description: "messages per page (1–500, default 50)", schema: ["type": "integer", "minimum": 1, "maximum": 500]),
              ],
              success: (200, ref("Outbox")), errors: [400]) { gateway, call in
            try rejectUnknownArguments(call)
            var request = Certportal_Export_V1_ListOutboxRequest()
            if let state = call.request.argument("state"), !state.isEmpty {
                guard outboxStates.contains(state) else {
                    throw APIError.invalid("state", "must be one of \(outboxStates.joined(separator: ", ")); found \"\(state.prefix(40))\"")
                }
                request.state = state
            }
            request.recordId = UInt64(try integer(call, "record_id", in: 1...Int(Int64.max)) ?? 0)
            request.ids = try idList(call, "ids", limit: 500)
            request.beforeId = UInt64(try integer(call, "before_id", in: 1...Int(Int64.max)) ?? 0)
            request.pageSize = UInt32(try integer(call, "page_size", in: 1...500) ?? 50)
            let page = try await gateway.mail(Mail.listOutbox, request, call)
            return Gateway.json(["messages": .array(page.messages.map(EmailJSON.message)),
                                 "next_before_id": page.nextBeforeId == 0 ? .null : .integer(page.nextBeforeId),
                                 "counts": EmailJSON.counts(page.counts ?? .init())])
        },
        Route(method: "POST", path: "/api/emails/{id}/retry", access: .admin, summary: "Try an e-mail again now (queued or failed)",
              parameters: [messageID], success: (200, ref("OutboxMessage")), errors: [400, 404]) { gateway, call in
            var request = Certportal_Export_V1_OutboxMessageRequest()
            request.id = try call.id()
            return Gateway.json(EmailJSON.message(try await gateway.mail(Mail.retryMessage, request, call)))
        },
        Route(method: "POST", path: "/api/emails/{id}/cancel", access: .admin, summary: "Cancel an e-mail not yet sent (queued or failed)",
              parameters: [messageID], success: (200, ref("OutboxMessage")), errors: [400, 404]) { gateway, call in
            var request = Certportal_Export_V1_OutboxMessageRequest()
            request.id = try call.id()
            return Gateway.json(EmailJSON.message(try await gateway.mail(Mail.cancelMessage, request, call)))
        },
        Route(method: "GET", path: "/api/email-templates", access: .admin, summary: "List the e-mail templates",
              success: (200, ref("EmailTemplates"))) { gateway, call in
            let list = try await gateway.mail(Mail.listEmailTemplates, Certportal_Export_V1_ListEmailTemplatesRequest(), call)
            return Gateway.json(["templates": .array(list.templates.map(EmailJSON.template))])
        },
        Route(method: "PUT", path: "/api/email-templates/{name}", access: .admin, summary: "Save an e-mail template",
              parameters: [emailTemplateName],
              requestBody: ["type": "object", "required": ["subject", "body"],
                            "properties": ["subject": OpenAPI.string, "body": OpenAPI.string, "revision": OpenAPI.integer]],
              success: (200, ref("EmailTemplate")), errors: [400, 404, 413, 415]) { gateway, call in
            var request = Certportal_Export_V1_PutEmailTemplateRequest()
            request.template = try EmailJSON.template(from: try call.jsonBody(), name: try emailTemplateIdentifier(call), requireText: true)
            return Gateway.json(EmailJSON.template(try await gateway.mail(Mail.putEmailTemplate, request, call)))
        },
        Route(method: "POST", path: "/api/email-templates/{name}/preview", access: .admin,
              summary: "Fill in an e-mail template for a record (nothing is sent)",
              parameters: [emailTemplateName],
              requestBody: ["type": "object", "properties": ["subject": OpenAPI.string, "body": OpenAPI.string,
                                                             "record_id": ["type": "integer", "minimum": 0, "description": "absent or 0: a sample"]]],
              success: (200, ref("EmailPreview")), errors: [400, 404, 413, 415]) { gateway, call in
            let body = try call.jsonBody()
            var request = Certportal_Export_V1_PreviewEmailRequest()
            request.template = try EmailJSON.template(from: body, name: try emailTemplateIdentifier(call), requireText: false)
            request.recordId = try number(body, "record_id", in: 0...Int(Int64.max)).map(UInt64.init) ?? 0
            let preview = try await gateway.mail(Mail.previewEmail, request, call)
            return Gateway.json(["subject": .string(preview.subject), "body": .string(preview.body)])
        },
        Route(method: "POST", path: "/api/reminders/run", access: .admin, summary: "Send the expiry reminders now",
              requestBody: ["type": "object", "properties": ["today": ["type": "string", "format": "date", "description": "absent: today in the provider's time zone"]]],
              success: (200, ref("RemindersReport")), errors: [400, 413, 415]) { gateway, call in
            var request = Certportal_Export_V1_RunRemindersRequest()
            request.today = try text(try call.jsonBody(), "today", limit: 10) ?? ""
            let report = try await gateway.mail(Mail.runReminders, request, call)
            return Gateway.json(["today": .string(report.today), "digests": .integer(report.digests),
                                 "certificates": .integer(report.certificates), "already_sent": .integer(report.alreadySent),
                                 "no_address": .integer(report.noAddress)])
        },
    ]

    /// A string member of at most `limit` characters; nil when absent.
    static func text(_ body: JSON, _ name: String, limit: Int) throws(APIError) -> String? {
        switch body[name] {
        case nil, .null?: return nil
        case .string(let value)? where value.count <= limit: return value
        case .string?: throw APIError.invalid(name, "at most \(limit) characters")
        default: throw APIError.invalid(name, "must be a string")
        }
    }

    /// Positive ids, comma-separated, at most `limit`; empty when the argument is absent.
    static func idList(_ call: Call, _ name: String, limit: Int) throws(APIError) -> [UInt64] {
        guard let text = call.request.argument(name), !text.isEmpty else { return [] }
        var ids: [UInt64] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let id = UInt64(part.trimmingCharacters(in: .whitespaces)), id > 0 else {
                throw APIError.invalid(name, "must be ids separated by commas; found \"\(part.prefix(40))\"")
            }
            ids.append(id)
        }
        guard ids.count <= limit else { throw APIError.invalid(name, "at most \(limit) ids") }
        return ids
    }

    static func emailTemplateIdentifier(_ call: Call) throws(APIError) -> String {
        guard let name = call.pathParameters["name"], !name.isEmpty, name.utf8.count <= 100 else {
            throw APIError.invalid("name", "must be an e-mail template's name")
        }
        return name
    }
}

/// The API's shape of the outbox and the e-mail templates: mail.proto's fields in
/// snake_case, instants as RFC 3339 (`created_at`), zero ids and instants as null.
enum EmailJSON {
    static func message(_ message: Certportal_Export_V1_OutboxMessage) -> JSON {
        let instant = { (milliseconds: Int64) -> JSON in milliseconds == 0 ? .null : .string(CertificateJSON.timestamp(milliseconds)) }
        return ["id": .integer(message.id), "kind": .string(message.kind),
                "record_id": message.recordId == 0 ? .null : .integer(message.recordId),
                "version": message.version == 0 ? .null : .integer(message.version),
                "recipients": .array(message.recipients.map(JSON.string)), "subject": .string(message.subject),
                "state": .string(message.state), "attempts": .integer(message.attempts), "last_error": .text(message.lastError),
                "created_at": instant(message.createdAtMs), "next_attempt_at": instant(message.nextAttemptAtMs),
                "sent_at": instant(message.sentAtMs), "requested_by": .text(message.requestedBy),
                "server_reply": .text(message.serverReply), "message_id": .text(message.messageId)]
    }

    static func counts(_ counts: Certportal_Export_V1_OutboxCounts) -> JSON {
        ["queued": .integer(counts.queued), "sending": .integer(counts.sending), "sent": .integer(counts.sent),
         "failed": .integer(counts.failed), "cancelled": .integer(counts.cancelled)]
    }

    static func template(_ template: Certportal_Export_V1_EmailTemplate) -> JSON {
        ["name": .string(template.name), "subject": .string(template.subject), "body": .string(template.body),
         "revision": .integer(template.revision),
         "updated_at": template.updatedAtMs == 0 ? .null : .string(CertificateJSON.timestamp(template.updatedAtMs)),
         "updated_by": .text(template.updatedBy), "placeholders": .array(template.placeholders.map(JSON.string))]
    }

    /// An EmailTemplate from a request body; `requireText`: subject and body must be there
    /// (a save), else absent ones are empty (a preview of what is typed so far).
    static func template(from body: JSON, name: String, requireText: Bool) throws(APIError) -> Certportal_Export_V1_EmailTemplate {
        var template = Certportal_Export_V1_EmailTemplate()
        template.name = name
        func text(_ member: String, limit: Int) throws(APIError) -> String {
            guard let value = try API.text(body, member, limit: limit) else {
                if requireText { throw APIError.invalid(member, "required") }
                return ""
            }
            return value
        }
        template.subject = try text("subject", limit: 998)
        template.body = try text("body", limit: 100_000)
        template.revision = UInt32(try API.number(body, "revision", in: 0...Int(UInt32.max)) ?? 0)
        return template
    }
}

extension Gateway {
    /// One call to export-service's Mail service on behalf of `call`'s user.
    func mail<Request: ProtoMessage, Response: ProtoMessage>(_ method: MethodDescriptor<Request, Response>, _ request: Request, _ call: Call) async throws -> Response {
        guard let exports else {
            throw APIError(503, "unavailable", "export-service is not configured for this portal (gateway --exports HOST:PORT)")
        }
        return try await calling("export-service") {
            try await exports.unary(method, request, options: options(call))
        }
    }
}
