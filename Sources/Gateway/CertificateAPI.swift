internal import HTTPServer
internal import RPC
internal import Messages
internal import Foundation

/// The certificate endpoints (CERT-API.md): cert-store behind them, stats-service for the
/// record after each write (read-your-writes), files and batch progress streamed.
extension API {
    typealias Certificates = Certportal_Certificates_V1_Certificates

    static let recordID = Parameter(name: "id", place: .path, description: "the record id", schema: ["type": "integer"])
    static let templateID = Parameter(name: "id", place: .path, description: "the template id")
    static let verificationCode = Parameter(name: "code", place: .path, description: "the certificate's verification code")
    static let recordIDs: JSON = ["type": "array", "minItems": 1, "maxItems": 1000, "items": ["type": "integer", "minimum": 1]]

    static let certificateRoutes: [Route] = [
        Route(method: "GET", path: "/api/records/{id}/certificate", access: .user, summary: "Read a record's certificate and its versions",
              parameters: [recordID], success: (200, ref("Certificate")), errors: [400, 404]) { gateway, call in
            var request = Certportal_Certificates_V1_GetCertificateRequest()
            request.recordId = try call.id()
            let certificate = try await gateway.calling("cert-store") {
                try await gateway.certificates.unary(Certificates.getCertificate, request, options: gateway.options(call))
            }
            return Gateway.json(gateway.certificateJSON(certificate, call))
        },
        Route(method: "GET", path: "/api/records/{id}/certificate/file", access: .user, summary: "Download a certificate's file",
              parameters: [recordID, Parameter(name: "version", place: .query, description: "a version number (default: the current one)",
                                               schema: ["type": "integer", "minimum": 1])],
              success: (200, ["type": "string", "format": "binary"]), successMediaType: "application/octet-stream",
              errors: [400, 404]) { gateway, call in
            try rejectUnknownArguments(call)
            var request = Certportal_Certificates_V1_DownloadRequest()
            request.recordId = try call.id()
            request.version = UInt32(try integer(call, "version", in: 1...1_000_000) ?? 0)
            return try await gateway.streamFile(Certificates.download, request, call, disposition: "attachment")
        },
        Route(method: "POST", path: "/api/records/{id}/certificate/issue", access: .admin, summary: "Issue a record's certificate from its template",
              parameters: [recordID], requestBody: OpenAPI.object([("share", OpenAPI.boolean)]),
              success: (200, ref("CertificateWrite")), errors: [400, 404, 413, 415]) { gateway, call in
            let body = try call.jsonBody()
            var request = Certportal_Certificates_V1_IssueRequest()
            request.recordId = try call.id()
            request.share = try flag(body, "share") ?? false
            return try await gateway.written(call, recordID: request.recordId) {
                try await gateway.certificates.unary(Certificates.issue, request, options: gateway.options(call))
            }
        },
        Route(method: "POST", path: "/api/certificates/issue", access: .admin, summary: "Issue the certificates of many records",
              requestBody: OpenAPI.object([("record_ids", recordIDs), ("share", OpenAPI.boolean)]),
              success: (200, ref("IssueProgressLine")), successMediaType: "application/x-ndjson", errors: [400, 413, 415]) { gateway, call in
            try await gateway.issueBatch(call)
        },
        Route(method: "POST", path: "/api/records/{id}/certificate/upload", access: .admin, summary: "Upload a certificate file as a new or replacing version",
              parameters: [recordID,
                           Parameter(name: "expiry_date", place: .query, description: "YYYY-MM-DD; empty: the course's rule", schema: ["type": "string", "format": "date"]),
                           Parameter(name: "replace_version", place: .query, description: "the version this file replaces; absent or 0: a new version", schema: ["type": "integer", "minimum": 0]),
                           Parameter(name: "share", place: .query, description: "share it with the booker and org rep", schema: ["type": "boolean"]),
                           Parameter(name: "email_to", place: .query, description: "send it by e-mail", schema: ["type": "string", "enum": ["booker", "delegate", "both"]]),
                           Parameter(name: "file_name", place: .query, description: "the file's original name, for the audit")],
              requestBody: ["type": "string", "format": "binary", "description": "the file's bytes: a PDF, PNG or JPEG of up to 20 MB"],
              requestMediaType: "application/octet-stream",
              success: (200, ref("CertificateWrite")), errors: [400, 404, 413]) { gateway, call in
            try await gateway.upload(call)
        },
        Route(method: "POST", path: "/api/records/{id}/certificate/share", access: .admin, summary: "Share or unshare a record's certificate",
              parameters: [recordID], requestBody: OpenAPI.object([("shared", OpenAPI.boolean)]),
              success: (200, ref("CertificateWrite")), errors: [400, 404, 413, 415]) { gateway, call in
            let body = try call.jsonBody()
            var request = Certportal_Certificates_V1_ShareRequest()
            request.recordId = try call.id()
            guard let shared = try flag(body, "shared") else { throw APIError.invalid("shared", "required (true or false)") }
            request.shared = shared
            return try await gateway.written(call, recordID: request.recordId) {
                try await gateway.certificates.unary(Certificates.share, request, options: gateway.options(call))
            }
        },
        Route(method: "POST", path: "/api/certificates/share", access: .admin, summary: "Share or unshare the certificates of many records",
              requestBody: OpenAPI.object([("record_ids", recordIDs), ("shared", OpenAPI.boolean)]),
              success: (200, ref("ShareBatch")), errors: [400, 413, 415]) { gateway, call in
            try await gateway.shareBatch(call)
        },
        Route(method: "POST", path: "/api/records/{id}/certificate/revoke", access: .admin, summary: "Revoke a version of a record's certificate",
              parameters: [recordID], requestBody: ["type": "object", "required": ["reason"],
                                                    "properties": ["version": ["type": "integer", "minimum": 0], "reason": OpenAPI.string]],
              success: (200, ref("CertificateWrite")), errors: [400, 404, 413, 415]) { gateway, call in
            let body = try call.jsonBody()
            var request = Certportal_Certificates_V1_RevokeRequest()
            request.recordId = try call.id()
            request.version = UInt32(try number(body, "version", in: 0...1_000_000) ?? 0)
            switch body["reason"] {
            case .string(let reason)? where !reason.trimmingCharacters(in: .whitespaces).isEmpty: request.reason = reason
            default: throw APIError.invalid("reason", "required: why the certificate is revoked")
            }
            return try await gateway.written(call, recordID: request.recordId) {
                try await gateway.certificates.unary(Certificates.revoke, request, options: gateway.options(call))
            }
        },
        Route(method: "GET", path: "/api/records/{id}/certificate/history", access: .admin, summary: "Read a certificate's versions and audit",
              parameters: [recordID], success: (200, ref("History")), errors: [400, 404]) { gateway, call in
            var request = Certportal_Certificates_V1_HistoryRequest()
            request.recordId = try call.id()
            let history = try await gateway.calling("cert-store") {
                try await gateway.certificates.unary(Certificates.getHistory, request, options: gateway.options(call))
            }
            return Gateway.json(["certificate": gateway.certificateJSON(history.certificate ?? .init(), call),
                                 "audit": .array(history.audit.sorted { $0.atMs > $1.atMs }.map(CertificateJSON.audit))])
        },
        Route(method: "GET", path: "/api/templates", access: .admin, summary: "List the certificate templates",
              success: (200, ref("Templates"))) { gateway, call in
            let list = try await gateway.calling("cert-store") {
                try await gateway.certificates.unary(Certificates.listTemplates, Certportal_Certificates_V1_ListTemplatesRequest(), options: gateway.options(call))
            }
            return Gateway.json(["templates": .array(list.templates.map(CertificateJSON.template)),
                                 "placeholders": .array(list.placeholders.map(JSON.string))])
        },
        Route(method: "GET", path: "/api/templates/{id}", access: .admin, summary: "Read a certificate template",
              parameters: [templateID], success: (200, ref("Template")), errors: [404]) { gateway, call in
            var request = Certportal_Certificates_V1_GetTemplateRequest()
            request.templateId = try templateIdentifier(call)
            let template = try await gateway.calling("cert-store") {
                try await gateway.certificates.unary(Certificates.getTemplate, request, options: gateway.options(call))
            }
            return Gateway.json(CertificateJSON.template(template))
        },
        Route(method: "PUT", path: "/api/templates/{id}", access: .admin, summary: "Save a certificate template",
              parameters: [templateID], requestBody: ref("Template"),
              success: (200, ref("Template")), errors: [400, 404, 413, 415]) { gateway, call in
            var request = Certportal_Certificates_V1_PutTemplateRequest()
            request.template = try CertificateJSON.template(from: try call.jsonBody(), id: try templateIdentifier(call))
            let template = try await gateway.calling("cert-store") {
                try await gateway.certificates.unary(Certificates.putTemplate, request, options: gateway.options(call))
            }
            return Gateway.json(CertificateJSON.template(template))
        },
        Route(method: "POST", path: "/api/templates/preview", access: .admin, summary: "Render a template as a sample PDF",
              requestBody: ["type": "object", "description": "a Template, and optionally the record_id to take the content from"],
              success: (200, ["type": "string", "format": "binary"]), successMediaType: "application/pdf",
              errors: [400, 404, 413, 415]) { gateway, call in
            let body = try call.jsonBody()
            var request = Certportal_Certificates_V1_PreviewTemplateRequest()
            request.template = try CertificateJSON.template(from: body, id: body["template_id"]?.stringValue ?? "")
            request.recordId = try number(body, "record_id", in: 0...Int(Int64.max)).map(UInt64.init) ?? 0
            return try await gateway.streamFile(Certificates.previewTemplate, request, call, disposition: "inline")
        },
        Route(method: "GET", path: "/api/verify/{code}", access: .anyone, summary: "Verify a certificate by its code",
              parameters: [verificationCode], success: (200, ref("Verification")), errors: [404, 429]) { gateway, call in
            if let limited = gateway.rateLimited(call) { return limited }
            return Gateway.json(CertificateJSON.verification(try await gateway.verify(call)))
        },
        Route(method: "GET", path: "/verify/{code}", access: .anyone, summary: "Show the public verification page",
              parameters: [verificationCode], success: (200, nil), successMediaType: "text/html", errors: [404, 429]) { gateway, call in
            await gateway.verificationPage(call)
        },
    ]

