internal import Foundation

/// Call-level tracing for debugging the framework itself: `CPRPC_TRACE=1` writes one line
/// per call event to standard error.
enum Trace {
    static let enabled = ProcessInfo.processInfo.environment["CPRPC_TRACE"] == "1"

    static func event(_ text: @autoclosure () -> String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("trace \(ContinuousClock.now) \(text())\n".utf8))
    }
}
