internal import CCairo

/// How a piece of text is set: the font size it starts at, how far it may shrink, weight and colour.
struct TextStyle {
    /// Latin, Greek and Cyrillic first, then the scripts names come in; DejaVu last.
    static let families = "Noto Sans, Noto Sans Arabic, Noto Sans Hebrew, Noto Sans CJK SC, DejaVu Sans"
    /// The title's face: a serif, with the sans list behind it for other scripts.
    static let titleFamilies = "Noto Serif, Noto Sans Arabic, Noto Sans Hebrew, Noto Serif CJK SC, Noto Sans CJK SC, DejaVu Sans"

    var families = TextStyle.families
    var size: Double
    /// Shrink down to this size on one line before wrapping (`size`: wrap at once, as a paragraph does).
    var oneLineMinimum: Double
    /// The smallest size; text that does not fit at it is an error, never an overflow.
    var minimum: Double
    var weight: PangoWeight = PANGO_WEIGHT_NORMAL
    var colour: Colour
    var letterSpacing: Double = 0
    var wrap: PangoWrapMode = PANGO_WRAP_WORD_CHAR
    var lineSpacing: Double = 0
}

/// One piece of text laid out by pango in a box of a given width: shaped (bidi included),
/// wrapped and shrunk to fit. Owns its layout.
final class TextBlock {
    static let scale = Double(PANGO_SCALE)

    let layout: OpaquePointer
    let style: TextStyle
    let width: Double
    private(set) var size: Double

    /// `text` set in `style`, `width` wide, shrunk until it fits `maxHeight` in at most
    /// `maxLines` lines; `field` names the text in errors.
    /// `unbroken`: UTF-8 byte ranges of `text` that stay on one line.
    init(_ text: String, field: String, style: TextStyle, width: Double, maxHeight: Double, maxLines: Int,
         unbroken: [Range<Int>] = [], alignment: PangoAlignment = PANGO_ALIGN_CENTER,
         context: OpaquePointer) throws(RenderError) {
        layout = pango_layout_new(context)
        self.style = style
        self.width = width
        size = style.size
        pango_layout_set_text(layout, text, -1)
        pango_layout_set_alignment(layout, alignment)
        pango_layout_set_wrap(layout, style.wrap)
        if style.letterSpacing > 0 || !unbroken.isEmpty {
            let attributes = pango_attr_list_new()
            if style.letterSpacing > 0 {
                pango_attr_list_insert(attributes, pango_attr_letter_spacing_new(Int32(style.letterSpacing * Self.scale)))
            }
            for range in unbroken {
                let attribute = pango_attr_allow_breaks_new(0)!
                attribute.pointee.start_index = UInt32(range.lowerBound)
                attribute.pointee.end_index = UInt32(range.upperBound)
                pango_attr_list_insert(attributes, attribute)
            }
            pango_layout_set_attributes(layout, attributes)
            pango_attr_list_unref(attributes)
        }
        if style.lineSpacing > 0 { pango_layout_set_line_spacing(layout, Float(style.lineSpacing)) }
        setSize(size)

        // First shrink on one line (a name reads best unbroken), then wrap and shrink further.
        pango_layout_set_width(layout, -1)
        let natural = extent.width
        if natural > width {
            size = max(style.oneLineMinimum, (size * width / natural * 0.99 * 4).rounded(.down) / 4)
            setSize(size)
        }
        pango_layout_set_width(layout, Int32(width * Self.scale))
        while extent.height > maxHeight || pango_layout_get_line_count(layout) > maxLines {
            guard size > style.minimum else {
                throw RenderError("\(field): too long to fit its place on the certificate (\(text.count) characters)")
            }
            size = max(style.minimum, size * 0.92)
            setSize(size)
        }
        let unknown = pango_layout_get_unknown_glyphs_count(layout)
        guard unknown == 0 else {
            throw RenderError("\(field): no installed font can draw \(unknown) character(s) of \"\(text)\"")
        }
    }

    /// The UTF-8 ranges that join each hyphen to the character after it: a name breaks at
    /// its spaces, never after the hyphen of a double-barrelled name (which text extraction
    /// would read as a hyphenated word and join up without it).
    static func hyphenJoins(_ text: String) -> [Range<Int>] {
        var joins: [Range<Int>] = []
        var offset = 0
        var hyphenAt: Int?
        for scalar in text.unicodeScalars {
            let length = UTF8.width(scalar)
            if let start = hyphenAt { joins.append(start..<(offset + length)) }
            hyphenAt = ["-", "\u{2010}", "\u{2011}"].contains(scalar) ? offset : nil
            offset += length
        }
        return joins
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(layout)) }

    private func setSize(_ size: Double) {
        let font = pango_font_description_new()
        defer { pango_font_description_free(font) }
        pango_font_description_set_family(font, style.families)
        pango_font_description_set_weight(font, style.weight)
        pango_font_description_set_absolute_size(font, size * Self.scale)
        pango_layout_set_font_description(layout, font)
    }

    /// The logical size of the laid-out text in points.
    var extent: (width: Double, height: Double) {
        var logical = PangoRectangle()
        pango_layout_get_extents(layout, nil, &logical)
        return (Double(logical.width) / Self.scale, Double(logical.height) / Self.scale)
    }

    /// Width of the widest line's ink, for rules drawn under a line.
    var inkWidth: Double {
        var ink = PangoRectangle()
        pango_layout_get_extents(layout, &ink, nil)
        return Double(ink.width) / Self.scale
    }

    /// Draws the block with its box's top-left corner at (`x`, `y`).
    func draw(on cr: OpaquePointer, x: Double, y: Double) {
        setSource(cr, style.colour)
        cairo_move_to(cr, x, y)
        pango_cairo_show_layout(cr, layout)
    }
}

/// Sets a cairo context's source colour.
func setSource(_ cr: OpaquePointer, _ colour: Colour) {
    cairo_set_source_rgb(cr, colour.red, colour.green, colour.blue)
}
