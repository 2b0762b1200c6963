internal import Storage
internal import RPC
internal import Messages
internal import TextTemplate
internal import Foundation

/// The e-mails export-service writes, each from a template admins may edit: `certificate`
/// (one certificate attached) and `reminder` (a booker's digest of certificates about to
/// expire). A name never edited reads as its default.
enum EmailTemplateName: String, CaseIterable, Sendable {
    case certificate
    case reminder

    var placeholders: [String] {
        switch self {
        case .certificate:
            ["recipient_name", "contact_name", "course_name", "organisation_name", "booker_name", "completion_date", "expiry_date",
             "certificate_number", "verification_url", "provider_name"]
        case .reminder:
            ["booker_name", "count", "certificates", "portal_url", "provider_name"]
        }
    }

    var defaultSubject: String {
        switch self {
        case .certificate: "Your certificate: {course_name}"
        case .reminder: "Certificates expiring soon: {count}"
        }
    }

    var defaultBody: String {
        switch self {
        case .certificate:
            """
            Dear {recipient_name},

            Please find attached the certificate of {contact_name} for {course_name}, completed on {completion_date}.
            It expires on {expiry_date}. Certificate number: {certificate_number}.

            Anyone can check it at {verification_url}

            Kind regards,
            {provider_name}
            """
        case .reminder:
            """
            Dear {booker_name},

            These certificates of your delegates expire soon:

            {certificates}

            Re-book a course from the links above, or at {portal_url}

            Kind regards,
            {provider_name}
            """
        }
    }

    static let subjectLimit = 200
    static let bodyLimit = 20_000
}

/// Reading, checking and saving the templates.
enum EmailTemplates {
    typealias Template = Certportal_Export_V1_EmailTemplate

    static func get(_ name: EmailTemplateName, _ db: Database) throws -> Template {
        var template = Template()
        template.name = name.rawValue
        template.placeholders = name.placeholders.map { "{\($0)}" }
        let stored = try db.fetch("SELECT subject, body, revision, updated_at_ms, updated_by FROM email_templates WHERE name = ?", [name.rawValue]) { row in
            (row.string(at: 0) ?? "", row.string(at: 1) ?? "", row.int64(at: 2) ?? 0, row.int64(at: 3) ?? 0, row.string(at: 4) ?? "")
        }.first
        if let (subject, body, revision, updatedAt, updatedBy) = stored {
            template.subject = subject
            template.body = body
            template.revision = UInt32(clamping: revision)
            template.updatedAtMs = updatedAt
            template.updatedBy = updatedBy
        } else {
            template.subject = name.defaultSubject
            template.body = name.defaultBody
        }
        return template
    }

    /// The template's name, or INVALID_ARGUMENT naming the field.
    static func name(_ text: String, field: String = "name") throws(RPCError) -> EmailTemplateName {
        guard let name = EmailTemplateName(rawValue: text) else {
            throw RPCError(.invalidArgument, "\(field): there is no e-mail template \"\(text.prefix(64))\"; known: "
                              + EmailTemplateName.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return name
    }

    /// Refuses what could not be sent: an empty or overlong subject or body, a line break in
    /// the subject, an unknown placeholder.
    static func check(_ template: Template) throws(RPCError) -> EmailTemplateName {
        let name = try name(template.name, field: "template.name")
        let subject = template.subject.trimmingCharacters(in: .whitespaces)
        guard !subject.isEmpty else { throw RPCError(.invalidArgument, "template.subject: empty") }
        guard subject.count <= EmailTemplateName.subjectLimit else {
            throw RPCError(.invalidArgument, "template.subject: \(subject.count) characters, at most \(EmailTemplateName.subjectLimit) allowed")
        }
        guard !subject.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw RPCError(.invalidArgument, "template.subject: a subject is one line (no line breaks or control characters)")
        }
        guard !template.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw RPCError(.invalidArgument, "template.body: empty") }
        guard template.body.count <= EmailTemplateName.bodyLimit else {
            throw RPCError(.invalidArgument, "template.body: \(template.body.count) characters, at most \(EmailTemplateName.bodyLimit) allowed")
        }
        do {
            try TextTemplate.check(subject, field: "template.subject", known: name.placeholders)
            try TextTemplate.check(template.body, field: "template.body", known: name.placeholders)
        } catch {
            throw RPCError(.invalidArgument, error.description)
        }
        return name
    }

    static func put(_ template: Template, by actor: String, _ db: Database) throws -> Template {
        let name = try check(template)
        let current = try get(name, db)
        // Saved over a newer one than the editor had: refused, so no edit is lost unseen.
        if template.revision != 0, template.revision != current.revision {
            throw RPCError(.aborted, "template.revision: the template was saved by \(current.updatedBy) (revision \(current.revision)) since revision \(template.revision) was read; reload it")
        }
        let values: Bindings = [name.rawValue, template.subject.trimmingCharacters(in: .whitespaces), template.body,
                                Int64(current.revision) + 1, ExportStore.nowMs, actor]
        try db.run("""
            INSERT INTO email_templates (name, subject, body, revision, updated_at_ms, updated_by) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET subject = excluded.subject, body = excluded.body, revision = excluded.revision,
                updated_at_ms = excluded.updated_at_ms, updated_by = excluded.updated_by
            """, values)
        return try get(name, db)
    }

    /// The template filled in: the subject on one line (values cannot break it).
    static func fill(_ template: Template, _ values: [String: String]) -> (subject: String, body: String) {
        let subject = TextTemplate.fill(template.subject) { values[$0] }
            .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return (subject, TextTemplate.fill(template.body) { values[$0] })
    }
}
