/// Parses Mustache source into nodes: tokenizes (following set-delimiter tags), applies the
/// spec's standalone-line rule, then nests sections, checking that every section is closed.
struct MustacheParser {
    private enum Kind: Equatable {
        case text
        case variable(escaped: Bool)
        case section
        case inverted
        case close
        case comment
        case partial
        case delimiters

        /// Tags that, alone on a line with only whitespace around them, remove the line.
        var canStandalone: Bool {
            switch self {
            case .section, .inverted, .close, .comment, .partial, .delimiters: true
            case .text, .variable: false
            }
        }
    }

    private struct Token {
        var kind: Kind
        /// The text of a text token; the trimmed content of a tag.
        var content: String
        var location: SourceLocation
        /// The tag as written, for messages.
        var raw: String = ""
        var indentation: String = ""
    }

    private let bytes: [UInt8]
    private let templateName: String?
    private let newlines: [Int]

    init(_ source: String, name: String?) {
        let bytes = Array(source.utf8)
        self.bytes = bytes
        templateName = name
        newlines = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }
    }

    func parse() throws(MustacheError) -> [MustacheNode] {
        try nest(standalone(try tokenize()))
    }

    // MARK: Tokens

    private func tokenize() throws(MustacheError) -> [Token] {
        var open = Array("{{".utf8)
        var close = Array("}}".utf8)
        var tokens: [Token] = []
        var position = 0
        while position < bytes.count {
            guard let start = find(open, from: position) else {
                appendText(position..<bytes.count, to: &tokens)
                break
            }
            appendText(position..<start, to: &tokens)
            let location = location(of: start)
            var index = start + open.count
            var kind = Kind.variable(escaped: true)
            var closing = close
            if index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "{"): kind = .variable(escaped: false); closing = [UInt8(ascii: "}")] + close
                case UInt8(ascii: "&"): kind = .variable(escaped: false)
                case UInt8(ascii: "#"): kind = .section
                case UInt8(ascii: "^"): kind = .inverted
                case UInt8(ascii: "/"): kind = .close
                case UInt8(ascii: "!"): kind = .comment
                case UInt8(ascii: ">"): kind = .partial
                case UInt8(ascii: "="): kind = .delimiters; closing = [UInt8(ascii: "=")] + close
                default: break
                }
                if kind != .variable(escaped: true) { index += 1 }
            }
            guard let end = find(closing, from: index) else {
                let lineEnd = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                let shown = String(decoding: bytes[start..<min(lineEnd, start + 40)], as: UTF8.self)
                throw error(.unclosedTag, at: location, "unclosed tag `\(shown)`: no `\(String(decoding: closing, as: UTF8.self))` after it")
            }
            let content = String(decoding: bytes[index..<end], as: UTF8.self).trimmingWhitespace
            let raw = String(decoding: bytes[start..<(end + closing.count)], as: UTF8.self)
            position = end + closing.count
            switch kind {
            case .delimiters:
                let parts = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
                guard parts.count == 2, !parts.contains(where: { $0.contains("=") }) else {
                    throw error(.badDelimiters, at: location, "bad set-delimiters tag `\(raw)`: expected two delimiters separated by whitespace, like `{{=<% %>=}}`")
                }
                open = Array(parts[0].utf8)
                close = Array(parts[1].utf8)
            case .comment:
                break
            default:
                guard !content.isEmpty else { throw error(.emptyTag, at: location, "empty tag `\(raw)`: a name is required") }
            }
            tokens.append(Token(kind: kind, content: content, location: location, raw: raw))
        }
        return tokens
    }

    /// Text tokens are split after each newline so that each line's tokens can be examined.
    private func appendText(_ range: Range<Int>, to tokens: inout [Token]) {
        var start = range.lowerBound
        while start < range.upperBound {
            var end = start
            while end < range.upperBound, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if end < range.upperBound { end += 1 }
            tokens.append(Token(kind: .text, content: String(decoding: bytes[start..<end], as: UTF8.self), location: location(of: start)))
            start = end
        }
    }

    // MARK: Standalone lines

    /// A line holding one standalone-capable tag and otherwise only spaces and tabs loses its
    /// whitespace and its line ending; a partial's leading whitespace becomes its indentation.
    private func standalone(_ tokens: [Token]) -> [Token] {
        var result: [Token] = []
        var line: [Token] = []
        func finishLine() {
            let tags = line.filter { $0.kind != .text }
            if tags.count == 1, tags[0].kind.canStandalone, line.allSatisfy({ $0.kind != .text || $0.content.isBlankLine }) {
                var tag = tags[0]
                if tag.kind == .partial {
                    tag.indentation = line.prefix(while: { $0.kind == .text }).map(\.content).joined()
                }
                result.append(tag)
            } else {
                result += line
            }
            line = []
        }
        for token in tokens {
            line.append(token)
            if token.kind == .text, token.content.utf8.last == UInt8(ascii: "\n") { finishLine() }
        }
        if !line.isEmpty { finishLine() }
        return result
    }

    // MARK: Nesting

    private struct OpenSection {
        var token: Token
        var children: [MustacheNode] = []
    }

    private func nest(_ tokens: [Token]) throws(MustacheError) -> [MustacheNode] {
        var stack = [OpenSection(token: Token(kind: .text, content: "", location: SourceLocation(line: 0, column: 0)))]
        func append(_ node: MustacheNode) {
            if case .text(let text) = node, case .text(let previous)? = stack[stack.count - 1].children.last {
                stack[stack.count - 1].children[stack[stack.count - 1].children.count - 1] = .text(previous + text)
            } else {
                stack[stack.count - 1].children.append(node)
            }
        }
        for token in tokens {
            switch token.kind {
            case .text:
                append(.text(token.content))
            case .variable(let escaped):
                append(.variable(MustacheName(token.content), escaped: escaped, at: token.location))
            case .section, .inverted:
                stack.append(OpenSection(token: token))
            case .close:
                guard stack.count > 1 else {
                    throw error(.mismatchedCloseTag, at: token.location, "`\(token.raw)` closes no open section")
                }
                let open = stack[stack.count - 1]
                guard open.token.content == token.content else {
                    throw error(
                        .mismatchedCloseTag, at: token.location,
                        "`\(token.raw)` does not match the open section `\(open.token.raw)` (line \(open.token.location.line)); expected `{{/\(open.token.content)}}`")
                }
                stack.removeLast()
                append(.section(MustacheName(open.token.content), inverted: open.token.kind == .inverted, children: open.children, at: open.token.location))
            case .partial:
                append(.partial(token.content, indentation: token.indentation, at: token.location, tag: token.raw))
            case .comment, .delimiters:
                break
            }
        }
        if let open = stack.last, stack.count > 1 {
            throw error(.unclosedSection, at: open.token.location, "section `\(open.token.raw)` is never closed: no `/\(open.token.content)` tag follows")
        }
        return stack[0].children
    }

    // MARK: Helpers

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, needle.count <= bytes.count else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == first {
                var matched = true
                for offset in 1..<needle.count where bytes[index + offset] != needle[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }

    private func location(of offset: Int) -> SourceLocation {
        // Binary search: how many newlines come before `offset`.
        var low = 0
        var high = newlines.count
        while low < high {
            let middle = (low + high) / 2
            if newlines[middle] < offset { low = middle + 1 } else { high = middle }
        }
        let lineStart = low == 0 ? 0 : newlines[low - 1] + 1
        let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
        return SourceLocation(line: low + 1, column: column)
    }

    private func error(_ code: MustacheError.Code, at location: SourceLocation, _ reason: String) -> MustacheError {
        MustacheError(code, template: templateName, line: location.line, column: location.column, reason: reason)
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }

    /// Only spaces and tabs, then optionally a line ending.
    fileprivate var isBlankLine: Bool {
        var bytes = Substring(self).utf8[...]
        if bytes.last == UInt8(ascii: "\n") {
            bytes = bytes.dropLast()
            if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        }
        return bytes.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }
}
