extension CommandLineArguments {
    /// The environment variable every service reads the portal's public address from when
    /// its flag is not given.
    public static let publicURLVariable = "CERTPORTAL_PUBLIC_URL"

    /// The address users reach the portal at, for QR codes and links: `--name URL`, else
    /// `$CERTPORTAL_PUBLIC_URL`; nil when neither is set. It must be an http(s) URL in
    /// ASCII with a host; a trailing slash is dropped, so paths can be appended.
    public func publicURL(_ name: String, environment: [String: String]) throws(Failure) -> String? {
        let given = string(name)
        guard let url = given ?? environment[Self.publicURLVariable], !url.isEmpty else {
            if flag(name) { throw Failure(description: "\(name): a URL is required, such as https://portal.example.com") }
            return nil
        }
        let source = given == nil ? Self.publicURLVariable : name
        let scheme = url.hasPrefix("https://") ? "https://" : url.hasPrefix("http://") ? "http://" : nil
        guard let scheme, url.count > scheme.count, url.allSatisfy({ $0.isASCII && !$0.isWhitespace }),
              !url.dropFirst(scheme.count).hasPrefix("/") else {
            throw Failure(description: "\(source): must be an http(s) URL in ASCII, such as https://portal.example.com; found \"\(url)\"")
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
