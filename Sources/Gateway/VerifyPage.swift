internal import HTTPServer
internal import Messages
internal import Foundation

/// The public verification page, rendered on the server: plain HTML with the portal's
/// styles and the provider's branding (colour from /branding/theme.css, since the CSP
/// allows no inline style or script). Every value is escaped; it shows only what
/// cert-store's Verification holds.
struct VerifyPage {
    var providerName: String
    var hasLogo: Bool

    func response(for verification: Certportal_Certificates_V1_Verification) -> HTTPResponse {
        let (label, badge, explanation) = switch verification.state {
        case "valid": ("Valid", "badge-certified", "This certificate is genuine and valid.")
        case "expired": ("Expired", "badge-expired", "This certificate is genuine but has expired.")
        case "revoked": ("Revoked", "badge-failed", "This certificate was revoked by the training provider and is no longer valid.")
        default: ("Unknown", "badge-pending", "The state of this certificate is unknown.")
        }
        let issuer = verification.provider.isEmpty ? providerName : verification.provider
        let rows: [(String, String)] = [
            ("Holder", verification.holder), ("Course", verification.course), ("Completed", verification.completionDate),
            ("Expires", verification.expiryDate.isEmpty ? "Does not expire" : verification.expiryDate),
            ("Certificate number", verification.certificateNumber), ("Issued by", issuer),
        ]
        let content = """
            <p class="verify-state"><span class="badge \(badge)">\(Self.escape(label))</span> \(Self.escape(explanation))</p>
            <dl class="verify-facts">
            \(rows.map { "<dt>\(Self.escape($0.0))</dt><dd>\(Self.escape($0.1))</dd>" }.joined(separator: "\n"))
            </dl>
            """
        return page(status: 200, title: "Certificate \(label.lowercased())", content: content)
    }

    func response(status: Int, title: String, message: String) -> HTTPResponse {
        page(status: status, title: title, content: "<p>\(Self.escape(message))</p>")
    }

    private func page(status: Int, title: String, content: String) -> HTTPResponse {
        let logo = hasLogo ? "<img class=\"brand-logo\" src=\"/branding/logo\" alt=\"\">" : ""
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex">
            <title>\(Self.escape(title)) — \(Self.escape(providerName))</title>
            <link rel="stylesheet" href="/static/app.css">
            <link rel="stylesheet" href="/branding/theme.css">
            </head>
            <body class="verify-page">
            <header class="topbar"><div class="brand">\(logo)<span class="brand-name">\(Self.escape(providerName))</span></div></header>
            <main class="card verify-card">
            <h1>\(Self.escape(title))</h1>
            \(content)
            </main>
            </body>
            </html>

            """
        return HTTPResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8))
    }

    /// The provider's colour as the portal's CSS variables.
    static func theme(colour: String) -> HTTPResponse {
        let safe = colour.count == 7 && colour.hasPrefix("#") && colour.dropFirst().allSatisfy(\.isHexDigit) ? colour : "#1f5fa8"
        let css = ":root { --brand: \(safe); --brand-ink: \(ink(safe)); --brand-strong: \(safe); }\n"
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/css; charset=utf-8"), ("Cache-Control", "no-cache")], body: Array(css.utf8))
    }

    /// White or near-black, whichever reads better on `colour` (#rrggbb).
    static func ink(_ colour: String) -> String {
        let digits = Array(colour.dropFirst())
        let channel = { (index: Int) -> Double in
            let value = Double(Int(String(digits[index * 2...index * 2 + 1]), radix: 16) ?? 0) / 255
            return value <= 0.03928 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
        }
        let luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
        return luminance > 0.179 ? "#111111" : "#ffffff"
    }

    /// Text for HTML content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
