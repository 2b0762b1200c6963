internal import HTTPServer
internal import Foundation

/// The portal's pages, styles and scripts, read once at start from the folder built into
/// the gateway (or `--web DIR`), and the provider's logo.
struct Assets: Sendable {
    struct File: Sendable {
        var bytes: [UInt8]
        var contentType: String
        var etag: String
    }
    let files: [String: File]

    init(root: String?) throws {
        guard let directory = root ?? Bundle.module.url(forResource: "Web", withExtension: nil)?.path else {
            throw AssetsError(description: "the portal's web files are missing from the gateway's bundle")
        }
        var files: [String: File] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            let path = (directory as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !relative.hasPrefix("."), let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            var hash: UInt64 = 0xcbf29ce484222325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
            files[relative] = File(bytes: bytes, contentType: Self.contentType(relative), etag: "\"\(String(hash, radix: 16))\"")
        }
        self.files = files
    }

    static func contentType(_ name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "ico": "image/x-icon"
        case "woff2": "font/woff2"
        default: "application/octet-stream"
        }
    }

    /// `/` and any page path the single-page portal routes itself get index.html;
    /// `/static/<file>` the file; `/branding/logo` the logo.
    func response(for request: HTTPRequest, logo: (bytes: [UInt8], contentType: String)?) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPResponse(status: 405, headers: [("Allow", "GET, HEAD"), ("Content-Type", "text/plain; charset=utf-8")], body: Array("Method not allowed\n".utf8))
        }
        if request.path == "/branding/logo" {
            guard let logo else { return notFound }
            return HTTPResponse(status: 200, headers: [("Content-Type", logo.contentType), ("Cache-Control", "public, max-age=3600")], body: logo.bytes)
        }
        let name: String
        if request.path.hasPrefix("/static/") {
            name = String(request.path.dropFirst("/static/".count))
        } else if request.path == "/" || request.path == "/index.html" || Self.pagePaths.contains(request.path) {
            name = "index.html"
        } else {
            return notFound
        }
        guard !name.contains(".."), let file = files[name] else { return notFound }
        if request.header("if-none-match") == file.etag {
            return HTTPResponse(status: 304, headers: [("ETag", file.etag)])
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", file.contentType), ("ETag", file.etag), ("Cache-Control", "no-cache")],
                            body: request.method == "HEAD" ? [] : file.bytes)
    }

    /// Paths the portal's own navigation uses.
    static let pagePaths: Set<String> = ["/records", "/matrix", "/forecast", "/login"]

    private var notFound: HTTPResponse {
        HTTPResponse(status: 404, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array("Not found\n".utf8))
    }
}

struct AssetsError: Error, CustomStringConvertible {
    let description: String
}
