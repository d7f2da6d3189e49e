package import TollgateBase

/// The data a Mustache template renders: the JSON data model, as the base's exact ``JSONValue``.
///
/// Decodes from any JSON document and can be written as a Swift literal:
///
/// ```swift
/// let data: MustacheValue = ["customer": ["name": "Ada"], "amount": 12.5, "items": [1, 2, 3]]
/// ```
package typealias MustacheValue = JSONValue

extension JSONValue {
    /// Whether a section over this value is skipped: `null`, `false`, an empty list and an empty string.
    /// Numbers (zero included), objects and non-empty strings are truthy.
    var isFalsey: Bool {
        switch self {
        case .null: true
        case .bool(let value): !value
        case .array(let items): items.isEmpty
        case .string(let text): text.isEmpty
        case .integer, .number, .object: false
        }
    }

    /// The text an interpolation tag writes (before HTML escaping). Whole numbers render without a
    /// fractional part (`85`, not `85.0`).
    var interpolated: String {
        switch self {
        case .null: ""
        case .bool(let value): value ? "true" : "false"
        case .integer(let number): String(number)
        case .number(let number):
            if number.isFinite, number == number.rounded(), abs(number) < 1e15 { String(Int64(number)) } else { String(number) }
        case .string(let text): text
        case .array(let items): items.map(\.interpolated).joined(separator: ",")
        case .object: ""
        }
    }
}
