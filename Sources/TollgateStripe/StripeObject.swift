package import Foundation
import TollgateLogging

/// A JSON value from the Stripe API, readable at any depth without a model type per object.
///
/// ```swift
/// let lookupKey = subscription["items"]?["data"]?[0]?["price"]?["lookup_key"]?.string
/// let amount = price["unit_amount"]?.int
/// ```
///
/// Integers stay exact (`Int`, Stripe's amounts and timestamps); other numbers are `Double`.
package enum StripeObject: Sendable, Equatable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([StripeObject])
    case object([String: StripeObject])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([StripeObject].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: StripeObject].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let members): try container.encode(members)
        }
    }

    /// Parses a JSON document; `nil` when it is not JSON.
    package static func parse(_ bytes: [UInt8]) -> StripeObject? {
        try? JSONDecoder().decode(StripeObject.self, from: Data(bytes))
    }

    /// The member `key` of an object; `nil` for a missing key or a non-object. Setting it on an
    /// object sets (or, with nil, removes) the member; on any other value it does nothing.
    package subscript(key: String) -> StripeObject? {
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
    package subscript(index: Int) -> StripeObject? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    package var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    package var int: Int? {
        switch self {
        case .int(let value): value
        case .double(let value): Int(exactly: value)
        default: nil
        }
    }

    package var double: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    package var bool: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    package var array: [StripeObject]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The members of an object.
    package var members: [String: StripeObject]? {
        if case .object(let value) = self { value } else { nil }
    }

    package var isNull: Bool { self == .null }

    /// The object's `id` (`cus_…`, `sub_…`), or the id itself where Stripe sends an unexpanded reference.
    package var id: String? { string ?? self["id"]?.string }

    /// A Unix time in seconds (`created`, `current_period_end`, …) as a date.
    package var date: Date? { int.map { Date(timeIntervalSince1970: TimeInterval($0)) } }

    /// The object's `object` type name (`customer`, `list`, `subscription`).
    package var objectType: String? { self["object"]?.string }

    /// Compact JSON with sorted keys.
    package var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .string(let value): return JSONString.quoted(value)
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.keys.sorted().map { JSONString.quoted($0) + ":" + (members[$0]?.description ?? "null") }.joined(separator: ",") + "}"
        }
    }
}
