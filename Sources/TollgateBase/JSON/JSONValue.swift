import Foundation

/// Any JSON value, exactly: the one type for JSON whose shape no model type describes — Stripe's
/// objects (`StripeObject`), a mail's template data (`MustacheValue`), the OpenAPI document built in
/// code, and the documents the tests validate against it.
///
/// ```swift
/// let lookupKey = subscription["items"]?["data"]?[0]?["price"]?["lookup_key"]?.string
/// let data: JSONValue = ["customer": ["name": "Ada"], "amount": 12.5, "items": [1, 2, 3]]
/// ```
///
/// A number written without a fraction or exponent that fits `Int` stays an exact ``integer(_:)``
/// (Stripe's amounts and timestamps, counts); any other number is a ``number(_:)``. Objects encode
/// through the encoder's dictionary path, so their keys are written as they are.
package enum JSONValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let members): try container.encode(members)
        }
    }

    /// Parses a JSON document; `nil` when it is not JSON.
    ///
    /// Through `JSONSerialization` rather than the `Decodable` conformance, which tries each JSON
    /// type in turn at every value (a thrown error per miss): on a scenario's 2 MB of Stripe events
    /// in a debug build, 5 s against 0.1 s.
    package static func parse(_ bytes: [UInt8]) -> JSONValue? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else { return nil }
        return converting(object)
    }

    private static func converting(_ value: Any) -> JSONValue {
        switch value {
        case let members as [String: Any]: return .object(members.mapValues(converting))
        case let elements as [Any]: return .array(elements.map(converting))
        case let text as String: return .string(text)
        case let number as NSNumber:
            // JSONSerialization gives booleans as NSNumbers whose type is `c` (char).
            switch String(cString: number.objCType) {
            case "c", "B": return .bool(number.boolValue)
            case "f", "d": return Int(exactly: number.doubleValue).map(JSONValue.integer) ?? .number(number.doubleValue)
            // Above Int's range JSONSerialization answers an unsigned 64-bit number.
            case "Q": return Int(exactly: number.uint64Value).map(JSONValue.integer) ?? .number(number.doubleValue)
            default: return .integer(number.intValue)
            }
        default: return .null
        }
    }

    /// The member `key` of an object; `nil` for a missing key or a non-object. Setting it on an
    /// object sets (or, with nil, removes) the member; on any other value it does nothing.
    package subscript(key: String) -> JSONValue? {
        get {
            guard case .object(let members) = self else { return nil }
            return members[key]
        }
        set {
            guard case .object(var members) = self else { return }
            members[key] = newValue
            self = .object(members)
        }
    }

    /// The element at `index` of an array; `nil` out of range or for a non-array.
    package subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    package var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// An integer, or a number that is one exactly.
    package var int: Int? {
        switch self {
        case .integer(let value): value
        case .number(let value): Int(exactly: value)
        default: nil
        }
    }

    package var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    package var bool: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    package var array: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The members of an object.
    package var members: [String: JSONValue]? {
        if case .object(let value) = self { value } else { nil }
    }

    package var isNull: Bool { self == .null }

    /// Compact JSON with sorted keys.
    package var description: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .integer(let value): out += String(value)
        case .number(let value): out += String(value)
        case .string(let value): JSONString.append(value, to: &out)
        case .array(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                JSONString.append(key, to: &out)
                out += ":"
                members[key]?.write(to: &out)
            }
            out += "}"
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    package init(nilLiteral: ()) { self = .null }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(integerLiteral value: Int) { self = .integer(value) }
    package init(floatLiteral value: Double) { self = .number(value) }
    package init(stringLiteral value: String) { self = .string(value) }
    package init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    package init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
