internal import HTTPServer
internal import RPC
internal import Messages
internal import Foundation

/// The export endpoints: the records report and the matrix as CSV, certificates as one
/// ZIP, each streamed from export-service into the response as it is made (a link the
/// browser downloads to disk, however large). Scope is export-service's and its services'
/// to check, with the caller's principal: a booker's ZIP holds their shared certificates.
/// A large ZIP runs as a job: started, watched, cancelled, and downloaded once done.
extension API {
    typealias Exports = Certportal_Export_V1_Exports

    static let exportRoutes: [Route] = [
        Route(method: "GET", path: "/api/exports/records.csv", access: .user, summary: "Download the records report as CSV",
              parameters: filterParameters + [Parameter(name: "sort", place: .query, description: "a column key, - first for descending")],
              success: (200, nil), errors: [400]) { gateway, call in
            var request = Certportal_Export_V1_CSVRequest()
            request.filter = try filter(call)
            request.sort = call.request.argument("sort") ?? ""
            return try await gateway.streamExport(Exports.recordsCSV, request, call)
        },
        Route(method: "GET", path: "/api/exports/matrix.csv", access: .user, summary: "Download the training matrix as CSV",
              parameters: [Parameter(name: "organisation", place: .query, description: "an organisation id")],
              success: (200, nil), errors: [400]) { gateway, call in
            try rejectUnknownArguments(call)
            var request = Certportal_Export_V1_MatrixCSVRequest()
            request.organisationId = call.request.argument("organisation") ?? ""
            return try await gateway.streamExport(Exports.matrixCSV, request, call)
        },
        Route(method: "GET", path: "/api/exports/certificates.zip", access: .user,
              summary: "Download certificates as one ZIP (the records named, or all that match the filter)",
              parameters: filterParameters + [
                  Parameter(name: "ids", place: .query, description: "record ids, comma-separated (at most 10,000); absent: every record the filter matches"),
                  Parameter(name: "all_versions", place: .query, description: "true: every version an admin may see, not only the current ones",
                            schema: ["type": "boolean"]),
              ],
              success: (200, nil), errors: [400]) { gateway, call in
            var request = Certportal_Export_V1_ZIPRequest()
            request.filter = try filter(call)
            if let ids = call.request.argument("ids"), !ids.isEmpty {
                var parsed: [UInt64] = []
                for part in ids.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let id = UInt64(part.trimmingCharacters(in: .whitespaces)), id > 0 else {
                        throw APIError.invalid("ids", "must be record ids separated by commas; found \"\(part.prefix(40))\"")
                    }
                    parsed.append(id)
                }
                guard parsed.count <= 10_000 else { throw APIError.invalid("ids", "at most 10,000 records in one ZIP") }
                request.recordIds = parsed
            }
            switch call.request.argument("all_versions") ?? "" {
            case "", "false": break
            case "true": request.allVersions = true
            case let other: throw APIError.invalid("all_versions", "must be true or false; found \"\(other.prefix(40))\"")
            }
            return try await gateway.streamExport(Exports.certificatesZIP, request, call)
        },
        Route(method: "POST", path: "/api/exports/jobs", access: .user,
              summary: "Start a ZIP of certificates as a job (the records named, or all that match the filter)",
              parameters: filterParameters,
              requestBody: ["type": "object", "properties": [
                  "record_ids": ["type": "array", "minItems": 1, "maxItems": 10_000, "items": ["type": "integer", "minimum": 1],
                                 "description": "absent: every record the filter matches"],
                  "all_versions": ["type": "boolean", "description": "every version an admin may see, not only the current ones"],
              ]],
              success: (202, exportJob), errors: [400, 413, 415]) { gateway, call in
            let body = try call.jsonBody()
            var request = Certportal_Export_V1_ZIPRequest()
            request.filter = try filter(call)
            if body["record_ids"] != nil { request.recordIds = try recordIDList(body, limit: 10_000) }
            request.allVersions = try flag(body, "all_versions") ?? false
            let job = try await gateway.exportJobCall { client in
                try await client.unary(Exports.startZIPJob, request, options: gateway.options(call))
            }
            return Gateway.json(jobJSON(job), status: 202)
        },
        Route(method: "GET", path: "/api/exports/jobs", access: .user, summary: "List my export jobs, newest first",
              success: (200, ["type": "object", "required": ["jobs"], "properties": ["jobs": ["type": "array", "items": exportJob]]]),
              errors: [400]) { gateway, call in
            try rejectUnknownArguments(call)
            let list = try await gateway.exportJobCall { client in
                try await client.unary(Exports.listJobs, Certportal_Export_V1_ListJobsRequest(), options: gateway.options(call))
            }
            return Gateway.json(["jobs": .array(list.jobs.map(jobJSON))])
        },
        Route(method: "GET", path: "/api/exports/jobs/{id}", access: .user, summary: "Read an export job's state and progress",
              parameters: [jobID], success: (200, exportJob), errors: [400, 404]) { gateway, call in
            let request = try jobRequest(call)
            let job = try await gateway.exportJobCall { client in
                try await client.unary(Exports.getJob, request, options: gateway.options(call))
            }
            return Gateway.json(jobJSON(job))
        },
        Route(method: "POST", path: "/api/exports/jobs/{id}/cancel", access: .user, summary: "Cancel a queued or running export job",
              parameters: [jobID], success: (200, exportJob), errors: [400, 404]) { gateway, call in
            let request = try jobRequest(call)
            let job = try await gateway.exportJobCall { client in
                try await client.unary(Exports.cancelJob, request, options: gateway.options(call))
            }
            return Gateway.json(jobJSON(job))
        },
        Route(method: "GET", path: "/api/exports/jobs/{id}/file", access: .user, summary: "Download a done export job's ZIP",
              parameters: [jobID], success: (200, ["type": "string", "format": "binary"]), successMediaType: "application/zip",
              errors: [400, 404]) { gateway, call in
            try await gateway.streamExport(Exports.downloadJob, try jobRequest(call), call)
        },
    ]

    static let jobID = Parameter(name: "id", place: .path, description: "the job id (32 hex digits)")

    static let exportJob: JSON = OpenAPI.object([
        ("job_id", OpenAPI.string), ("kind", OpenAPI.string),
        ("state", ["type": "string", "enum": ["queued", "running", "done", "failed", "cancelled", "expired"]]),
        ("files_done", OpenAPI.integer), ("files_total", OpenAPI.integer), ("bytes", OpenAPI.integer), ("skipped", OpenAPI.integer),
        ("file_name", OpenAPI.nullableString), ("error", OpenAPI.nullableString), ("created_at", OpenAPI.string),
        ("finished_at", OpenAPI.nullableString), ("expires_at", OpenAPI.nullableString), ("download_url", OpenAPI.nullableString),
    ])

    static func jobRequest(_ call: Call) throws(APIError) -> Certportal_Export_V1_JobRequest {
        try rejectUnknownArguments(call)
        var request = Certportal_Export_V1_JobRequest()
        request.jobId = call.pathParameters["id"] ?? ""
        return request
    }

    static func jobJSON(_ job: Certportal_Export_V1_Job) -> JSON {
        let time = { (milliseconds: Int64) -> JSON in milliseconds > 0 ? .string(CertificateJSON.timestamp(milliseconds)) : .null }
        return ["job_id": .string(job.jobId), "kind": .string(job.kind), "state": .string(job.state),
                "files_done": .integer(job.filesDone), "files_total": .integer(job.filesTotal), "bytes": .integer(job.bytes),
                "skipped": .integer(job.skipped), "file_name": .text(job.fileName), "error": .text(job.error),
                "created_at": time(job.createdAtMs), "finished_at": time(job.finishedAtMs), "expires_at": time(job.expiresAtMs),
                "download_url": job.state == "done" ? .string("/api/exports/jobs/\(job.jobId)/file") : .null]
    }
}

