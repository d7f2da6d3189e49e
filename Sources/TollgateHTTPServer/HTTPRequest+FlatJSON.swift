package import TollgateBase

extension HTTPRequest {
    /// The body's members, when the body is the common shape of a hot endpoint's request: one JSON
    /// object whose keys are all among `fields` and whose values are strings (without U+0000) or
    /// integers, sent as JSON. Nil for anything else, and the endpoint then calls
    /// ``decodeJSON(_:)``, which decides every other body and names what is wrong: this only skips
    /// work for bodies the strict decoder would accept as they are.
    ///
    /// Parsed once by Foundation (`JSONValue.parse`), where the strict path parses twice
    /// (`JSONDecoder`, then the tree for unknown fields and NUL) and reflects the type.
    package func flatJSON(fields: Set<String>) -> [String: JSONValue]? {
        if let contentType = headers["Content-Type"], !contentType.lowercased().hasPrefix("application/json") { return nil }
        guard case .object(let members)? = JSONValue.parse(body) else { return nil }
        for (key, value) in members {
            guard fields.contains(key) else { return nil }
            switch value {
            case .integer: continue
            case .string(let text) where !text.utf8.contains(0): continue
            default: return nil
            }
        }
        // A repeated key: Foundation keeps the last, `JSONDecoder` the first; leave it to the latter.
        guard Self.memberCount(body) == members.count else { return nil }
        return members
    }

    /// The `:` separators outside strings of a flat object's text: its members as written.
    private static func memberCount(_ body: [UInt8]) -> Int {
        var count = 0
        var inString = false
        var escaped = false
        for byte in body {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: ":") {
                count += 1
            }
        }
        return count
    }
}
