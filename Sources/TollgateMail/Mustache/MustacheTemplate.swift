/// A parsed Mustache template: parse once, render many times, from any thread.
///
/// Implements the core modules of the [Mustache spec](https://github.com/mustache/spec)
/// (interpolation, sections, inverted sections, comments, partials, set delimiters and the
/// standalone-line rules); lambdas are not supported.
///
/// ```swift
/// let template = try MustacheTemplate("Hello, {{name}}!", name: "greeting")
/// let text = try template.render(["name": "Ada"])
/// ```
package struct MustacheTemplate: Sendable {
    /// The name used in error messages (a file or partial name).
    package let name: String?
    let nodes: [MustacheNode]

    /// Parses `source`; a malformed template throws a ``MustacheError`` naming the line and the tag.
    package init(_ source: String, name: String? = nil) throws(MustacheError) {
        self.name = name
        nodes = try MustacheParser(source, name: name).parse()
    }

    /// Renders with `data` as the root context. Partials are looked up by name in `partials`;
    /// a missing one throws unless `missingPartial` is ``MissingPartialPolicy/renderEmpty`` (the spec's rule).
    package func render(
        _ data: MustacheValue, partials: [String: MustacheTemplate] = [:], missingPartial: MissingPartialPolicy = .fail
    ) throws(MustacheError) -> String {
        var renderer = MustacheRenderer(partials: partials, missingPartial: missingPartial)
        var stack = [data]
        try renderer.render(nodes, stack: &stack, indentation: "", template: name, depth: 0)
        return renderer.output
    }

    /// The names of the partials this template includes directly.
    package var partialNames: Set<String> { Set(partialReferences.map(\.name)) }

    /// Every partial tag, in source order, with its location.
    var partialReferences: [(name: String, location: SourceLocation, tag: String)] {
        var references: [(name: String, location: SourceLocation, tag: String)] = []
        func collect(_ nodes: [MustacheNode]) {
            for node in nodes {
                switch node {
                case .partial(let name, _, let location, let tag): references.append((name, location, tag))
                case .section(_, _, let children, _): collect(children)
                case .text, .variable: break
                }
            }
        }
        collect(nodes)
        return references
    }
}

/// What rendering does when a template includes a partial that does not exist.
package enum MissingPartialPolicy: Sendable, Equatable {
    /// Throw a ``MustacheError`` naming the template, the line and the tag (the default).
    case fail
    /// Render nothing, as the Mustache spec says.
    case renderEmpty
}
