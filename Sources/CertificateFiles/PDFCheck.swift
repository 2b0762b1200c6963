internal import CQPDF
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Opens a PDF with qpdf and checks it the way `qpdf --check` does: the whole file is read and
/// written out to nowhere with every stream decoded and the pages' content streams tokenised,
/// and every page's content fetched and parsed (`ContentStreamSyntax`). Any error
/// or warning (qpdf warns when it had to repair damage) refuses the file. One `qpdf_data` per
/// call, so checks can run on many threads at once.
enum PDFCheck {
    static func check(_ bytes: [UInt8]) throws(FileRefusal) {
        let outcome: FileRefusal? = bytes.withUnsafeBufferPointer { input in
            input.withMemoryRebound(to: CChar.self) { text in
                // qpdf reads from the buffer until cleanup: everything happens inside this closure.
                var session = qpdf_init()
                defer { qpdf_cleanup(&session) }
                guard let qpdf = session else { return FileRefusal(reason: "the PDF could not be checked: out of memory") }
                return check(qpdf, text.baseAddress, UInt64(text.count))
            }
        }
        if let outcome { throw outcome }
    }

    private static func check(_ qpdf: OpaquePointer, _ bytes: UnsafePointer<CChar>?, _ count: UInt64) -> FileRefusal? {
        qpdf_silence_errors(qpdf)
        qpdf_set_suppress_warnings(qpdf, 1)
        if qpdf_read_memory(qpdf, "the PDF", bytes, count, nil) & cqpdf_errors() != 0 || qpdf_has_error(qpdf) != 0 {
            return lastError(qpdf)
        }
        if let warning = firstWarning(qpdf) { return warning }
        if qpdf_check_pdf(qpdf) & cqpdf_errors() != 0 || qpdf_has_error(qpdf) != 0 { return lastError(qpdf) }
        if let warning = firstWarning(qpdf) { return warning }
        // Writing with content normalisation tokenises every page's content stream: qpdf warns
        // about bad tokens there (as `qpdf --check` does when it parses the pages).
        if qpdf_init_write(qpdf, nullDevice) & cqpdf_errors() != 0 || qpdf_has_error(qpdf) != 0 { return lastError(qpdf) }
        qpdf_set_content_normalization(qpdf, 1)
        qpdf_set_decode_level(qpdf, qpdf_dl_all)
        if qpdf_write(qpdf) & cqpdf_errors() != 0 || qpdf_has_error(qpdf) != 0 { return lastError(qpdf) }
        if let warning = firstWarning(qpdf) { return warning }

        let pages = qpdf_get_num_pages(qpdf)
        if pages < 0 || qpdf_has_error(qpdf) != 0 { return lastError(qpdf) }
        if pages == 0 { return FileRefusal(reason: "the PDF has no pages") }
        for index in 0..<Int(pages) {
            let page = qpdf_get_page_n(qpdf, index)
            var content: UnsafeMutablePointer<UInt8>?
            var length = 0
            let code = qpdf_oh_get_page_content_data(qpdf, page, &content, &length)
            let bytes = content.map { Array(UnsafeBufferPointer(start: $0, count: length)) } ?? []
            free(content)
            if code & cqpdf_errors() != 0 || qpdf_has_error(qpdf) != 0 {
                return damaged(lastErrorText(qpdf), page: index + 1)
            }
            if let problem = ContentStreamSyntax.problem(in: bytes) {
                return FileRefusal(reason: "the PDF is damaged: page \(index + 1)'s content has \(problem)")
            }
            if let warning = firstWarning(qpdf) { return damaged(warning.reason, page: index + 1) }
            qpdf_oh_release_all(qpdf)
        }
        return nil
    }

    private static let nullDevice = "/dev/null"

    private static func damaged(_ reason: String, page: Int) -> FileRefusal {
        FileRefusal(reason: reason + " (page \(page))")
    }

    private static func lastError(_ qpdf: OpaquePointer) -> FileRefusal {
        let error = qpdf_get_error(qpdf)
        if let error, qpdf_get_error_code(qpdf, error) == qpdf_e_password {
            return FileRefusal(reason: "the PDF is encrypted and needs a password to open; upload it without the password")
        }
        return FileRefusal(reason: "the PDF is damaged: " + detail(qpdf, error))
    }

    private static func lastErrorText(_ qpdf: OpaquePointer) -> String {
        lastError(qpdf).reason
    }

    private static func firstWarning(_ qpdf: OpaquePointer) -> FileRefusal? {
        guard qpdf_more_warnings(qpdf) != 0, let warning = qpdf_next_warning(qpdf) else { return nil }
        return FileRefusal(reason: "the PDF is damaged: " + detail(qpdf, warning))
    }

    /// qpdf's own words, without the file name it was given, with the offset when it has one.
    private static func detail(_ qpdf: OpaquePointer, _ error: OpaquePointer?) -> String {
        guard let error else { return "unknown error" }
        var text = qpdf_get_error_message_detail(qpdf, error).map { String(cString: $0) } ?? ""
        if text.isEmpty { text = qpdf_get_error_full_text(qpdf, error).map { String(cString: $0) } ?? "" }
        if text.isEmpty { text = "unknown error" }
        let offset = qpdf_get_error_file_position(qpdf, error)
        return offset > 0 ? "\(text) (at byte \(offset))" : text
    }
}
