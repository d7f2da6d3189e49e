/// A template that cannot be parsed or rendered: the message names the template (when it has a
/// name), the line and column, and the tag at fault.
public struct MustacheError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        public static let unclosedTag = Code(name: "unclosed_tag")
        public static let emptyTag = Code(name: "empty_tag")
        public static let unclosedSection = Code(name: "unclosed_section")
        public static let mismatchedCloseTag = Code(name: "mismatched_close_tag")
        public static let badDelimiters = Code(name: "bad_delimiters")
        public static let missingPartial = Code(name: "missing_partial")
        public static let partialDepth = Code(name: "partial_depth")
        public static let missingTemplate = Code(name: "missing_template")
        public static let unreadableFile = Code(name: "unreadable_file")
        /// A template looks up a name its mail's data never has (checked by the sender, which knows the data).
        public static let undeclaredName = Code(name: "undeclared_name")
    }

    public var code: Code
    /// The template's name (a file name or a partial's name), when known.
    public var template: String?
    /// 1-based line and column of the tag at fault (0 when the error is not about one place).
    public var line: Int
    public var column: Int
    /// What happened, without the location.
    public var reason: String

    public init(_ code: Code, template: String?, line: Int, column: Int, reason: String) {
        self.code = code
        self.template = template
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        var location = template.map { "\($0): " } ?? ""
        if line > 0 { location += "line \(line), column \(column): " }
        return location + reason
    }
}
