/// The kinds of file an uploaded third-party certificate may be.
public enum CertificateFileKind: String, Sendable, CaseIterable {
    case pdf, png, jpeg

    /// The media type to serve the file with.
    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        }
    }

    /// The extension a stored or downloaded file gets (from its content, never from the upload's name).
    public var fileExtension: String {
        switch self {
        case .pdf: "pdf"
        case .png: "png"
        case .jpeg: "jpg"
        }
    }

    /// What a person calls it in a sentence.
    var displayName: String {
        switch self {
        case .pdf: "PDF"
        case .png: "PNG"
        case .jpeg: "JPEG"
        }
    }
}

/// Why an uploaded file is refused, as a sentence a user understands.
public struct FileRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// For example "the file is a PNG that ends early (truncated)".
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
