import TollgateBase
/// Renders nodes against a context stack, writing into one string.
struct MustacheRenderer {
    static let maximumPartialDepth = 100

    let partials: [String: MustacheTemplate]
    let missingPartial: MissingPartialPolicy
    private(set) var output = ""
    /// A line of an indented partial has started but its indentation is not written yet.
    private var indentationPending = false

    init(partials: [String: MustacheTemplate], missingPartial: MissingPartialPolicy) {
        self.partials = partials
        self.missingPartial = missingPartial
    }

    mutating func render(
        _ nodes: [MustacheNode], stack: inout [MustacheValue], indentation: String, template: String?, depth: Int
    ) throws(MustacheError) {
        for node in nodes {
            switch node {
            case .text(let text):
                writeText(text, indentation: indentation)
            case .variable(let name, let escaped, _):
                let text = Self.resolve(name, in: stack).interpolated
                write(escaped ? Self.escapeHTML(text) : text, indentation: indentation)
            case .section(let name, let inverted, let children, _):
                let value = Self.resolve(name, in: stack)
                if inverted {
                    if value.isFalsey { try render(children, stack: &stack, indentation: indentation, template: template, depth: depth) }
                } else if case .array(let items) = value {
                    for item in items {
                        stack.append(item)
                        defer { stack.removeLast() }
                        try render(children, stack: &stack, indentation: indentation, template: template, depth: depth)
                    }
                } else if !value.isFalsey {
                    stack.append(value)
                    defer { stack.removeLast() }
                    try render(children, stack: &stack, indentation: indentation, template: template, depth: depth)
                }
            case .partial(let name, let partialIndentation, let location, let tag):
                guard let partial = partials[name] else {
                    if missingPartial == .renderEmpty { continue }
                    throw MustacheError(
                        .missingPartial, template: template, line: location.line, column: location.column,
                        reason: "partial `\(name)` not found (tag `\(tag)`)")
                }
                guard depth < Self.maximumPartialDepth else {
                    throw MustacheError(
                        .partialDepth, template: template, line: location.line, column: location.column,
                        reason: "partials nest deeper than \(Self.maximumPartialDepth) levels at `\(tag)`; is a partial including itself without end?")
                }
                if !partialIndentation.isEmpty { indentationPending = true }
                try render(partial.nodes, stack: &stack, indentation: indentation + partialIndentation, template: partial.name ?? name, depth: depth + 1)
            }
        }
    }

    /// Static text: inside an indented partial every line gets the indentation.
    private mutating func writeText(_ text: String, indentation: String) {
        guard !indentation.isEmpty else {
            output += text
            return
        }
        var rest = text.unicodeScalars[...]
        while let newline = rest.firstIndex(of: "\n") {
            write(String(rest[..<newline]), indentation: indentation)
            output += "\n"
            indentationPending = true
            rest = rest[rest.index(after: newline)...]
        }
        write(String(rest), indentation: indentation)
    }

    private mutating func write(_ text: String, indentation: String) {
        guard !text.isEmpty else { return }
        if indentationPending {
            output += indentation
            indentationPending = false
        }
        output += text
    }

    /// The spec's lookup: `.` is the top of the stack; otherwise the first name part is looked up
    /// from the top of the stack down, and the remaining parts only inside what it found.
    static func resolve(_ name: MustacheName, in stack: [MustacheValue]) -> MustacheValue {
        guard let first = name.parts.first else { return stack.last ?? .null }
        guard var value = stack.reversed().lazy.compactMap({ $0[first] }).first else { return .null }
        for part in name.parts.dropFirst() {
            guard let next = value[part] else { return .null }
            value = next
        }
        return value
    }

    /// `&`, `<`, `>` and `"` become entities (the spec's set).
    static func escapeHTML(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 }) else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
