/// Text with `{name}` placeholders, as admins write certificate and e-mail templates:
/// checked when saved (an unknown name is an error naming it), filled when used.
public enum TextTemplate {
    /// What is wrong with a template's text; the message starts with the field.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// `text` with every `{name}` that `value` knows replaced by it. Values are inserted as
    /// they are: a `{…}` inside one is not expanded again. Names `value` does not know are
    /// left as written. `filled` hears where each value went, as a UTF-8 byte range of the result.
    public static func fill(_ text: String, filled: (String, Range<Int>) -> Void = { _, _ in },
                            _ value: (String) -> String?) -> String {
        var result = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(of: "}"), let replacement = value(String(rest[afterOpen..<close])) {
                let start = result.utf8.count
                result += replacement
                filled(String(rest[afterOpen..<close]), start..<result.utf8.count)
                rest = rest[rest.index(after: close)...]
            } else {
                result += "{"
                rest = rest[afterOpen...]
            }
        }
        return result + rest
    }

    /// Refuses a `{` without its `}` and any name not in `known`, naming `field`.
    public static func check(_ text: String, field: String, known: [String]) throws(Problem) {
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "}") else {
                throw Problem("\(field): \"{\" without a closing \"}\"")
            }
            let name = String(rest[afterOpen..<close])
            guard known.contains(name) else {
                throw Problem("\(field): unknown placeholder {\(name)}; known: " + known.map { "{\($0)}" }.joined(separator: ", "))
            }
            rest = rest[rest.index(after: close)...]
        }
    }
}
