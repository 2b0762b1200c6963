internal import HTTPServer
internal import RPC
internal import Messages
internal import Records
internal import Foundation

/// The JSON API's endpoints. The OpenAPI document is generated from this table.
enum API {
    typealias Stats = Certportal_Stats_V1_Stats
    typealias Catalog = Certportal_Catalog_V1_Catalog

    static let filterParameters: [Parameter] = [
        Parameter(name: "from", place: .query, description: "first date, inclusive (YYYY-MM-DD)", schema: ["type": "string", "format": "date"]),
        Parameter(name: "to", place: .query, description: "last date, inclusive (YYYY-MM-DD)", schema: ["type": "string", "format": "date"]),
        Parameter(name: "date_field", place: .query, description: "which date from/to apply to", schema: ["type": "string", "enum": ["completion", "expiry"]]),
        Parameter(name: "course", place: .query, description: "a course id"),
        Parameter(name: "organisation", place: .query, description: "an organisation id"),
        Parameter(name: "booker", place: .query, description: "a booker id"),
        Parameter(name: "status", place: .query, description: "one status",
                  schema: ["type": "string", "enum": .array(RecordStatus.allCases.map { .string($0.rawValue) })]),
        Parameter(name: "q", place: .query, description: "free text: names, e-mails and ids"),
    ]

