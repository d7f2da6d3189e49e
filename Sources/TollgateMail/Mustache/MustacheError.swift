/// A template that cannot be parsed or rendered: the message names the template (when it has a
/// name), the line and column, and the tag at fault.
package struct MustacheError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; new codes may be added.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        package var description: String { name }

        package static let unclosedTag = Code(name: "unclosed_tag")
        package static let emptyTag = Code(name: "empty_tag")
        package static let unclosedSection = Code(name: "unclosed_section")
        package static let mismatchedCloseTag = Code(name: "mismatched_close_tag")
        package static let badDelimiters = Code(name: "bad_delimiters")
        package static let missingPartial = Code(name: "missing_partial")
        package static let partialDepth = Code(name: "partial_depth")
        package static let missingTemplate = Code(name: "missing_template")
        package static let unreadableFile = Code(name: "unreadable_file")
        /// A template looks up a name its mail's data never has (checked by the sender, which knows the data).
        package static let undeclaredName = Code(name: "undeclared_name")
    }

    package var code: Code
    /// The template's name (a file name or a partial's name), when known.
    package var template: String?
    /// 1-based line and column of the tag at fault (0 when the error is not about one place).
    package var line: Int
    package var column: Int
    /// What happened, without the location.
    package var reason: String

    package init(_ code: Code, template: String?, line: Int, column: Int, reason: String) {
        self.code = code
        self.template = template
        self.line = line
        self.column = column
        self.reason = reason
    }

    package var description: String {
        var location = template.map { "\($0): " } ?? ""
        if line > 0 { location += "line \(line), column \(column): " }
        return location + reason
    }
}
