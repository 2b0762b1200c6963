public import Foundation
#if canImport(FoundationNetworking)
internal import FoundationNetworking
#endif

/// An HTTP answer as tests look at it.
public struct HTTPAnswer: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data

    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as a JSON object (or array), nil when it is not JSON.
    public var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    public var object: [String: Any] { json as? [String: Any] ?? [:] }
    /// `error.code` of an API error answer.
    public var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    public var errorField: String? { (object["error"] as? [String: Any])?["field"] as? String }
}

/// No cookie store: each test sends the cookies it means to (a shared store would send
/// one user's cookie with another's request).
private let session: URLSession = {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpCookieStorage = nil
    configuration.httpShouldSetCookies = false
    configuration.httpCookieAcceptPolicy = .never
    return URLSession(configuration: configuration)
}()

/// One HTTP request with Foundation's client (an independent implementation of the
/// protocol), cookies handled by the caller.
public func fetch(_ url: String, method: String = "GET", headers: [String: String] = [:], body: Data? = nil) async throws -> HTTPAnswer {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.httpShouldHandleCookies = false
    request.timeoutInterval = 30
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    request.httpBody = body
    let (data, response) = try await session.data(for: request)
    let http = response as! HTTPURLResponse
    var fields: [String: String] = [:]
    for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
    return HTTPAnswer(status: http.statusCode, headers: fields, body: data)
}
