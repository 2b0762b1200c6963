internal import Records
internal import TextTemplate

/// Fills, checks and renders certificates. Every call owns its cairo and pango objects, so
/// any number of threads may render at once.
public enum CertificateRenderer {
    /// Every `{name}` that `fill` replaces.
    public static let placeholders: [String] = Placeholder.allCases.map(\.rawValue)

    /// `text` with every known `{name}` replaced by the content's value (dates readable, a
    /// missing expiry as "does not expire"). Values are inserted as they are: a `{…}` inside
    /// a name is not expanded again. Unknown placeholders are left as written.
    public static func fill(_ text: String, _ content: CertificateContent) -> String {
        filled(text, content).text
    }

    /// `fill`'s text, and the UTF-8 byte ranges of the dates in it (the page keeps each on one line).
    static func filled(_ text: String, _ content: CertificateContent) -> (text: String, unbroken: [Range<Int>]) {
        var unbroken: [Range<Int>] = []
        let text = TextTemplate.fill(text, filled: { name, range in
            if name == Placeholder.completionDate.rawValue || name == Placeholder.expiryDate.rawValue { unbroken.append(range) }
        }) { name in Placeholder(rawValue: name)?.value(in: content) }
        return (text, unbroken)
    }

    /// Checks a template an admin edits: colours, known placeholders only (an unknown `{x}`
    /// is an error naming it), lengths, logo is a real PNG.
    public static func validate(_ template: CertificateTemplate) throws(RenderError) {
        _ = try Palette(template)
        try checkLength(template.templateID, field: "templateID", allowed: 1...64)
        try checkLength(template.name, field: "name", allowed: 1...120)
        for (field, text, allowed) in [("title", template.title, 1...120), ("body", template.body, 1...1000),
                                       ("footer", template.footer, 0...400), ("signatory", template.signatory, 0...100)] {
            try checkLength(text, field: field, allowed: allowed)
            try checkPlaceholders(text, field: field)
        }
        if let logo = template.logoPNG {
            guard logo.count <= Logo.maximumBytes else {
                throw RenderError("logoPNG: \(logo.count) bytes, at most \(Logo.maximumBytes) allowed")
            }
            _ = try Logo(png: logo)
        }
    }

    /// The certificate as PDF bytes: one A4 page with the template's frame, texts and logo,
    /// the content filled in, and a QR code of the verification URL.
    public static func render(_ template: CertificateTemplate, _ content: CertificateContent) throws(RenderError) -> [UInt8] {
        try validate(template)
        try check(content)
        return try CertificatePage(template: template, content: content).pdf()
    }

    // MARK: Checks

    static func checkLength(_ text: String, field: String, allowed: ClosedRange<Int>) throws(RenderError) {
        let count = text.count
        if count < allowed.lowerBound {
            throw RenderError("\(field): empty")
        }
        if count > allowed.upperBound {
            throw RenderError("\(field): \(count) characters, at most \(allowed.upperBound) allowed")
        }
    }

    /// Every `{` opens a known placeholder that a `}` closes.
    static func checkPlaceholders(_ text: String, field: String) throws(RenderError) {
        do {
            try TextTemplate.check(text, field: field, known: placeholders)
        } catch {
            throw RenderError(error.description)
        }
    }

    static func check(_ content: CertificateContent) throws(RenderError) {
        // At most 200 URL bytes: a QR code of version 10 or less, whose modules stay big enough to scan.
        for (field, text, allowed) in [("providerName", content.providerName, 1...120),
                                       ("contactName", content.contactName, 1...200),
                                       ("courseName", content.courseName, 1...200),
                                       ("organisationName", content.organisationName, 0...200),
                                       ("certificateNumber", content.certificateNumber, 1...64),
                                       ("verificationURL", content.verificationURL, 1...200)] {
            try checkLength(text, field: field, allowed: allowed)
        }
        guard CalendarDate(iso: content.completionDate) != nil else {
            throw RenderError("completionDate: \"\(content.completionDate)\" is not an ISO date (yyyy-mm-dd)")
        }
        if let expiry = content.expiryDate, CalendarDate(iso: expiry) == nil {
            throw RenderError("expiryDate: \"\(expiry)\" is not an ISO date (yyyy-mm-dd)")
        }
        // The QR payload: printable ASCII keeps every reader agreeing on the bytes.
        guard content.verificationURL.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw RenderError("verificationURL: must be printable ASCII without spaces (percent-encode the rest)")
        }
    }
}

/// The names `fill` knows, and what each stands for.
enum Placeholder: String, CaseIterable {
    case providerName = "provider_name"
    case contactName = "contact_name"
    case courseName = "course_name"
    case organisationName = "organisation_name"
    case completionDate = "completion_date"
    case expiryDate = "expiry_date"
    case certificateNumber = "certificate_number"
    case verificationURL = "verification_url"

    /// What a missing expiry reads as, in a sentence.
    static let neverExpires = "does not expire"

    func value(in content: CertificateContent) -> String {
        switch self {
        case .providerName: content.providerName
        case .contactName: content.contactName
        case .courseName: content.courseName
        case .organisationName: content.organisationName
        case .completionDate: CalendarDate.readable(content.completionDate)
        case .expiryDate: content.expiryDate.map(CalendarDate.readable) ?? Self.neverExpires
        case .certificateNumber: content.certificateNumber
        case .verificationURL: content.verificationURL
        }
    }
}

/// An sRGB colour from `#rrggbb`.
struct Colour: Equatable {
    let red: Double, green: Double, blue: Double

    init(red: Double, green: Double, blue: Double) { (self.red, self.green, self.blue) = (red, green, blue) }

    init?(hex: String) {
        let digits = hex.dropFirst()
        guard hex.first == "#", digits.count == 6, digits.allSatisfy(\.isHexDigit),
              let value = UInt32(digits, radix: 16) else { return nil }
        red = Double(value >> 16 & 0xff) / 255
        green = Double(value >> 8 & 0xff) / 255
        blue = Double(value & 0xff) / 255
    }

    /// This colour moved towards `other` by `fraction` (0: self, 1: other).
    func mixed(with other: Colour, _ fraction: Double) -> Colour {
        Colour(red: red + (other.red - red) * fraction, green: green + (other.green - green) * fraction,
               blue: blue + (other.blue - blue) * fraction)
    }

    static let white = Colour(red: 1, green: 1, blue: 1)
    static let ink = Colour(red: 0.13, green: 0.14, blue: 0.16)
    static let muted = Colour(red: 0.38, green: 0.40, blue: 0.44)
    static let qrDark = Colour(red: 0, green: 0, blue: 0)
}

/// A template's two colours, parsed.
struct Palette {
    let primary: Colour, accent: Colour

    init(_ template: CertificateTemplate) throws(RenderError) {
        guard let primary = Colour(hex: template.primaryColour) else {
            throw RenderError("primaryColour: \"\(template.primaryColour)\" is not a colour like #1f3a5f")
        }
        guard let accent = Colour(hex: template.accentColour) else {
            throw RenderError("accentColour: \"\(template.accentColour)\" is not a colour like #b08d3c")
        }
        (self.primary, self.accent) = (primary, accent)
    }
}