    static let routes: [Route] = [
        Route(method: "GET", path: "/api/openapi.json", access: .anyone, summary: "Describe this API (OpenAPI 3.1)",
              success: (200, ["type": "object"])) { gateway, _ in
            Gateway.json(OpenAPI.document(routes: gateway.routes))
        },
        Route(method: "GET", path: "/api/config", access: .anyone, summary: "Read the provider's branding, today and the table's columns",
              success: (200, ref("Config"))) { gateway, call in
            Gateway.json(RecordJSON.config(provider: gateway.provider, today: await gateway.today(call)))
        },
        Route(method: "GET", path: "/api/health", access: .anyone, summary: "Check the services the portal needs",
              success: (200, ref("Health"))) { gateway, call in
            Gateway.json(await gateway.health(call))
        },
        Route(method: "POST", path: "/api/session", access: .anyone, summary: "Log in",
              requestBody: ["type": "object", "required": ["email", "password"],
                            "properties": ["email": ["type": "string"], "password": ["type": "string"]]],
              success: (200, ref("Session")), errors: [400, 413, 415, 429]) { gateway, call in
            try await gateway.logIn(call)
        },
        Route(method: "GET", path: "/api/session", access: .user, summary: "Read the current session",
              success: (200, ref("Session"))) { _, call in
            Gateway.json(call.user.json)
        },
        Route(method: "DELETE", path: "/api/session", access: .user, summary: "Log out",
              success: (204, nil)) { gateway, call in
            HTTPResponse(status: 204, headers: [("Set-Cookie", gateway.sealer.clearCookie(secure: gateway.secure(call.request)))])
        },
        Route(method: "GET", path: "/api/records", access: .user, summary: "List records with the stats bar",
              parameters: filterParameters + [
                  Parameter(name: "sort", place: .query, description: "a column key, - first for descending",
                            schema: ["type": "string", "enum": .array(RecordColumn.dataColumns.flatMap { [.string($0.rawValue), .string("-" + $0.rawValue)] })]),
                  Parameter(name: "page_size", place: .query, description: "records per page (1–500, default 50)", schema: ["type": "integer", "minimum": 1, "maximum": 500]),
                  Parameter(name: "cursor", place: .query, description: "next_cursor of the previous page"),
              ],
              success: (200, ref("RecordPage")), errors: [400]) { gateway, call in
            var request = Certportal_Stats_V1_ListRecordsRequest()
            request.filter = try filter(call)
            request.sort = call.request.argument("sort") ?? ""
            request.cursor = call.request.argument("cursor") ?? ""
            request.pageSize = UInt32(try integer(call, "page_size", in: 1...gateway.configuration.maxPageSize) ?? 50)
            let page = try await gateway.calling("stats-service") {
                try await gateway.stats.unary(Stats.listRecords, request, options: gateway.options(call))
            }
            return Gateway.json(["summary": RecordJSON.summary(page.summary ?? .init()), "total": .integer(page.total),
                                 "records": .array(page.records.map(RecordJSON.record)), "next_cursor": .text(page.nextCursor)])
        },
        Route(method: "GET", path: "/api/records/{id}", access: .user, summary: "Read one record",
              parameters: [Parameter(name: "id", place: .path, description: "the record id", schema: ["type": "integer"])],
              success: (200, ref("Record")), errors: [400, 404]) { gateway, call in
            var request = Certportal_Stats_V1_GetRecordRequest()
            request.recordId = try call.id()
            let row = try await gateway.calling("stats-service") {
                try await gateway.stats.unary(Stats.getRecord, request, options: gateway.options(call))
            }
            return Gateway.json(RecordJSON.record(row))
        },
        Route(method: "GET", path: "/api/records/{id}/schedules", access: .admin, summary: "List the later schedules a record can be re-booked onto",
              parameters: [Parameter(name: "id", place: .path, description: "the record id", schema: ["type": "integer"])],
              success: (200, ref("Schedules")), errors: [400, 404]) { gateway, call in
            var request = Certportal_Catalog_V1_ListRebookSchedulesRequest()
            request.recordId = try call.id()
            let list = try await gateway.calling("catalog-service") {
                try await gateway.catalog.unary(Catalog.listRebookSchedules, request, options: gateway.options(call))
            }
            return Gateway.json(["schedules": .array(list.schedules.map { schedule in
                ["schedule_id": .string(schedule.scheduleId), "course_id": .string(schedule.courseId),
                 "start": .string(schedule.start), "end": .string(schedule.end)]
            })])
        },
        Route(method: "POST", path: "/api/records/{id}/rebook", access: .admin, summary: "Re-book a delegate onto a later schedule",
              parameters: [Parameter(name: "id", place: .path, description: "the record id", schema: ["type": "integer"])],
              requestBody: ["type": "object", "required": ["schedule_id"], "properties": ["schedule_id": ["type": "string"]]],
              success: (200, ["type": "object", "properties": ["record": ref("Record")]]), errors: [400, 404, 413, 415]) { gateway, call in
            try await gateway.rebook(call)
        },
        Route(method: "GET", path: "/api/facets", access: .user, summary: "List the courses, organisations and bookers in scope",
              success: (200, ref("Facets"))) { gateway, call in
            let facets = try await gateway.calling("stats-service") {
                try await gateway.stats.unary(Stats.facets, Certportal_Stats_V1_FacetsRequest(), options: gateway.options(call))
            }
            let list = { (items: [Certportal_Stats_V1_Facet]) -> JSON in
                .array(items.map { ["id": .string($0.id), "name": .string($0.name)] })
            }
            return Gateway.json(["courses": list(facets.courses), "organisations": list(facets.organisations), "bookers": list(facets.bookers)])
        },
        Route(method: "GET", path: "/api/matrix", access: .user, summary: "Read the training matrix (staff × courses)",
              parameters: [Parameter(name: "organisation", place: .query, description: "an organisation id")],
              success: (200, ref("Matrix")), errors: [400]) { gateway, call in
            var request = Certportal_Stats_V1_MatrixRequest()
            request.organisationId = call.request.argument("organisation") ?? ""
            let matrix = try await gateway.calling("stats-service") {
                try await gateway.stats.unary(Stats.matrix, request, options: gateway.options(call))
            }
            return Gateway.json([
                "courses": .array(matrix.courses.map { ["id": .string($0.courseId), "name": .string($0.courseName)] }),
                "rows": .array(matrix.rows.map { row in
                    ["contact_id": .string(row.contactId), "contact_name": .string(row.contactName),
                     "organisation": .string(row.organisationName),
                     "cells": .array(row.cells.map { cell in
                         ["course_index": .integer(cell.courseIndex), "status": .string(cell.status),
                          "expiry_date": .text(cell.expiryDate), "record_id": .integer(cell.recordId)]
                     })]
                }),
                "truncated": .bool(matrix.truncated),
            ])
        },
        Route(method: "GET", path: "/api/forecast", access: .user, summary: "Count expiries per month ahead",
              parameters: filterParameters + [Parameter(name: "months", place: .query, description: "months ahead, counting this one (1–60, default 12)", schema: ["type": "integer", "minimum": 1, "maximum": 60])],
              success: (200, ref("Forecast")), errors: [400]) { gateway, call in
            var request = Certportal_Stats_V1_ForecastRequest()
            request.filter = try filter(call)
            request.months = UInt32(try integer(call, "months", in: 1...60) ?? 12)
            let forecast = try await gateway.calling("stats-service") {
                try await gateway.stats.unary(Stats.forecast, request, options: gateway.options(call))
            }
            return Gateway.json(["months": .array(forecast.months.map { ["month": .string($0.month), "expiring": .integer($0.expiring)] })])
        },
    ]

    /// Every endpoint: these, the certificates' (CertificateAPI.swift), the exports' and the e-mails'.
    static let allRoutes = routes + certificateRoutes + exportRoutes + emailRoutes

    static func ref(_ name: String) -> JSON { ["$ref": .string("#/components/schemas/\(name)")] }

    /// The records filter from the query; stats-service checks the values and names the
    /// field at fault.
    static func filter(_ call: Call) throws(APIError) -> Certportal_Stats_V1_RecordFilter {
        try rejectUnknownArguments(call)
        let argument = { (name: String) in call.request.argument(name) ?? "" }
        var filter = Certportal_Stats_V1_RecordFilter()
        filter.from = argument("from")
        filter.to = argument("to")
        filter.dateField = argument("date_field")
        filter.courseId = argument("course")
        filter.organisationId = argument("organisation")
        filter.bookerId = argument("booker")
        filter.status = argument("status")
        filter.query = argument("q")
        return filter
    }

