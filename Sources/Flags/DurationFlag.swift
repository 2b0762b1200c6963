extension CommandLineArguments {
    /// The value of `--name 90s` as a duration: a whole number and a unit, `ms`, `s`, `m`,
    /// `h` or `d` (`--job-ttl 24h`); nil when absent; zero and negative ones are refused.
    public func duration(_ name: String) throws(Failure) -> Duration? {
        guard let text = string(name) else {
            if flag(name) { throw Failure(description: "\(name): a duration is required (e.g. 90s, 15m, 24h)") }
            return nil
        }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let units: [String: Int64] = ["ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        guard !digits.isEmpty, let count = Int64(digits), count > 0, let unit = units[String(text.dropFirst(digits.count))] else {
            throw Failure(description: "\(name): \"\(text)\" is not a duration such as 500ms, 90s, 15m, 24h or 7d")
        }
        let (milliseconds, overflow) = count.multipliedReportingOverflow(by: unit)
        guard !overflow else { throw Failure(description: "\(name): \"\(text)\" is too long") }
        return .milliseconds(milliseconds)
    }
}
