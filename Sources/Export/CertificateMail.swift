internal import RPC
internal import Mail
internal import Messages
internal import Records
internal import Foundation

/// Who gets a certificate's e-mail.
enum MailAudience: String, CaseIterable, Sendable {
    case booker, delegate, both

    static func parse(_ text: String, field: String = "to") throws(RPCError) -> MailAudience {
        guard let audience = MailAudience(rawValue: text) else {
            throw RPCError(.invalidArgument, "\(field): \"\(text.prefix(32))\" is not one of booker, delegate, both")
        }
        return audience
    }
}

/// Writes the outbox entry that sends one record's certificate: the recipients from the
/// record (never from the caller), the template filled in now (an accepted e-mail does not
/// change when the template is edited later), the version to attach named.
struct CertificateMail: Sendable {
    typealias Stats = Certportal_Stats_V1_Stats
    typealias Certificates = Certportal_Certificates_V1_Certificates

    let stats: RPCClient
    let certificates: RPCClient
    let settings: MailSettings

    /// The draft, or why the record gets no e-mail.
    enum Outcome: Sendable {
        case draft(OutboxDraft)
        case skipped(String)
    }

    /// `version` 0: the current one. The caller's scope was checked (admins only).
    func draft(recordID: UInt64, version: UInt32, audience: MailAudience, template: Certportal_Export_V1_EmailTemplate,
               requestedBy: String, key: String?, waiting: String) async throws -> Outcome {
        let options = settings.backgroundOptions()
        var getRecord = Certportal_Stats_V1_GetRecordRequest()
        getRecord.recordId = recordID
        let row: Certportal_Stats_V1_RecordRow
        do {
            row = try await stats.unary(Stats.getRecord, getRecord, options: options)
        } catch let error as RPCError where error.code == .notFound {
            return .skipped("there is no record \(recordID)")
        }
        var getCertificate = Certportal_Certificates_V1_GetCertificateRequest()
        getCertificate.recordId = recordID
        let certificate: Certportal_Certificates_V1_Certificate
        do {
            certificate = try await certificates.unary(Certificates.getCertificate, getCertificate, options: options)
        } catch let error as RPCError where error.code == .notFound {
            return .skipped("no certificate yet")
        }
        let number = version == 0 ? certificate.currentVersion : version
        guard number != 0, let attached = certificate.versions.first(where: { $0.number == number }) else {
            return .skipped(version == 0 ? "no current certificate (every version is revoked)" : "the certificate has no version \(version)")
        }
        let (recipients, problems) = Self.recipients(row, audience)
        guard !recipients.isEmpty else {
            if !problems.isEmpty { return .skipped(problems.joined(separator: "; ")) }
            return .skipped(audience == .both ? "neither the booker nor the delegate has an e-mail address"
                                              : "the \(audience.rawValue) has no e-mail address")
        }
        // One e-mail to all of them, greeting each by name.
        var values = values(row, certificate, attached)
        values["recipient_name"] = recipients.map { $0.name.isEmpty ? $0.address : $0.name }.joined(separator: " and ")
        let (subject, body) = EmailTemplates.fill(template, values)
        return .draft(OutboxDraft(key: key, kind: "certificate", recordID: recordID, version: number, recipients: recipients,
                                  subject: subject, body: body, requestedBy: requestedBy, waiting: waiting))
    }

    /// The booker's and/or the delegate's address, once each.
    /// An address that could not be sent to (as imported) is left out, and said why.
    static func recipients(_ row: Certportal_Stats_V1_RecordRow, _ audience: MailAudience) -> (recipients: [Recipient], problems: [String]) {
        var recipients: [Recipient] = []
        var problems: [String] = []
        func add(_ address: String, _ name: String, _ who: String) {
            let address = address.trimmingCharacters(in: .whitespaces)
            guard !address.isEmpty, !recipients.contains(where: { $0.address.lowercased() == address.lowercased() }) else { return }
            do {
                let checked = try MailAddress(address, name: Self.oneLine(name))
                recipients.append(Recipient(address: checked.address, name: checked.name))
            } catch {
                problems.append("the \(who)'s \(error.message)")
            }
        }
        if audience != .booker { add(row.contactEmail, row.contactName, "delegate") }
        if audience != .delegate { add(row.bookerEmail, row.bookerName, "booker") }
        return (recipients, problems)
    }

    /// A name as a display name: no tabs or line breaks.
    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
    }

    func values(_ row: Certportal_Stats_V1_RecordRow, _ certificate: Certportal_Certificates_V1_Certificate,
                _ version: Certportal_Certificates_V1_Version) -> [String: String] {
        let expiry = version.expiryDate.isEmpty ? row.expiryDate : version.expiryDate
        return [
            "contact_name": row.contactName,
            "course_name": row.courseName,
            "organisation_name": row.organisationName,
            "booker_name": row.bookerName,
            "completion_date": CalendarDate.readable(row.completionDate),
            "expiry_date": expiry.isEmpty ? "no expiry date" : CalendarDate.readable(expiry),
            "certificate_number": certificate.certificateNumber,
            "verification_url": certificate.verificationCode.isEmpty ? settings.portalURL
                                                                      : "\(settings.portalURL)/verify/\(certificate.verificationCode)",
            "provider_name": settings.providerName,
        ]
    }

    /// A sample, for previews without a record.
    func sampleValues() -> [String: String] {
        ["recipient_name": "Zoë Example", "contact_name": "Zoë Example", "course_name": "First Aid at Work",
         "organisation_name": "Example Ltd", "booker_name": "Łukasz Booker", "completion_date": "2 March 2026",
         "expiry_date": "2 March 2029", "certificate_number": "CP-2026-000042",
         "verification_url": "\(settings.portalURL)/verify/SAMPLE", "provider_name": settings.providerName]
    }
}