    /// A misspelt filter must not silently widen the answer: unknown arguments are refused.
    static func rejectUnknownArguments(_ call: Call) throws(APIError) {
        let method = call.request.method == "HEAD" ? "GET" : call.request.method
        guard let route = allRoutes.first(where: { $0.method == method && $0.match(call.request.path.split(separator: "/")) != nil }) else { return }
        let known = Set(route.parameters.filter { $0.place == .query }.map(\.name))
        if let unknown = call.request.query.first(where: { !known.contains($0.name) }) {
            throw APIError.invalid(String(unknown.name.prefix(40)), "unknown parameter; this endpoint takes \(known.sorted().joined(separator: ", "))")
        }
    }

    static func integer(_ call: Call, _ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let text = call.request.argument(name), !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.invalid(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound); found \"\(text.prefix(40))\"")
        }
        return value
    }
}

extension Gateway {
    var provider: JSON {
        ["name": .string(configuration.providerName), "colour": .string(configuration.providerColour),
         "logo_url": configuration.providerLogo == nil ? .null : "/branding/logo"]
    }

    /// Today as the status rules see it: pinned, else stats-service's, else the provider's zone's.
    func today(_ call: Call) async -> CalendarDate {
        if let today = configuration.today { return today }
        var options = options(call, principal: "admin")
        options.timeout = .seconds(2)
        if let position = try? await stats.unary(Certportal_Stats_V1_Stats.position, Certportal_Stats_V1_PositionRequest(), options: options),
           let today = CalendarDate(iso: position.today) {
            return today
        }
        return StatusClock().today
    }

    /// Each service's health check, in parallel, each within a second.
    func health(_ call: Call) async -> JSON {
        var services: [(String, RPCClient)] = [("catalog-service", catalog), ("stats-service", stats), ("cert-store", certificates)]
        if let exports { services.append(("export-service", exports)) }
        let states = await withTaskGroup(of: (String, Bool).self) { group in
            for (name, client) in services {
                group.addTask {
                    var options = CallOptions(timeout: .seconds(1))
                    options.metadata.add(MetadataKey.requestID, call.requestID)
                    let answer = try? await client.unary(Certportal_Health_V1_Health.check, Certportal_Health_V1_HealthCheckRequest(), options: options)
                    return (name, answer?.status == .serving)
                }
            }
            var states: [String: Bool] = [:]
            for await (name, serving) in group { states[name] = serving }
            return states
        }
        let allServing = states.values.allSatisfy { $0 }
        return ["status": allServing ? "ok" : "degraded",
                "services": .object(services.map { ($0.0, states[$0.0] == true ? "serving" : "unavailable") })]
    }

    func logIn(_ call: Call) async throws -> HTTPResponse {
        let body = try call.jsonBody()
        guard let email = body["email"]?.stringValue?.trimmingCharacters(in: .whitespaces), !email.isEmpty else {
            throw APIError.invalid("email", "required")
        }
        guard let password = body["password"]?.stringValue, !password.isEmpty else { throw APIError.invalid("password", "required") }
        guard email.utf8.count <= 254, password.utf8.count <= 1024 else { throw APIError.invalid("email", "too long") }
        let client = call.request.clientAddress
        if let wait = throttle.wait(for: client) {
            var response = Gateway.error(APIError(429, "resource_exhausted", "too many failed log-ins from this address; try again in \(wait) s"))
            response.addHeader("Retry-After", "\(wait)")
            return response
        }
        var request = Certportal_Catalog_V1_AuthenticateRequest()
        request.email = email
        request.password = password
        let account: Certportal_Catalog_V1_AccountResponse
        do {
            account = try await calling("catalog-service") {
                try await catalog.unary(Certportal_Catalog_V1_Catalog.authenticate, request, options: options(call, principal: "admin"))
            }
        } catch let error as APIError where error.status == 401 {
            throttle.failed(client)
            throw APIError(401, "unauthenticated", "wrong e-mail or password")
        }
        throttle.succeeded(client)
        let user = account.account ?? .init()
        let session = sealer.newSession(email: user.email, role: user.role,
                                        organisationID: user.organisationId, bookerID: user.bookerId,
                                        principal: account.principal)
        var response = Gateway.json(session.json)
        response.addHeader("Set-Cookie", sealer.setCookie(sealer.seal(session), secure: secure(call.request)))
        return response
    }

    func rebook(_ call: Call) async throws -> HTTPResponse {
        let body = try call.jsonBody()
        guard let schedule = body["schedule_id"]?.stringValue, !schedule.isEmpty else { throw APIError.invalid("schedule_id", "required") }
        var request = Certportal_Catalog_V1_RebookRequest()
        request.recordId = try call.id()
        request.scheduleId = schedule
        let rebooked = try await calling("catalog-service") {
            try await catalog.unary(Certportal_Catalog_V1_Catalog.rebook, request, options: options(call))
        }
        // Read-your-writes: the read model's row once it holds the new booking.
        var read = Certportal_Stats_V1_GetRecordRequest()
        read.recordId = rebooked.record?.recordId ?? 0
        read.minCatalogSeq = rebooked.seq
        let row = try await calling("stats-service") {
            try await stats.unary(Certportal_Stats_V1_Stats.getRecord, read, options: options(call))
        }
        return Gateway.json(["record": RecordJSON.record(row)])
    }
}
