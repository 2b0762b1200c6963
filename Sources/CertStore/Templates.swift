internal import Storage
internal import Messages
internal import RPC
internal import CertificatePDF
internal import Foundation

typealias CertificateTemplateMessage = Certportal_Certificates_V1_Template

/// Certificate templates: stored as rows, handed to the renderer as `CertificateTemplate`.
/// The standard template is there from the start, so every course can be issued.
enum Templates {
    static let standardID = "standard"

    static func seedStandard(_ db: Database) throws {
        guard try db.scalar("SELECT count(*) FROM templates WHERE id = ?", [standardID])?.int64 == 0 else { return }
        var template = message(CertificateTemplate.standard)
        template.templateId = standardID
        template.updatedBy = "cert-store"
        try save(template, revision: 1, db)
    }

    static func list(_ db: Database) throws -> [CertificateTemplateMessage] {
        try db.fetch(select + " ORDER BY id", [], row)
    }

    static func get(_ id: String, _ db: Database) throws -> CertificateTemplateMessage? {
        try db.fetch(select + " WHERE id = ?", [id], row).first
    }

    /// Saves an admin's edit after the renderer's checks; the revision grows by one.
    static func put(_ template: CertificateTemplateMessage, by actor: String, _ db: Database) throws -> CertificateTemplateMessage {
        let id = template.templateId.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty, id.utf8.count <= 64, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw RPCError(.invalidArgument, "template_id: letters, digits, - and _ only, at most 64; found \"\(id.prefix(40))\"")
        }
        guard !template.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw RPCError(.invalidArgument, "name: required") }
        do {
            try CertificateRenderer.validate(rendering(template))
        } catch let error as RenderError {
            throw RPCError(.invalidArgument, protoNamed(error.description))
        }
        let revision = Int((try db.scalar("SELECT revision FROM templates WHERE id = ?", [id])?.int64) ?? 0) + 1
        var saved = template
        saved.templateId = id
        saved.updatedBy = actor
        try save(saved, revision: revision, db)
        return try get(id, db)!
    }

    /// The renderer names the fields of its Swift types (`primaryColour`, `logoPNG`);
    /// callers of cert-store know them by the proto's names (`primary_colour`, `logo_png`).
    static let protoFieldNames: [String: String] = [
        "templateID": "template_id", "primaryColour": "primary_colour", "accentColour": "accent_colour",
        "logoPNG": "logo_png", "providerName": "provider_name", "contactName": "contact_name",
        "courseName": "course_name", "organisationName": "organisation_name", "completionDate": "completion_date",
        "expiryDate": "expiry_date", "certificateNumber": "certificate_number", "verificationURL": "verification_url",
    ]

    /// A renderer message (`field: reason`) with its field under the proto's name.
    static func protoNamed(_ message: String) -> String {
        guard let colon = message.firstIndex(of: ":"), let name = protoFieldNames[String(message[..<colon])] else { return message }
        return name + message[colon...]
    }

    private static func save(_ template: CertificateTemplateMessage, revision: Int, _ db: Database) throws {
        _ = try db.run("""
            INSERT INTO templates(id, name, title, body, footer, signatory, primary_colour, accent_colour, orientation, logo, revision, updated_at_ms, updated_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, title = excluded.title, body = excluded.body, footer = excluded.footer,
                signatory = excluded.signatory, primary_colour = excluded.primary_colour, accent_colour = excluded.accent_colour,
                orientation = excluded.orientation, logo = excluded.logo, revision = excluded.revision,
                updated_at_ms = excluded.updated_at_ms, updated_by = excluded.updated_by
            """, [template.templateId, template.name, template.title, template.body, template.footer, template.signatory,
                  template.primaryColour, template.accentColour, template.orientation.isEmpty ? "landscape" : template.orientation,
                  template.logoPng.isEmpty ? nil : template.logoPng, revision, CertificateStore.nowMs, template.updatedBy])
    }

    private static let select = """
        SELECT id, name, title, body, footer, signatory, primary_colour, accent_colour, orientation, logo, revision, updated_at_ms, updated_by
        FROM templates
        """

    private static func row(_ row: Row) -> CertificateTemplateMessage {
        var template = CertificateTemplateMessage()
        template.templateId = row.string(at: 0) ?? ""
        template.name = row.string(at: 1) ?? ""
        template.title = row.string(at: 2) ?? ""
        template.body = row.string(at: 3) ?? ""
        template.footer = row.string(at: 4) ?? ""
        template.signatory = row.string(at: 5) ?? ""
        template.primaryColour = row.string(at: 6) ?? ""
        template.accentColour = row.string(at: 7) ?? ""
        template.orientation = row.string(at: 8) ?? ""
        template.logoPng = row.blob(at: 9) ?? []
        template.revision = UInt32(row.int(at: 10) ?? 0)
        template.updatedAtMs = row.int64(at: 11) ?? 0
        template.updatedBy = row.string(at: 12) ?? ""
        return template
    }

    /// The stored form of a renderer template.
    static func message(_ template: CertificateTemplate) -> CertificateTemplateMessage {
        var message = CertificateTemplateMessage()
        message.templateId = template.templateID
        message.name = template.name
        message.title = template.title
        message.body = template.body
        message.footer = template.footer
        message.signatory = template.signatory
        message.primaryColour = template.primaryColour
        message.accentColour = template.accentColour
        message.orientation = template.orientation.rawValue
        message.logoPng = template.logoPNG ?? []
        return message
    }

    /// The renderer's form of a stored or edited template.
    static func rendering(_ message: CertificateTemplateMessage) throws(RPCError) -> CertificateTemplate {
        var template = CertificateTemplate.standard
        template.templateID = message.templateId
        template.name = message.name
        template.title = message.title
        template.body = message.body
        template.footer = message.footer
        template.signatory = message.signatory
        template.primaryColour = message.primaryColour
        template.accentColour = message.accentColour
        guard let orientation = PageOrientation(rawValue: message.orientation.isEmpty ? "landscape" : message.orientation) else {
            throw RPCError(.invalidArgument, "orientation: must be landscape or portrait; found \"\(message.orientation.prefix(40))\"")
        }
        template.orientation = orientation
        template.logoPNG = message.logoPng.isEmpty ? nil : message.logoPng
        return template
    }
}
