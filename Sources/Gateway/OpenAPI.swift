internal import Records

/// `GET /api/openapi.json`: OpenAPI 3.1, generated from the route table (paths, methods,
/// parameters, who may call) and the schemas below, which mirror `RecordJSON`.
enum OpenAPI {
    static func document(routes: [Route]) -> JSON {
        var paths: [(String, JSON)] = []
        for path in uniquePaths(routes) {
            var operations: [(String, JSON)] = []
            for route in routes where route.path == path {
                operations.append((route.method.lowercased(), operation(route)))
            }
            paths.append((path, .object(operations)))
        }
        return ["openapi": "3.1.0",
                "info": ["title": "CertPortal API", "version": "1",
                         "description": "The certification portal's JSON API. Log in with POST /api/session (a cookie); send the session's csrf_token in X-CSRF-Token on every other state-changing request. Errors are {\"error\": {\"code\", \"message\", \"field\"}}."],
                "paths": .object(paths),
                "components": ["schemas": schemas,
                               "securitySchemes": ["session": ["type": "apiKey", "in": "cookie", "name": .string(SessionSealer.cookieName)]]]]
    }

    static func uniquePaths(_ routes: [Route]) -> [String] {
        var seen: Set<String> = []
        return routes.map(\.path).filter { seen.insert($0).inserted }
    }

    static func operation(_ route: Route) -> JSON {
        var members: [(String, JSON)] = [("summary", .string(route.summary)),
                                         ("operationId", .string(operationID(route)))]
        if !route.parameters.isEmpty {
            members.append(("parameters", .array(route.parameters.map { parameter in
                ["name": .string(parameter.name), "in": .string(parameter.place.rawValue), "required": .bool(parameter.place == .path),
                 "description": .string(parameter.description), "schema": parameter.schema]
            })))
        }
        if let body = route.requestBody {
            members.append(("requestBody", ["required": true, "content": .object([(route.requestMediaType, JSON.object([("schema", body)]))])]))
        }
        var responses: [(String, JSON)] = []
        if let schema = route.success.schema {
            responses.append((String(route.success.status), ["description": "success", "content": .object([(route.successMediaType, JSON.object([("schema", schema)]))])]))
        } else if route.successMediaType != "application/json" {
            responses.append((String(route.success.status), ["description": "success", "content": .object([(route.successMediaType, JSON.object([("schema", string)]))])]))
        } else {
            responses.append((String(route.success.status), ["description": "success"]))
        }
        var errors = route.errors
        if route.access != .anyone { errors += [401] }
        if route.access == .admin || route.changesState { errors += [403] }
        if route.path != "/api/openapi.json" { errors += [503] }
        for status in Set(errors).sorted() {
            responses.append((String(status), ["description": .string(errorDescription(status)),
                                               "content": ["application/json": ["schema": API.ref("Error")]]]))
        }
        members.append(("responses", .object(responses)))
        if route.access != .anyone { members.append(("security", [["session": []]])) }
        return .object(members)
    }