    /// A boolean member; nil when absent.
    static func flag(_ body: JSON, _ name: String) throws(APIError) -> Bool? {
        switch body[name] {
        case nil, .null?: nil
        case .bool(let value)?: value
        default: throw APIError.invalid(name, "must be true or false")
        }
    }

    /// A whole-number member within `range`; nil when absent.
    static func number(_ body: JSON, _ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        switch body[name] {
        case nil, .null?: return nil
        case .number(let value)? where value.rounded() == value && value >= Double(range.lowerBound) && value <= Double(range.upperBound):
            return Int(value)
        default: throw APIError.invalid(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
    }

    /// `record_ids`: 1 to `limit` (1,000) positive whole numbers, each once.
    static func recordIDList(_ body: JSON, limit: Int = 1000) throws(APIError) -> [UInt64] {
        guard case .array(let items)? = body["record_ids"], !items.isEmpty, items.count <= limit else {
            throw APIError.invalid("record_ids", "required: a list of 1 to \(limit) record ids")
        }
        var ids: [UInt64] = []
        var seen: Set<UInt64> = []
        for item in items {
            guard case .number(let value) = item, value.rounded() == value, value >= 1, value < 9.007e15 else {
                throw APIError.invalid("record_ids", "must hold positive whole numbers only")
            }
            if seen.insert(UInt64(value)).inserted { ids.append(UInt64(value)) }
        }
        return ids
    }

    static func templateIdentifier(_ call: Call) throws(APIError) -> String {
        guard let id = call.pathParameters["id"], !id.isEmpty, id.utf8.count <= 100 else {
            throw APIError.invalid("id", "must be a template id")
        }
        return id
    }

    /// Verification codes are short and URL-safe; anything else is no certificate.
    static func isVerificationCode(_ code: String) -> Bool {
        (4...128).contains(code.utf8.count) && code.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}

/// An uploaded file's bytes in chunks: from the body while it arrives (the HTTP server
/// streams uploads), or from the whole body. Throws 413 past `limit` bytes.
struct UploadBody {
    private var stream: HTTPRequestBody.AsyncIterator?
    private var whole: [UInt8]
    private var offset = 0
    private var pending: [UInt8] = []
    private var count = 0
    let limit: Int

    init(_ request: HTTPRequest, limit: Int) {
        stream = request.bodyStream?.makeAsyncIterator()
        whole = request.bodyStream == nil ? request.body : []
        self.limit = limit
    }

    /// The next chunk of at most `size` bytes (at least one), nil at the end. Pieces as the
    /// server read them go on as they are once they hold `minimum` bytes (no copy); smaller
    /// ones are gathered until they do.
    mutating func next(atLeast minimum: Int, upTo size: Int) async throws -> [UInt8]? {
        var chunk: [UInt8]
        if stream == nil {
            guard offset < whole.count else { return nil }
            chunk = Array(whole[offset..<min(whole.count, offset + size)])
            offset += chunk.count
        } else {
            chunk = pending
            pending = []
            if chunk.count > size {
                pending = Array(chunk[size...])
                chunk = Array(chunk[..<size])
            }
            while chunk.count < minimum, let piece = try await nextPiece() {
                let room = size - chunk.count
                if piece.count <= room {
                    if chunk.isEmpty { chunk = piece } else { chunk.append(contentsOf: piece) }
                } else {
                    chunk.append(contentsOf: piece[..<room])
                    pending = Array(piece[room...])
                }
            }
            if chunk.isEmpty { return nil }
        }
        count += chunk.count
        guard count <= limit else { throw Self.tooLarge(limit) }
        return chunk
    }

    private mutating func nextPiece() async throws -> [UInt8]? {
        do {
            return try await stream?.next()
        } catch HTTPBodyError.tooLarge {
            throw Self.tooLarge(limit)
        }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(413, "payload_too_large", "file: the file is over \(limit >> 20) MB", field: "file")
    }
}

/// A stream from cert-store that broke off or did not match its header.
struct StreamBroken: Error {
    let reason: String
}

extension Gateway {
    typealias Certificates = Certportal_Certificates_V1_Certificates

    /// Where the public verification page is: the configured public URL, else as the
    /// caller reached the gateway.
    func publicBase(_ request: HTTPRequest) -> String {
        if let url = configuration.publicURL { return url }
        let host = request.header("host").flatMap { $0.utf8.count <= 255 && !$0.contains("/") ? $0 : nil } ?? "127.0.0.1"
        return (secure(request) ? "https://" : "http://") + host
    }

    func certificateJSON(_ certificate: Certportal_Certificates_V1_Certificate, _ call: Call) -> JSON {
        CertificateJSON.certificate(certificate, admin: call.session?.isAdmin == true, verifyBase: publicBase(call.request))
    }

    /// A write's answer: the certificate after it, and the record as the read model holds
    /// it once it reflects the write (`min_certificate_seq`).
    func written(_ call: Call, recordID: UInt64, _ write: () async throws -> Certportal_Certificates_V1_CertificateWrite) async throws -> HTTPResponse {
        let written = try await calling("cert-store", write)
        var read = Certportal_Stats_V1_GetRecordRequest()
        read.recordId = recordID
        read.minCertificateSeq = written.seq
        let row = try await calling("stats-service") {
            try await stats.unary(Certportal_Stats_V1_Stats.getRecord, read, options: options(call))
        }
        return Gateway.json(["certificate": certificateJSON(written.certificate ?? .init(), call), "record": RecordJSON.record(row),
                             "email_request_id": .text(written.emailRequestId)])
    }

    /// Options for a call that may run long (a file, a batch): the stream's own limit.
    func streamOptions(_ call: Call) -> CallOptions {
        var options = options(call)
        options.timeout = configuration.streamTimeout
        return options
    }

    /// Starts a server-streaming call and waits for its first message, so that an error
    /// (not found, forbidden, down) is still an ordinary error answer.
    func openStream<Request, Response>(_ method: MethodDescriptor<Request, Response>, _ request: Request,
                                       options: CallOptions, service: String = "cert-store",
                                       client: RPCClient? = nil) async throws -> (first: Response?, call: ClientCall) {
        try await calling(service) {
            let stream = try await (client ?? certificates).startCall(path: method.path, options: options, messages: [request.serializedBytes()], halfClose: true)
            do {
                guard let bytes = try await stream.nextMessage() else { return (nil, stream) }
                return (try Response(serializedBytes: bytes), stream)
            } catch {
                stream.cancel()
                throw error
            }
        }
    }

    /// cert-store's FileChunks (header, then data) straight into the HTTP response: never
    /// more than a few chunks in memory.
    func streamFile<Request>(_ method: MethodDescriptor<Request, Certportal_Certificates_V1_FileChunk>, _ request: Request,
                             _ call: Call, disposition: String) async throws -> HTTPResponse {
        let (first, stream) = try await openStream(method, request, options: streamOptions(call))
        guard case .header(let header)? = first?.part else {
            stream.cancel()
            throw APIError(502, "internal", "cert-store sent no file; the problem is logged")
        }
        let mediaType = header.mediaType.isEmpty ? "application/octet-stream" : header.mediaType
        var contentDisposition = CertificateJSON.contentDisposition(fileName: header.fileName)
        if disposition != "attachment" { contentDisposition = disposition + contentDisposition.dropFirst("attachment".count) }
        let size = header.size
        let logger = self.logger, requestID = call.requestID
        return HTTPResponse(status: 200, headers: [("Content-Type", mediaType), ("Content-Disposition", contentDisposition)],
                            stream: HTTPBodyStream(size: size) { writer in try await Gateway.loggingBreaks(logger, requestID) {
            var ended = false
            defer { if !ended { stream.cancel() } }
            var sent: UInt64 = 0
            while let bytes = try await stream.nextMessage() {
                guard case .data(let data)? = try Certportal_Certificates_V1_FileChunk(serializedBytes: bytes).part else { continue }
                sent += UInt64(data.count)
                guard sent <= size else { throw StreamBroken(reason: "cert-store sent more than the \(size) bytes announced") }
                try await writer.write(data)
            }
            ended = true
            guard sent == size else { throw StreamBroken(reason: "cert-store sent \(sent) of \(size) bytes") }
        } })
    }

    /// Runs a streamed body's producer; a break that is not the client leaving is logged
    /// (the client only sees the body end early).
    static func loggingBreaks(_ logger: Logger, _ requestID: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            if !(error is CancellationError) && !Task.isCancelled {
                logger.log(.warning, "streamed answer broke off", requestID: requestID, ["error": "\(error)"])
            }
            throw error
        }
    }

    /// The file goes on to cert-store while it arrives, in chunks of `uploadChunkBytes`;
    /// cert-store checks it once the last byte is in, and an upload refused or broken off
    /// midway is cancelled there, changing nothing.
    func upload(_ call: Call) async throws -> HTTPResponse {
        try API.rejectUnknownArguments(call)
        var header = Certportal_Certificates_V1_UploadHeader()
        header.recordId = try call.id()
        header.originalName = String((call.request.argument("file_name") ?? "").prefix(255))
        header.expiryDate = call.request.argument("expiry_date") ?? ""
        header.replaceVersion = UInt32(try API.integer(call, "replace_version", in: 0...1_000_000) ?? 0)
        switch call.request.argument("share") {
        case nil, ""?, "false"?: header.share = false
        case "true"?: header.share = true
        case let other?: throw APIError.invalid("share", "must be true or false; found \"\(other.prefix(40))\"")
        }
        // cert-store checks it (booker, delegate or both) and names the field when it refuses.
        header.emailTo = call.request.argument("email_to") ?? ""
        // A size declared over the limit is refused before any byte goes on; one that
        // grows over it midway (chunked) is refused when it does.
        if let declared = call.request.header("content-length").flatMap(Int.init), declared > configuration.maxUploadBytes {
            throw UploadBody.tooLarge(configuration.maxUploadBytes)
        }
        var file = UploadBody(call.request, limit: configuration.maxUploadBytes)
        // The first bytes before the call: an empty body is refused without one.
        guard var chunk = try await file.next(atLeast: Self.uploadChunkBytes.lowerBound, upTo: Self.uploadChunkBytes.upperBound) else {
            throw APIError.invalid("file", "the body is empty: send the file's bytes")
        }
        let options = streamOptions(call)
        return try await written(call, recordID: header.recordId) {
            try await certificates.clientStreaming(Certificates.upload, options: options) { writer in
                var first = Certportal_Certificates_V1_UploadChunk()
                first.part = .header(header)
                try await writer.write(first)
                while true {
                    var message = Certportal_Certificates_V1_UploadChunk()
                    message.part = .data(chunk)
                    try await writer.write(message)
                    guard let next = try await file.next(atLeast: Self.uploadChunkBytes.lowerBound, upTo: Self.uploadChunkBytes.upperBound) else { break }
                    chunk = next
                }
            }.message
        }
    }

    /// The sizes of the chunks an upload goes on to cert-store in.
    static let uploadChunkBytes = (128 << 10)...(1 << 20)

    /// NDJSON, one line per record as cert-store reports it, then the totals.
    func issueBatch(_ call: Call) async throws -> HTTPResponse {
        let body = try call.jsonBody()
        var request = Certportal_Certificates_V1_IssueBatchRequest()
        request.recordIds = try API.recordIDList(body)
        request.share = try API.flag(body, "share") ?? false
        let (first, stream) = try await openStream(Certificates.issueBatch, request, options: streamOptions(call))
        let total = request.recordIds.count
        let readOptions = options(call)
        let stats = self.stats
        let logger = self.logger, requestID = call.requestID
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/x-ndjson; charset=utf-8")], stream: HTTPBodyStream { writer in
            try await Gateway.loggingBreaks(logger, requestID) {
                var ended = false
                defer { if !ended { stream.cancel() } }
                var issued = 0, refused = 0, done = 0
                var last: (record: UInt64, seq: UInt64)?
                var next = first
                while let progress = next {
                    if progress.issued { issued += 1 } else { refused += 1 }
                    done = Int(progress.done)
                    if progress.issued && progress.seq > 0 { last = (progress.recordId, progress.seq) }
                    try await writer.write(CertificateJSON.progressLine(progress))
                    next = try await stream.nextMessage().map { bytes in try Certportal_Certificates_V1_IssueProgress(serializedBytes: bytes) }
                }
                ended = true
                // The next view reflects the batch: wait until the read model holds its last write.
                if let last {
                    var read = Certportal_Stats_V1_GetRecordRequest()
                    read.recordId = last.record
                    read.minCertificateSeq = last.seq
                    _ = try? await stats.unary(Certportal_Stats_V1_Stats.getRecord, read, options: readOptions)
                }
                try await writer.write(CertificateJSON.finishedLine(issued: issued, refused: refused, done: max(done, issued + refused), total: total))
            }
        })
    }

