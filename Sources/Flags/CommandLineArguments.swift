/// `--name value` and `--flag` arguments of the portal's executables, with errors that name
/// the flag and the reason.
public struct CommandLineArguments: Sendable {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public private(set) var positional: [String] = []
    private var values: [String: String] = [:]
    private var flags: Set<String> = []
    private let raw: [String]

    /// `booleanFlags` never take a value, so `--json file.csv` keeps `file.csv` positional.
    public init(_ arguments: some Sequence<String>, booleanFlags: Set<String> = []) {
        raw = Array(arguments)
        var index = 0
        while index < raw.count {
            let argument = raw[index]
            if argument.hasPrefix("--") {
                if let equals = argument.firstIndex(of: "=") {
                    values[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
                } else if !booleanFlags.contains(argument), index + 1 < raw.count, !raw[index + 1].hasPrefix("--") {
                    values[argument] = raw[index + 1]
                    index += 1
                } else {
                    flags.insert(argument)
                }
            } else {
                positional.append(argument)
            }
            index += 1
        }
    }

    /// The value of `--name value` (or `--name=value`).
    public func string(_ name: String) -> String? { values[name] }

    public func integer(_ name: String) throws(Failure) -> Int? {
        guard let text = values[name] else {
            if flags.contains(name) { throw Failure(description: "\(name): a number is required") }
            return nil
        }
        guard let value = Int(text) else { throw Failure(description: "\(name): \"\(text)\" is not a whole number") }
        return value
    }

    public func double(_ name: String) throws(Failure) -> Double? {
        guard let text = values[name] else { return nil }
        guard let value = Double(text) else { throw Failure(description: "\(name): \"\(text)\" is not a number") }
        return value
    }

    /// True for a bare `--name`.
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// Fails on any `--option` not in `known`.
    public func rejectUnknown(known: Set<String>) throws(Failure) {
        for name in values.keys.sorted() + flags.sorted() where !known.contains(name) {
            throw Failure(description: "\(name): unknown option")
        }
    }
}
