/// Where a tag starts in its template's source (1-based).
struct SourceLocation: Sendable, Equatable {
    var line: Int
    var column: Int
}

/// A name in a tag: `.` (the implicit iterator) or dotted parts (`a.b.c`).
struct MustacheName: Sendable, Equatable, CustomStringConvertible {
    /// Empty for `.`.
    var parts: [String]
    var description: String { parts.isEmpty ? "." : parts.joined(separator: ".") }

    init(_ text: String) {
        parts = text == "." ? [] : text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }
}

/// One node of a parsed template.
indirect enum MustacheNode: Sendable {
    case text(String)
    case variable(MustacheName, escaped: Bool, at: SourceLocation)
    case section(MustacheName, inverted: Bool, children: [MustacheNode], at: SourceLocation)
    /// `indentation` is the whitespace before a standalone partial tag, applied to every line of the partial.
    case partial(String, indentation: String, at: SourceLocation, tag: String)
}
