internal import CCairo
internal import Records

/// One certificate being drawn: a cairo PDF surface writing into memory, its context and a
/// pango context, all created, used and destroyed by one `pdf()` call on one thread.
struct CertificatePage {
    let template: CertificateTemplate
    let content: CertificateContent

    /// Margins, in points, of the frame and the content inside it.
    static let outerFrameInset = 20.0, innerFrameInset = 31.0
    static let contentInsetX = 62.0, contentInsetY = 50.0
    /// The landscape design's content height; portrait pages stretch the rows by their ratio.
    static let designHeight = 495.28

    func pdf() throws(RenderError) -> [UInt8] {
        let palette = try Palette(template)
        let logo = try template.logoPNG.map { (png) throws(RenderError) in try Logo(png: png) }
        let qr = try QRCode(content.verificationURL)

        let sink = PDFBytes()
        let (width, height) = template.orientation.size
        // The surface writes into `sink` until it is destroyed (also on the error paths, when
        // destroying finishes it): everything cairo holds is released inside this closure.
        try withExtendedLifetime(sink) { () throws(RenderError) in
            let surface = cairo_pdf_surface_create_for_stream(appendToPDF, Unmanaged.passUnretained(sink).toOpaque(), width, height)!
            defer { cairo_surface_destroy(surface) }
            try check(cairo_surface_status(surface), "PDF surface")
            let cr = cairo_create(surface)!
            defer { cairo_destroy(cr) }
            let pango = pango_cairo_create_context(cr)!
            defer { g_object_unref(UnsafeMutableRawPointer(pango)) }
            setMetadata(surface)
            // Metrics unhinted: text is measured as it prints, at any zoom.
            let options = cairo_font_options_create()
            cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
            cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
            pango_cairo_context_set_font_options(pango, options)
            cairo_font_options_destroy(options)

            let drawing = Drawing(cr: cr, pango: pango, palette: palette, width: width, height: height)
            drawFrame(drawing)
            try drawText(drawing, logo: logo, qr: qr)

            cairo_show_page(cr)
            try check(cairo_status(cr), "drawing")
            cairo_surface_finish(surface)
            try check(cairo_surface_status(surface), "PDF output")
        }
        return sink.bytes
    }

    private func check(_ status: cairo_status_t, _ what: String) throws(RenderError) {
        guard status == CAIRO_STATUS_SUCCESS else {
            throw RenderError("\(what): cairo failed (\(String(cString: cairo_status_to_string(status))))")
        }
    }

