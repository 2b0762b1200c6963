internal import Foundation

/// Structured logs: one JSON object per line on standard error, with the request id.
public struct Logger: Sendable {
    public let component: String

    public init(_ component: String) { self.component = component }

    public enum Level: String, Sendable, Comparable, CaseIterable {
        case debug, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// Lines below this level are dropped: `CERTPORTAL_LOG_LEVEL` (debug, info, warning,
    /// error), default info.
    static let minimumLevel: Level = ProcessInfo.processInfo.environment["CERTPORTAL_LOG_LEVEL"].flatMap(Level.init(rawValue:)) ?? .info

    public func log(_ level: Level, _ message: String, requestID: String? = nil, _ fields: [String: String] = [:]) {
        guard level >= Self.minimumLevel else { return }
        var object: [String: String] = fields
        object["ts"] = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        object["level"] = level.rawValue
        object["component"] = component
        object["msg"] = message
        if let requestID { object["request_id"] = requestID }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }

    public func info(_ message: String, requestID: String? = nil, _ fields: [String: String] = [:]) {
        log(.info, message, requestID: requestID, fields)
    }

    public func error(_ message: String, requestID: String? = nil, _ fields: [String: String] = [:]) {
        log(.error, message, requestID: requestID, fields)
    }
}
