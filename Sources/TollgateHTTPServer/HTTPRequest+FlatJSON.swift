package import TollgateBase

extension HTTPRequest {
    /// The body parsed once by Foundation (`JSONValue.parse`), when it is JSON sent as JSON with no
    /// key repeated in any object; nil otherwise. For the hot endpoints' common bodies: they read
    /// what they need from it and leave every other body to ``decodeJSON(_:)``, which decides it
    /// and names what is wrong (the strict path parses twice — `JSONDecoder`, then the tree for
    /// unknown fields and U+0000 — and reflects the type).
    ///
    /// A repeated key is left out because Foundation keeps its last value and `JSONDecoder` its
    /// first: a body is read the same way whichever path reads it.
    package func plainJSON() -> JSONValue? {
        guard sentAsJSON, let value = JSONValue.parse(body), Self.separators(body) == value.membersInTree else { return nil }
        return value
    }

    /// The body's members, when ``plainJSON()`` is one flat object of `fields` (see ``flat(_:fields:)``).
    /// Read by ``FlatJSONScanner`` when the body is in its subset, by Foundation otherwise.
    package func flatJSON(fields: Set<String>) -> [String: JSONValue]? {
        guard sentAsJSON else { return nil }
        if let members = FlatJSONScanner.object(body) { return Self.flat(members, fields: fields) }
        guard case .object(let members)? = plainJSON() else { return nil }
        return Self.flat(members, fields: fields)
    }

    /// The objects of the body's one member `key`, when ``plainJSON()`` is `{key: [object, …]}`
    /// (the objects as they are: ``flat(_:fields:)`` checks each). Read by ``FlatJSONScanner`` when
    /// the body is in its subset, by Foundation otherwise.
    package func objects(in key: String) -> [[String: JSONValue]]? {
        guard sentAsJSON else { return nil }
        if let (found, objects) = FlatJSONScanner.arrayOfObjects(body) { return found == key ? objects : nil }
        guard case .object(let body)? = plainJSON(), body.count == 1, case .array(let items)? = body[key] else { return nil }
        var objects: [[String: JSONValue]] = []
        objects.reserveCapacity(items.count)
        for item in items {
            guard case .object(let members) = item else { return nil }
            objects.append(members)
        }
        return objects
    }

    /// No `Content-Type`, or a JSON one.
    private var sentAsJSON: Bool {
        guard let contentType = headers["Content-Type"] else { return true }
        return contentType.lowercased().hasPrefix("application/json")
    }

    /// `members`, when every key is among `fields` and every value a string (without U+0000) or an
    /// integer: what the strict decoder would take as it is. Nil for anything else.
    package static func flat(_ members: [String: JSONValue], fields: Set<String>) -> [String: JSONValue]? {
        for (key, value) in members {
            guard fields.contains(key) else { return nil }
            switch value {
            case .integer: continue
            case .string(let text) where !text.utf8.contains(0): continue
            default: return nil
            }
        }
        return members
    }

    /// The `:` separators outside strings: the members of every object, as written.
    private static func separators(_ body: [UInt8]) -> Int {
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

extension JSONValue {
    /// The members of every object in this value, nested ones included.
    fileprivate var membersInTree: Int {
        switch self {
        case .object(let members): members.count + members.values.reduce(0) { $0 + $1.membersInTree }
        case .array(let elements): elements.reduce(0) { $0 + $1.membersInTree }
        default: 0
        }
    }
}
