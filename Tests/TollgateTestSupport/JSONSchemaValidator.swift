import Foundation
package import TollgateBase

extension JSONValue {
    /// Parses `bytes` (the tests' documents: the OpenAPI document and the responses it describes).
    package init(parsing bytes: [UInt8]) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }
}

/// Checks a JSON value against a schema of an OpenAPI 3.1 document: the subset the Tollgate
/// document uses (`$ref`, `type` with `null` for nullable, `properties`, `required`,
/// `additionalProperties`, `items`, `enum`, `const`, `oneOf`, `anyOf`, `allOf`, `minimum`,
/// `maximum`, `minLength`, `maxLength`, `minItems`, `pattern`, `format: date-time`).
///
/// With `closedObjects`, an object schema that lists `properties` and says nothing of
/// `additionalProperties` takes no other member: a response member the document does not
/// describe is reported (the published document leaves response objects open for clients).
package struct JSONSchemaValidator: Sendable {
    /// The whole document, for `$ref`s (`#/components/schemas/Name`).
    package let document: JSONValue
    package var closedObjects: Bool

    package init(document: JSONValue, closedObjects: Bool = true) {
        self.document = document
        self.closedObjects = closedObjects
    }

    /// What is wrong with `value`, one line per problem naming its place (`$.data[0].id`).
    package func problems(_ value: JSONValue, schema: JSONValue, at path: String = "$") -> [String] {
        var problems: [String] = []
        check(value, schema, path, siblings: [], into: &problems)
        return problems
    }

    /// The schema `$ref` points to.
    package func resolve(_ schema: JSONValue) -> JSONValue {
        var schema = schema
        var hops = 0
        while case .string(let reference)? = schema["$ref"], hops < 20 {
            guard reference.hasPrefix("#/") else { return .object([:]) }
            var target: JSONValue? = document
            for part in reference.dropFirst(2).split(separator: "/") { target = target?[String(part)] }
            schema = target ?? .object([:])
            hops += 1
        }
        return schema
    }

    /// `siblings`: property names that members of an enclosing `allOf` describe (allowed here too).
    private func check(_ value: JSONValue, _ schema: JSONValue, _ path: String, siblings: Set<String>, into problems: inout [String]) {
        let schema = resolve(schema)
        guard case .object(let keywords) = schema else { return }

        if let allOf = keywords["allOf"], case .array(let members) = allOf {
            let described = members.reduce(into: siblings) { names, member in names.formUnion(propertyNames(of: member)) }
            for member in members { check(value, member, path, siblings: described, into: &problems) }
        }
        if case .array(let options)? = keywords["oneOf"] {
            let matching = options.filter { option in self.problems(value, schema: option, at: path).isEmpty }.count
            if matching != 1 {
                problems.append("\(path): \(value) matches \(matching) of the \(options.count) oneOf schemas, not exactly one")
            }
        }
        if case .array(let options)? = keywords["anyOf"], !options.contains(where: { self.problems(value, schema: $0, at: path).isEmpty }) {
            problems.append("\(path): \(value) matches none of the anyOf schemas")
        }
        if let type = keywords["type"], !matches(value, type: type) {
            problems.append("\(path): expected \(typeText(type)), got \(value)")
            return
        }
        if let constant = keywords["const"], constant != value {
            problems.append("\(path): expected \(constant), got \(value)")
        }
        if case .array(let allowed)? = keywords["enum"], !allowed.contains(value) {
            problems.append("\(path): \(value) is not one of \(allowed.map(\.description).joined(separator: ", "))")
        }

        switch value {
        case .object(let members):
            checkObject(members, keywords, path, siblings: siblings, into: &problems)
        case .array(let items):
            if case .integer(let minimum)? = keywords["minItems"], items.count < minimum {
                problems.append("\(path): \(items.count) items, fewer than \(minimum)")
            }
            if let itemSchema = keywords["items"] {
                for (index, item) in items.enumerated() { check(item, itemSchema, "\(path)[\(index)]", siblings: [], into: &problems) }
            }
        case .string(let text):
            checkString(text, keywords, path, into: &problems)
        case .integer(let number):
            checkNumber(Double(number), keywords, path, into: &problems)
        case .number(let number):
            checkNumber(number, keywords, path, into: &problems)
        case .null, .bool:
            break
        }
    }

    private func checkObject(
        _ members: [String: JSONValue], _ keywords: [String: JSONValue], _ path: String, siblings: Set<String>, into problems: inout [String]
    ) {
        let properties: [String: JSONValue]
        if case .object(let declared)? = keywords["properties"] { properties = declared } else { properties = [:] }
        if case .array(let required)? = keywords["required"] {
            for case .string(let name) in required where members[name] == nil {
                problems.append("\(path): required member \"\(name)\" is missing")
            }
        }
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            let memberPath = "\(path).\(name)"
            if let schema = properties[name] {
                check(member, schema, memberPath, siblings: [], into: &problems)
            } else if let additional = keywords["additionalProperties"] {
                if additional == .bool(false) {
                    problems.append("\(memberPath): not a member the schema allows")
                } else if additional != .bool(true) {
                    check(member, additional, memberPath, siblings: [], into: &problems)
                }
            } else if closedObjects, keywords["properties"] != nil, !siblings.contains(name) {
                problems.append("\(memberPath): not documented (the schema lists \(properties.keys.sorted().joined(separator: ", ")))")
            }
        }
    }

    private func checkString(_ text: String, _ keywords: [String: JSONValue], _ path: String, into problems: inout [String]) {
        if case .integer(let minimum)? = keywords["minLength"], text.count < minimum {
            problems.append("\(path): shorter than \(minimum) characters")
        }
        if case .integer(let maximum)? = keywords["maxLength"], text.count > maximum {
            problems.append("\(path): longer than \(maximum) characters")
        }
        if case .string(let pattern)? = keywords["pattern"] {
            let expression = try? NSRegularExpression(pattern: pattern)
            if expression?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                problems.append("\(path): \"\(text.prefix(60))\" does not match \(pattern)")
            }
        }
        if keywords["format"] == .string("date-time"), !Self.isDateTime(text) {
            problems.append("\(path): \"\(text)\" is not an RFC 3339 date-time")
        }
    }

    private func checkNumber(_ number: Double, _ keywords: [String: JSONValue], _ path: String, into problems: inout [String]) {
        if let minimum = keywords["minimum"].flatMap(Self.double), number < minimum {
            problems.append("\(path): \(number) is below the minimum \(minimum)")
        }
        if let maximum = keywords["maximum"].flatMap(Self.double), number > maximum {
            problems.append("\(path): \(number) is above the maximum \(maximum)")
        }
    }

    /// The names an object schema (or its `allOf` members) lists under `properties`.
    private func propertyNames(of schema: JSONValue) -> Set<String> {
        let schema = resolve(schema)
        var names: Set<String> = []
        if case .object(let properties)? = schema["properties"] { names.formUnion(properties.keys) }
        if case .array(let members)? = schema["allOf"] {
            for member in members { names.formUnion(propertyNames(of: member)) }
        }
        return names
    }

    private func matches(_ value: JSONValue, type: JSONValue) -> Bool {
        switch type {
        case .array(let types): types.contains { matches(value, type: $0) }
        case .string(let name):
            switch (name, value) {
            case ("null", .null), ("boolean", .bool), ("integer", .integer), ("number", .integer), ("number", .number),
                 ("string", .string), ("array", .array), ("object", .object): true
            // JSON Schema counts a number with a zero fractional part (`1.0`, `1e3`) as an integer.
            case ("integer", .number(let number)): number.isFinite && number == number.rounded()
            default: false
            }
        default: true
        }
    }

    private func typeText(_ type: JSONValue) -> String {
        if case .array(let types) = type { return types.map(\.description).joined(separator: " or ") }
        return type.description
    }

    private static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let number): Double(number)
        case .number(let number): number
        default: nil
        }
    }

    /// `2026-03-01T12:00:00Z`, with optional fractional seconds and a `Z` or `±hh:mm` offset.
    static func isDateTime(_ text: String) -> Bool {
        text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/) != nil
    }
}
