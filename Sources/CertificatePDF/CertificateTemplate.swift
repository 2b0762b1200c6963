/// The page a certificate is printed on: A4, either way round.
public enum PageOrientation: String, Sendable {
    case landscape, portrait

    /// Width and height in PDF points (1/72 inch).
    var size: (width: Double, height: Double) {
        switch self {
        case .landscape: (841.89, 595.28)
        case .portrait: (595.28, 841.89)
        }
    }
}

/// How a provider's certificates look and read; an admin edits it, `CertificateRenderer.validate` checks it.
public struct CertificateTemplate: Sendable, Equatable {
    public var templateID: String
    public var name: String
    /// The heading, e.g. "Certificate of Completion".
    public var title: String
    /// The statement, with placeholders (`CertificateRenderer.placeholders`); the delegate's
    /// name (`{contact_name}`) is set large on a line of its own.
    public var body: String
    /// Small print along the bottom edge, with placeholders.
    public var footer: String
    /// Who signs, printed under the signature line, e.g. "Training Manager".
    public var signatory: String
    /// Frame, title and name colour, "#rrggbb".
    public var primaryColour: String
    /// Inner frame, rules and labels, "#rrggbb".
    public var accentColour: String
    public var orientation: PageOrientation
    /// The provider's logo, drawn top-left when present.
    public var logoPNG: [UInt8]?

    public init(templateID: String, name: String, title: String, body: String, footer: String, signatory: String,
                primaryColour: String, accentColour: String, orientation: PageOrientation = .landscape,
                logoPNG: [UInt8]? = nil) {
        self.templateID = templateID
        self.name = name
        self.title = title
        self.body = body
        self.footer = footer
        self.signatory = signatory
        self.primaryColour = primaryColour
        self.accentColour = accentColour
        self.orientation = orientation
        self.logoPNG = logoPNG
    }

    /// Navy and gold, landscape, no logo.
    public static let standard = CertificateTemplate(
        templateID: "standard",
        name: "Standard",
        title: "Certificate of Completion",
        body: "This is to certify that {contact_name} of {organisation_name} has successfully completed {course_name} on {completion_date}.",
        footer: "Certificate {certificate_number} · issued by {provider_name} · verify at {verification_url}",
        signatory: "Training Manager",
        primaryColour: "#1f3a5f",
        accentColour: "#b08d3c",
        orientation: .landscape
    )
}

/// What one certificate says: the delegate, the course and the record's dates.
public struct CertificateContent: Sendable, Equatable {
    public var providerName: String
    public var contactName: String
    public var courseName: String
    public var organisationName: String
    /// ISO `yyyy-mm-dd`; printed readably ("2 March 2026").
    public var completionDate: String
    /// ISO `yyyy-mm-dd`; nil: the certificate never expires ("does not expire").
    public var expiryDate: String?
    public var certificateNumber: String
    /// Where anyone can check the certificate; ASCII (percent-encoded), also the QR code's payload.
    public var verificationURL: String

    public init(providerName: String, contactName: String, courseName: String, organisationName: String,
                completionDate: String, expiryDate: String?, certificateNumber: String, verificationURL: String) {
        self.providerName = providerName
        self.contactName = contactName
        self.courseName = courseName
        self.organisationName = organisationName
        self.completionDate = completionDate
        self.expiryDate = expiryDate
        self.certificateNumber = certificateNumber
        self.verificationURL = verificationURL
    }
}

/// Why a template was refused or a certificate could not be rendered; names the field.
public struct RenderError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}
