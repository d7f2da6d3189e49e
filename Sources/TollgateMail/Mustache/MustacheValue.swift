/// The data a Mustache template renders: the JSON data model.
///
/// Decodes from any JSON document and can be written as a Swift literal:
///
/// ```swift
/// let data: MustacheValue = ["customer": ["name": "Ada"], "amount": 12.5, "items": [1, 2, 3]]
/// ```
package enum MustacheValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// Whole numbers render without a fractional part (`85`, not `85.0`).
    case number(Double)
    case string(String)
    case array([MustacheValue])
    case object([String: MustacheValue])

    /// The value under `key` when this is an object.
    package subscript(key: String) -> MustacheValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// Whether a section over this value is skipped: `null`, `false`, an empty list and an empty string.
    /// Numbers (zero included), objects and non-empty strings are truthy.
    var isFalsey: Bool {
        switch self {
        case .null: true
        case .bool(let value): !value
        case .array(let items): items.isEmpty
        case .string(let text): text.isEmpty
        case .number, .object: false
        }
    }

    /// The text an interpolation tag writes (before HTML escaping).
    var interpolated: String {
        switch self {
        case .null: ""
        case .bool(let value): value ? "true" : "false"
        case .number(let number): Self.format(number)
        case .string(let text): text
        case .array(let items): items.map(\.interpolated).joined(separator: ",")
        case .object: ""
        }
    }

    static func format(_ number: Double) -> String {
        if number.isFinite, number == number.rounded(), abs(number) < 1e15 {
            return String(Int64(number))
        }
        return String(number)
    }
}

extension MustacheValue: ExpressibleByNilLiteral {
    package init(nilLiteral: ()) { self = .null }
}

extension MustacheValue: ExpressibleByBooleanLiteral {
    package init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension MustacheValue: ExpressibleByIntegerLiteral {
    package init(integerLiteral value: Int) { self = .number(Double(value)) }
}

extension MustacheValue: ExpressibleByFloatLiteral {
    package init(floatLiteral value: Double) { self = .number(value) }
}

extension MustacheValue: ExpressibleByStringLiteral {
    package init(stringLiteral value: String) { self = .string(value) }
}

extension MustacheValue: ExpressibleByArrayLiteral {
    package init(arrayLiteral elements: MustacheValue...) { self = .array(elements) }
}

extension MustacheValue: ExpressibleByDictionaryLiteral {
    package init(dictionaryLiteral elements: (String, MustacheValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension MustacheValue: Decodable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([MustacheValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: MustacheValue].self))
        }
    }
}

extension MustacheValue: Encodable {
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