    static func operationID(_ route: Route) -> String {
        let words = route.summary.split(separator: " ").prefix(4).map { $0.filter { $0.isLetter } }
        return route.method.lowercased() + words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    static func errorDescription(_ status: Int) -> String {
        switch status {
        case 400: "a parameter or body field is wrong (field names it)"
        case 401: "not logged in, or the session expired"
        case 403: "the role may not do this, or the CSRF token is missing"
        case 404: "no such record (or certificate, template, code) in the caller's scope"
        case 413: "the request body is too large"
        case 415: "the body is not application/json"
        case 429: "too many attempts; see Retry-After"
        case 503: "a service the answer needs is not reachable"
        default: "error"
        }
    }

    static let string: JSON = ["type": "string"]
    static let nullableString: JSON = ["type": ["string", "null"]]
    static let integer: JSON = ["type": "integer"]
    static let nullableInteger: JSON = ["type": ["integer", "null"]]
    static let boolean: JSON = ["type": "boolean"]

    static func object(_ properties: [(String, JSON)]) -> JSON {
        ["type": "object", "required": .array(properties.map { .string($0.0) }), "properties": .object(properties)]
    }

    static var recordSchema: JSON {
        var properties: [(String, JSON)] = [("record_id", integer)]
        for column in RecordColumn.dataColumns {
            let schema: JSON = switch column {
            case .certificateUpdated, .outstanding, .shared: boolean
            case .startDate, .completionDate, .expiryDate, .certType, .passFail: nullableString
            default: string
            }
            properties.append((column.rawValue, schema))
        }
        properties += [("contact_id", string), ("contact_email", nullableString), ("organisation_id", string),
                       ("booker_id", string), ("booker_email", nullableString), ("course_id", string),
                       ("has_certificate", boolean), ("booking_url", nullableString)]
        return object(properties)
    }

    static var schemas: JSON {
        let summary = object(RecordStatus.allCases.map { ($0.rawValue, integer) })
        let facet = object([("id", string), ("name", string)])
        return [
            "Error": object([("error", object([("code", string), ("message", string), ("field", nullableString)]))]),
            "Record": recordSchema,
            "RecordPage": object([("summary", summary), ("total", integer),
                                  ("records", ["type": "array", "items": API.ref("Record")]), ("next_cursor", nullableString)]),
            "Session": object([("user", object([("email", string), ("role", ["type": "string", "enum": ["admin", "orgrep", "booker"]]),
                                                 ("organisation_id", nullableString), ("booker_id", nullableString)])),
                               ("csrf_token", string), ("expires_at", integer)]),
            "Config": object([("provider", object([("name", string), ("colour", string), ("logo_url", nullableString)])),
                              ("today", string), ("year_from", string), ("year_to", string),
                              ("columns", ["type": "array", "items": object([("key", string), ("title", string), ("sortable", boolean)])]),
                              ("statuses", ["type": "array", "items": object([("key", string), ("title", string), ("counted", boolean)])])]),
            "Health": object([("status", ["type": "string", "enum": ["ok", "degraded"]]),
                              ("services", ["type": "object", "additionalProperties": ["type": "string", "enum": ["serving", "unavailable"]]])]),
            "Facets": object([("courses", ["type": "array", "items": facet]), ("organisations", ["type": "array", "items": facet]),
                              ("bookers", ["type": "array", "items": facet])]),
            "Schedules": object([("schedules", ["type": "array", "items": object([("schedule_id", string), ("course_id", string), ("start", string), ("end", string)])])]),
            "Matrix": object([("courses", ["type": "array", "items": facet]),
                              ("rows", ["type": "array", "items": object([
                                  ("contact_id", string), ("contact_name", string), ("organisation", string),
                                  ("cells", ["type": "array", "items": object([("course_index", integer), ("status", string),
                                                                               ("expiry_date", nullableString), ("record_id", integer)])]),
                              ])]),
                              ("truncated", boolean)]),
            "Version": object([("number", integer), ("kind", ["type": "string", "enum": ["internal", "external"]]), ("media_type", string),
                               ("size", integer), ("expiry_date", nullableString),
                               ("state", ["type": "string", "enum": ["current", "superseded", "replaced", "revoked"]]),
                               ("created_at", string), ("created_by", string), ("file_name", string),
                               ("replaces", ["type": ["integer", "null"]]), ("revoked_reason", nullableString)]),
            "Certificate": object([("record_id", integer), ("certificate_number", string), ("verification_code", nullableString),
                                   ("verification_url", nullableString), ("shared", boolean), ("current_version", ["type": ["integer", "null"]]),
                                   ("versions", ["type": "array", "items": API.ref("Version")])]),
            "CertificateWrite": object([("certificate", API.ref("Certificate")), ("record", API.ref("Record")), ("email_request_id", nullableString)]),
            "IssueProgressLine": ["type": "object", "description": "one NDJSON line per record, then a last line with finished: true",
                                  "properties": ["record_id": integer, "issued": boolean, "problem": nullableString, "done": integer,
                                                 "total": integer, "certificate_number": nullableString, "finished": boolean,
                                                 "refused": integer]],
            "ShareBatch": object([("updated", integer), ("problems", ["type": "array", "items": object([("record_id", integer), ("message", string)])])]),
            "History": object([("certificate", API.ref("Certificate")),
                               ("audit", ["type": "array", "items": object([("at", string), ("actor", string), ("action", string),
                                                                             ("version", ["type": ["integer", "null"]]), ("detail", nullableString)])])]),
            "Template": object([("template_id", string), ("name", string), ("title", string), ("body", string), ("footer", string),
                                ("signatory", string), ("primary_colour", string), ("accent_colour", string),
                                ("orientation", ["type": "string", "enum": ["landscape", "portrait"]]), ("logo_png_base64", nullableString),
                                ("revision", integer), ("updated_at", nullableString), ("updated_by", nullableString)]),
            "Templates": object([("templates", ["type": "array", "items": API.ref("Template")]), ("placeholders", ["type": "array", "items": string])]),
            "Verification": object([("holder", string), ("course", string), ("completion_date", string), ("expiry_date", nullableString),
                                    ("state", ["type": "string", "enum": ["valid", "expired", "revoked"]]), ("certificate_number", string),
                                    ("provider", string)]),
            "Forecast": object([("months", ["type": "array", "items": object([("month", string), ("expiring", integer)])])]),
            "OutboxMessage": object([("id", integer), ("kind", ["type": "string", "enum": ["certificate", "reminder"]]),
                                     ("record_id", nullableInteger), ("version", nullableInteger), ("recipients", ["type": "array", "items": string]),
                                     ("subject", string), ("state", ["type": "string", "enum": .array(API.outboxStates.map(JSON.string))]),
                                     ("attempts", integer), ("last_error", nullableString), ("created_at", nullableString),
                                     ("next_attempt_at", nullableString), ("sent_at", nullableString), ("requested_by", nullableString),
                                     ("server_reply", nullableString), ("message_id", nullableString)]),
            "EmailsQueued": object([("messages", ["type": "array", "items": API.ref("OutboxMessage")]),
                                    ("skipped", ["type": "array", "items": object([("record_id", integer), ("reason", string)])])]),
            "Outbox": object([("messages", ["type": "array", "items": API.ref("OutboxMessage")]), ("next_before_id", nullableInteger),
                              ("counts", object(API.outboxStates.map { ($0, integer) }))]),
            "EmailTemplate": object([("name", string), ("subject", string), ("body", string), ("revision", integer),
                                     ("updated_at", nullableString), ("updated_by", nullableString), ("placeholders", ["type": "array", "items": string])]),
            "EmailTemplates": object([("templates", ["type": "array", "items": API.ref("EmailTemplate")])]),
            "EmailPreview": object([("subject", string), ("body", string)]),
            "RemindersReport": object([("today", string), ("digests", integer), ("certificates", integer), ("already_sent", integer),
                                       ("no_address", integer)]),
        ]
    }
}
