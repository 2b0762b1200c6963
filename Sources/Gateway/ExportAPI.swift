internal import HTTPServer
internal import RPC
internal import Messages
internal import Foundation

/// The export endpoints: the records report and the matrix as CSV, certificates as one
/// ZIP, each streamed from export-service into the response as it is made (a link the
/// browser downloads to disk, however large). Scope is export-service's and its services'
/// to check, with the caller's principal: a booker's ZIP holds their shared certificates.
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
    ]
}

extension Gateway {
    /// export-service's chunks (a header, then the file's bytes with progress between)
    /// straight into the response. Errors before the first byte (a bad filter, a service
    /// down) are ordinary error answers; a break later ends the download early.
    func streamExport<Request>(_ method: MethodDescriptor<Request, Certportal_Export_V1_ExportChunk>, _ request: Request,
                               _ call: Call) async throws -> HTTPResponse {
        guard let exports else {
            throw APIError(503, "unavailable", "export-service is not configured for this portal (gateway --exports HOST:PORT)")
        }
        let (first, stream) = try await openStream(method, request, options: streamOptions(call), service: "export-service", client: exports)
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