extension Gateway {
    func exportsClient() throws(APIError) -> RPCClient {
        guard let exports else {
            throw APIError(503, "unavailable", "export-service is not configured for this portal (gateway --exports HOST:PORT)")
        }
        return exports
    }

    /// A call to export-service's jobs, its errors named as export-service's.
    func exportJobCall<T: Sendable>(_ body: (RPCClient) async throws -> T) async throws -> T {
        let client = try exportsClient()
        return try await calling("export-service") { try await body(client) }
    }

    /// export-service's chunks (a header, then the file's bytes with progress between)
    /// straight into the response. Errors before the first byte (a bad filter, a service
    /// down) are ordinary error answers; a break later ends the download early.
    func streamExport<Request>(_ method: MethodDescriptor<Request, Certportal_Export_V1_ExportChunk>, _ request: Request,
                               _ call: Call) async throws -> HTTPResponse {
        let (first, stream) = try await openStream(method, request, options: streamOptions(call), service: "export-service",
                                                   client: try exportsClient())
        guard case .header(let header)? = first?.part else {
            stream.cancel()
            throw APIError(502, "internal", "export-service sent no file; the problem is logged")
        }
        let logger = self.logger, requestID = call.requestID
        let mediaType = header.mediaType.isEmpty ? "application/octet-stream" : header.mediaType
        return HTTPResponse(status: 200, headers: [("Content-Type", mediaType),
                                                   ("Content-Disposition", CertificateJSON.contentDisposition(fileName: header.fileName))],
                            stream: HTTPBodyStream(size: nil) { writer in try await Gateway.loggingBreaks(logger, requestID) {
            var ended = false
            defer { if !ended { stream.cancel() } }
            while let bytes = try await stream.nextMessage() {
                guard case .data(let data)? = try Certportal_Export_V1_ExportChunk(serializedBytes: bytes).part else { continue }
                try await writer.write(data)
            }
            ended = true
        } })
    }
}
