internal import Messages
internal import Foundation

/// The API's shape of cert-store's messages (CERT-API.md), and the pieces of the
/// download and batch answers.
enum CertificateJSON {
    /// Admins see every version, the verification code and its URL; bookers and org reps
    /// only the current version and neither.
    static func certificate(_ certificate: Certportal_Certificates_V1_Certificate, admin: Bool, verifyBase: String) -> JSON {
        let code = certificate.verificationCode
        let versions = admin ? certificate.versions : certificate.versions.filter { $0.number == certificate.currentVersion && $0.number != 0 }
        return ["record_id": .integer(certificate.recordId), "certificate_number": .string(certificate.certificateNumber),
                "verification_code": admin ? .text(code) : .null,
                "verification_url": admin && !code.isEmpty ? .string(verifyBase + "/verify/" + percentEncoded(code)) : .null,
                "shared": .bool(certificate.shared),
                "current_version": certificate.currentVersion == 0 ? .null : .integer(certificate.currentVersion),
                "versions": .array(versions.sorted { $0.number < $1.number }.map(version))]
    }

    static func version(_ version: Certportal_Certificates_V1_Version) -> JSON {
        ["number": .integer(version.number), "kind": .string(version.kind), "media_type": .string(version.mediaType),
         "size": .integer(version.size), "expiry_date": .text(version.expiryDate), "state": .string(version.state),
         "created_at": .string(timestamp(version.createdAtMs)), "created_by": .string(version.createdBy),
         "file_name": .string(version.fileName), "replaces": version.replaces == 0 ? .null : .integer(version.replaces),
         "revoked_reason": .text(version.revokedReason)]
    }

    static func audit(_ entry: Certportal_Certificates_V1_AuditEntry) -> JSON {
        ["at": .string(timestamp(entry.atMs)), "actor": .string(entry.actor), "action": .string(entry.action),
         "version": entry.version == 0 ? .null : .integer(entry.version), "detail": .text(entry.detail)]
    }

    static func template(_ template: Certportal_Certificates_V1_Template) -> JSON {
        ["template_id": .string(template.templateId), "name": .string(template.name), "title": .string(template.title),
         "body": .string(template.body), "footer": .string(template.footer), "signatory": .string(template.signatory),
         "primary_colour": .string(template.primaryColour), "accent_colour": .string(template.accentColour),
         "orientation": .string(template.orientation),
         "logo_png_base64": template.logoPng.isEmpty ? .null : .string(Data(template.logoPng).base64EncodedString()),
         "revision": .integer(template.revision), "updated_at": template.updatedAtMs == 0 ? .null : .string(timestamp(template.updatedAtMs)),
         "updated_by": .text(template.updatedBy)]
    }

    /// A Template from a request body; 400 naming the member that is not what it should be.
    static func template(from body: JSON, id: String) throws(APIError) -> Certportal_Certificates_V1_Template {
        var template = Certportal_Certificates_V1_Template()
        template.templateId = id
        func text(_ name: String) throws(APIError) -> String {
            switch body[name] {
            case nil, .null?: return ""
            case .string(let value)?: return value
            default: throw APIError.invalid(name, "must be a string")
            }
        }
        template.name = try text("name")
        template.title = try text("title")
        template.body = try text("body")
        template.footer = try text("footer")
        template.signatory = try text("signatory")
        template.primaryColour = try text("primary_colour")
        template.accentColour = try text("accent_colour")
        template.orientation = try text("orientation")
        let logo = try text("logo_png_base64")
        if !logo.isEmpty {
            guard let data = Data(base64Encoded: logo) else { throw APIError.invalid("logo_png_base64", "must be a PNG in base64") }
            template.logoPng = [UInt8](data)
        }
        switch body["revision"] {
        case nil, .null?: break
        case .number(let value)? where value >= 0 && value <= Double(UInt32.max) && value.rounded() == value: template.revision = UInt32(value)
        default: throw APIError.invalid("revision", "must be a whole number")
        }
        return template
    }

    static func verification(_ verification: Certportal_Certificates_V1_Verification) -> JSON {
        ["holder": .string(verification.holder), "course": .string(verification.course),
         "completion_date": .string(verification.completionDate), "expiry_date": .text(verification.expiryDate),
         "state": .string(verification.state), "certificate_number": .string(verification.certificateNumber),
         "provider": .string(verification.provider)]
    }

    /// One NDJSON line of a batch issue: a record done or refused, with the running count.
    static func progressLine(_ progress: Certportal_Certificates_V1_IssueProgress) -> [UInt8] {
        let line: JSON = ["record_id": .integer(progress.recordId), "issued": .bool(progress.issued), "problem": .text(progress.problem),
                          "done": .integer(progress.done), "total": .integer(progress.total),
                          "certificate_number": .text(progress.certificateNumber)]
        return line.serialized() + [0x0A]
    }

    /// The last NDJSON line of a batch issue.
    static func finishedLine(issued: Int, refused: Int, done: Int, total: Int) -> [UInt8] {
        let line: JSON = ["finished": true, "issued": .integer(issued), "refused": .integer(refused),
                          "done": .integer(done), "total": .integer(total)]
        return line.serialized() + [0x0A]
    }

    /// RFC 3339 in UTC, to the second.
    static func timestamp(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
    }

    /// `attachment; filename="…"; filename*=UTF-8''…` that every browser reads: the name
    /// without control characters or path separators; an ASCII fallback (accents dropped,
    /// other non-ASCII and quotes replaced) for old clients, and the exact name in
    /// RFC 5987 form for the rest.
    static func contentDisposition(fileName: String) -> String {
        var name = String(String.UnicodeScalarView(fileName.unicodeScalars.compactMap { scalar -> Unicode.Scalar? in
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) { return nil }
            if scalar == "/" || scalar == "\\" { return "_" }
            return scalar
        })).trimmingCharacters(in: .whitespaces)
        while name.hasPrefix(".") { name.removeFirst() }
        if name.isEmpty { name = "certificate" }
        if name.count > 200 { name = String(name.prefix(200)) }
        let folded = name.folding(options: [.diacriticInsensitive, .widthInsensitive], locale: Locale(identifier: "en_US_POSIX"))
        let fallback = String(String.UnicodeScalarView(folded.unicodeScalars.map { scalar -> Unicode.Scalar in
            if scalar == "\"" { return "'" }
            return scalar.isASCII ? scalar : "_"
        }))
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(percentEncoded(name))"
    }

    /// RFC 5987 attr-chars as they are; every other byte of the UTF-8 as %XX.
    static func percentEncoded(_ text: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            if allowed.contains(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