    /// Shares one record at a time; a record cert-store refuses is listed, not fatal.
    func shareBatch(_ call: Call) async throws -> HTTPResponse {
        let body = try call.jsonBody()
        let ids = try API.recordIDList(body)
        guard let shared = try API.flag(body, "shared") else { throw APIError.invalid("shared", "required (true or false)") }
        var updated = 0
        var problems: [JSON] = []
        for id in ids {
            var request = Certportal_Certificates_V1_ShareRequest()
            request.recordId = id
            request.shared = shared
            do {
                _ = try await calling("cert-store") {
                    try await certificates.unary(Certificates.share, request, options: options(call))
                }
                updated += 1
            } catch let error as APIError where error.status < 500 && error.status != 401 {
                problems.append(["record_id": .integer(id), "message": .string(error.message)])
            }
        }
        return Gateway.json(["updated": .integer(updated), "problems": .array(problems)])
    }

    /// 429 with Retry-After when the caller's address used up its verifications.
    func rateLimited(_ call: Call) -> HTTPResponse? {
        guard let wait = verifyLimiter.take(call.request.clientAddress) else { return nil }
        var response = Gateway.error(APIError(429, "resource_exhausted", "too many verifications from this address; try again in \(wait) s"))
        response.addHeader("Retry-After", "\(wait)")
        return response
    }