    private func setMetadata(_ surface: OpaquePointer) {
        let title = CertificateRenderer.fill(template.title, content)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, "\(title) — \(content.contactName)")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, content.providerName)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_SUBJECT, content.courseName)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_KEYWORDS, content.certificateNumber)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "CertPortal")
    }

    /// The page's cairo and pango contexts, colours and geometry.
    struct Drawing {
        let cr: OpaquePointer, pango: OpaquePointer
        let palette: Palette
        let width: Double, height: Double

        var left: Double { CertificatePage.contentInsetX }
        var contentWidth: Double { width - 2 * CertificatePage.contentInsetX }
        var top: Double { CertificatePage.contentInsetY }
        /// Vertical stretch of the landscape design's rows (1 in landscape).
        var stretch: Double { (height - 2 * CertificatePage.contentInsetY) / CertificatePage.designHeight }
        /// A row of the landscape design at `y` (from the content's top), on this page.
        func row(_ y: Double) -> Double { top + y * stretch }

        func block(_ text: String, field: String, _ style: TextStyle, width: Double, maxHeight: Double,
                   maxLines: Int, unbroken: [Range<Int>] = []) throws(RenderError) -> TextBlock {
            try TextBlock(text, field: field, style: style, width: width, maxHeight: maxHeight, maxLines: maxLines,
                          unbroken: unbroken, context: pango)
        }
    }

    // MARK: Frame

    private func drawFrame(_ d: Drawing) {
        let cr = d.cr, p = d.palette
        // Paper: white warmed by a trace of the accent.
        setSource(cr, Colour.white.mixed(with: p.accent, 0.045))
        cairo_paint(cr)

        let outer = Self.outerFrameInset, inner = Self.innerFrameInset
        setSource(cr, p.primary)
        cairo_set_line_width(cr, 7)
        cairo_rectangle(cr, outer, outer, d.width - 2 * outer, d.height - 2 * outer)
        cairo_stroke(cr)

        setSource(cr, p.accent)
        cairo_set_line_width(cr, 1.2)
        cairo_rectangle(cr, inner, inner, d.width - 2 * inner, d.height - 2 * inner)
        cairo_stroke(cr)
        cairo_set_line_width(cr, 0.5)
        cairo_rectangle(cr, inner + 3.5, inner + 3.5, d.width - 2 * inner - 7, d.height - 2 * inner - 7)
        cairo_stroke(cr)

        // A diamond at each corner of the inner frame.
        for (x, y) in [(inner, inner), (d.width - inner, inner), (inner, d.height - inner), (d.width - inner, d.height - inner)] {
            diamond(cr, x: x, y: y, radius: 7)
            setSource(cr, p.accent)
            cairo_fill_preserve(cr)
            setSource(cr, p.primary)
            cairo_set_line_width(cr, 1)
            cairo_stroke(cr)
        }
    }

    private func diamond(_ cr: OpaquePointer, x: Double, y: Double, radius: Double) {
        cairo_move_to(cr, x, y - radius)
        cairo_line_to(cr, x + radius, y)
        cairo_line_to(cr, x, y + radius)
        cairo_line_to(cr, x - radius, y)
        cairo_close_path(cr)
    }

    /// A horizontal accent rule centred on `x`, with a small diamond in its middle.
    private func ornamentRule(_ d: Drawing, centreX x: Double, y: Double, halfWidth: Double) {
        let cr = d.cr
        setSource(cr, d.palette.accent)
        cairo_set_line_width(cr, 1)
        cairo_move_to(cr, x - halfWidth, y)
        cairo_line_to(cr, x - 8, y)
        cairo_move_to(cr, x + 8, y)
        cairo_line_to(cr, x + halfWidth, y)
        cairo_stroke(cr)
        diamond(cr, x: x, y: y, radius: 3.5)
        cairo_fill(cr)
    }

    // MARK: Texts, logo, QR code

    private func drawText(_ d: Drawing, logo: Logo?, qr: QRCode) throws(RenderError) {
        let p = d.palette, cr = d.cr
        let centreX = d.width / 2

        // Header: logo top-left, the provider's name centred, letter-spaced capitals.
        let logoBox = (width: min(150, d.contentWidth * 0.22), height: 58.0)
        if let logo { drawLogo(logo, d, x: d.left, y: d.top, box: logoBox) }
        let headerWidth = logo == nil ? d.contentWidth : d.contentWidth - 2 * (logoBox.width + 12)
        let provider = try d.block(content.providerName.uppercased(), field: "providerName",
                                   TextStyle(size: 13, oneLineMinimum: 10, minimum: 7, weight: PANGO_WEIGHT_SEMIBOLD,
                                             colour: p.accent.mixed(with: .ink, 0.25)),
                                   width: headerWidth, maxHeight: 40, maxLines: 2)
        provider.draw(on: cr, x: centreX - headerWidth / 2, y: d.row(20) - provider.extent.height / 2)

        // Title.
        let title = try d.block(CertificateRenderer.fill(template.title, content), field: "title",
                                TextStyle(families: TextStyle.titleFamilies, size: 40, oneLineMinimum: 26, minimum: 16,
                                          weight: PANGO_WEIGHT_BOLD, colour: p.primary),
                                width: d.contentWidth, maxHeight: 66 * d.stretch, maxLines: 2)
        title.draw(on: cr, x: d.left, y: d.row(84) - title.extent.height / 2)
        ornamentRule(d, centreX: centreX, y: d.row(126), halfWidth: 90)

        // The statement, split around the delegate's name, which stands large on its own line.
        let parts = bodyAroundName()
        let bodyStyle = TextStyle(size: 15, oneLineMinimum: 15, minimum: 6, colour: .ink, lineSpacing: 1.1)
        let bodyWidth = min(d.contentWidth, 620)
        if !parts.before.text.isEmpty {
            let before = try d.block(parts.before.text, field: "body", bodyStyle, width: bodyWidth, maxHeight: 44 * d.stretch,
                                     maxLines: 20, unbroken: parts.before.unbroken)
            before.draw(on: cr, x: centreX - bodyWidth / 2, y: d.row(170) - before.extent.height)
        }
        let name = try d.block(content.contactName, field: "contactName",
                               TextStyle(size: 38, oneLineMinimum: 20, minimum: 11, weight: PANGO_WEIGHT_BOLD, colour: p.primary),
                               width: d.contentWidth, maxHeight: 76 * d.stretch, maxLines: 3,
                               unbroken: TextBlock.hyphenJoins(content.contactName))
        let nameCentre = d.row(212)
        name.draw(on: cr, x: d.left, y: nameCentre - name.extent.height / 2)
        let underline = min(d.contentWidth, max(name.inkWidth + 40, 240)) / 2
        setSource(cr, p.accent)
        cairo_set_line_width(cr, 0.8)
        cairo_move_to(cr, centreX - underline, d.row(254))
        cairo_line_to(cr, centreX + underline, d.row(254))
        cairo_stroke(cr)
        if !parts.after.text.isEmpty {
            let after = try d.block(parts.after.text, field: "body", bodyStyle, width: bodyWidth, maxHeight: 72 * d.stretch,
                                    maxLines: 30, unbroken: parts.after.unbroken)
            after.draw(on: cr, x: centreX - bodyWidth / 2, y: d.row(264))
        }

        // Dates and number, three columns.
        let columnWidth = min(170.0, d.contentWidth / 3)
        let expiry = content.expiryDate.map(CalendarDate.readable) ?? "Does not expire"
        let columns = [("COMPLETED", CalendarDate.readable(content.completionDate), "completionDate"),
                       ("VALID UNTIL", expiry, "expiryDate"),
                       ("CERTIFICATE NO.", content.certificateNumber, "certificateNumber")]
        let labelStyle = TextStyle(size: 7.5, oneLineMinimum: 7.5, minimum: 6, weight: PANGO_WEIGHT_SEMIBOLD,
                                   colour: p.accent.mixed(with: .ink, 0.2))
        let valueStyle = TextStyle(size: 13, oneLineMinimum: 10, minimum: 7, weight: PANGO_WEIGHT_SEMIBOLD, colour: .ink)
        for (index, (label, value, field)) in columns.enumerated() {
            let x = centreX + Double(index - 1) * columnWidth - columnWidth / 2
            let labelBlock = try d.block(label, field: field, labelStyle, width: columnWidth - 10, maxHeight: 12, maxLines: 1)
            labelBlock.draw(on: cr, x: x + 5, y: d.row(338))
            let valueBlock = try d.block(value, field: field, valueStyle, width: columnWidth - 10, maxHeight: 34, maxLines: 2)
            valueBlock.draw(on: cr, x: x + 5, y: d.row(352))
            if index > 0 {
                setSource(cr, p.accent)
                cairo_set_line_width(cr, 0.6)
                cairo_move_to(cr, x, d.row(338))
                cairo_line_to(cr, x, d.row(338) + 36)
                cairo_stroke(cr)
            }
        }

        // Bottom: signature line left, QR code right, the small print between them in
        // landscape and under them (full width) in portrait, where the columns are narrow.
        let qrSide = 86.0, qrColumn = 170.0
        let footerBeside = template.orientation == .landscape
        let footerWidth = footerBeside ? d.contentWidth - 2 * (qrColumn + 12) : d.contentWidth
        let footerHeight = 34.0
        let bottom = d.height - Self.contentInsetY - (footerBeside ? 0 : footerHeight + 10)
        if !template.footer.isEmpty {
            let filled = Filled(template.footer, content)
            let footer = try d.block(filled.text, field: "footer",
                                     TextStyle(size: 7.5, oneLineMinimum: 7.5, minimum: 5, colour: .muted),
                                     width: footerWidth, maxHeight: footerHeight, maxLines: 6, unbroken: filled.unbroken)
            footer.draw(on: cr, x: centreX - footerWidth / 2, y: d.height - Self.contentInsetY - footer.extent.height)
        }

        let signatureWidth = 200.0, signatureY = bottom - 56
        setSource(cr, Colour.ink)
        cairo_set_line_width(cr, 0.7)
        cairo_move_to(cr, d.left + 10, signatureY)
        cairo_line_to(cr, d.left + 10 + signatureWidth, signatureY)
        cairo_stroke(cr)
        if !template.signatory.isEmpty {
            let signatory = try d.block(CertificateRenderer.fill(template.signatory, content), field: "signatory",
                                        TextStyle(size: 11, oneLineMinimum: 8, minimum: 6.5, weight: PANGO_WEIGHT_SEMIBOLD, colour: .ink),
                                        width: signatureWidth, maxHeight: 28, maxLines: 2)
            signatory.draw(on: cr, x: d.left + 10, y: signatureY + 5)
        }
        let signatoryOrg = try d.block(content.providerName, field: "providerName",
                                       TextStyle(size: 8.5, oneLineMinimum: 6.5, minimum: 5, colour: .muted),
                                       width: signatureWidth, maxHeight: 22, maxLines: 2)
        signatoryOrg.draw(on: cr, x: d.left + 10, y: signatureY + 33)

        let qrColumnX = d.left + d.contentWidth - qrColumn
        let qrTop = bottom - qrSide - 30
        drawQR(qr, d, x: qrColumnX + (qrColumn - qrSide) / 2, y: qrTop, side: qrSide)
        let url = try d.block(content.verificationURL, field: "verificationURL",
                              TextStyle(size: 7, oneLineMinimum: 7, minimum: 4.5, colour: .muted, wrap: PANGO_WRAP_CHAR),
                              width: qrColumn, maxHeight: 28, maxLines: 4)
        url.draw(on: cr, x: qrColumnX, y: qrTop + qrSide + 2)
    }

    /// The filled body before and after the delegate's name; without `{contact_name}` in
    /// the body the name stands between the body and nothing.
    private func bodyAroundName() -> (before: Filled, after: Filled) {
        let marker = "{\(Placeholder.contactName.rawValue)}"
        guard let range = template.body.firstRange(of: marker) else {
            return (Filled(template.body, content), Filled("", content))
        }
        return (Filled(String(template.body[..<range.lowerBound]), content),
                Filled(String(template.body[range.upperBound...]), content))
    }

    /// A template text filled in, white space trimmed at both ends, with its unbreakable ranges.
    struct Filled {
        let text: String
        let unbroken: [Range<Int>]

        init(_ template: String, _ content: CertificateContent) {
            let (filled, unbroken) = CertificateRenderer.filled(template, content)
            let start = filled.drop(while: \.isWhitespace)
            let leading = filled.utf8.count - start.utf8.count
            text = String(start.reversed().drop(while: \.isWhitespace).reversed())
            let end = text.utf8.count
            self.unbroken = unbroken.compactMap { range in
                let shifted = (range.lowerBound - leading)..<min(range.upperBound - leading, end)
                return shifted.lowerBound >= 0 && !shifted.isEmpty ? shifted : nil
            }
        }
    }

    private func drawLogo(_ logo: Logo, _ d: Drawing, x: Double, y: Double, box: (width: Double, height: Double)) {
        let cr = d.cr
        let scale = min(box.width / logo.width, box.height / logo.height)
        cairo_save(cr)
        cairo_translate(cr, x, y + (box.height - logo.height * scale) / 2)
        cairo_scale(cr, scale, scale)
        cairo_set_source_surface(cr, logo.surface, 0, 0)
        cairo_paint(cr)
        cairo_restore(cr)
    }

    /// The QR code on white with a four-module quiet zone, `side` points square in all;
    /// each row's dark runs as rectangles of one path, filled once (no seams between modules).
    private func drawQR(_ qr: QRCode, _ d: Drawing, x: Double, y: Double, side: Double) {
        let cr = d.cr
        let quiet = 4
        let module = side / Double(qr.width + 2 * quiet)
        setSource(cr, .white)
        cairo_rectangle(cr, x, y, side, side)
        cairo_fill(cr)
        let originX = x + Double(quiet) * module, originY = y + Double(quiet) * module
        for row in 0..<qr.width {
            var column = 0
            while column < qr.width {
                guard qr.isDark(row: row, column: column) else { column += 1; continue }
                let start = column
                while column < qr.width && qr.isDark(row: row, column: column) { column += 1 }
                cairo_rectangle(cr, originX + Double(start) * module, originY + Double(row) * module,
                                Double(column - start) * module, module)
            }
        }
        setSource(cr, .qrDark)
        cairo_fill(cr)
    }
}