    /// cert-store's public answer for a code; 404 for one that is malformed or unknown.
    func verify(_ call: Call) async throws -> Certportal_Certificates_V1_Verification {
        let code = call.pathParameters["code"] ?? ""
        guard API.isVerificationCode(code) else { throw APIError.notFound("no certificate has this verification code") }
        var request = Certportal_Certificates_V1_VerifyRequest()
        request.code = code
        var options = CallOptions(timeout: configuration.serviceTimeout)
        options.metadata.add(MetadataKey.requestID, call.requestID)
        do {
            return try await calling("cert-store") {
                try await certificates.unary(Certificates.verify, request, options: options)
            }
        } catch let error as APIError where error.status == 404 || error.status == 400 {
            throw APIError.notFound("no certificate has this verification code")
        }
    }

    /// The public page: the same facts as /api/verify, as HTML (no script), branded.
    func verificationPage(_ call: Call) async -> HTTPResponse {
        let page = VerifyPage(providerName: configuration.providerName, hasLogo: configuration.providerLogo != nil)
        if let wait = verifyLimiter.take(call.request.clientAddress) {
            var response = page.response(status: 429, title: "Too many look-ups",
                                         message: "This address checked too many certificates in a short time. Try again in \(wait) seconds.")
            response.addHeader("Retry-After", "\(wait)")
            return response
        }
        do {
            return page.response(for: try await verify(call))
        } catch let error as APIError where error.status == 404 {
            return page.response(status: 404, title: "Certificate not found",
                                 message: "No certificate has this verification code. Check the code or the link and try again.")
        } catch {
            return page.response(status: 503, title: "Please try again",
                                 message: "The certificate could not be checked right now. Try again in a moment.")
        }
    }
}
