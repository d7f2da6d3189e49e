import Foundation

/// The JSON conventions of the API, in one place: snake_case keys, ISO-8601 UTC dates,
/// sorted keys so bodies are stable (ETags, tests, diffs).
public enum JSONCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom(decodeInstant)
        return decoder
    }

    /// The instants the API accepts: 1970-01-01T00:00:00Z through 9999-12-31T23:59:59.999Z.
    /// Earlier or later ones are refused with a 400 naming the field, never stored.
    public static let acceptedInstants = Date(timeIntervalSince1970: 0)...Date(timeIntervalSince1970: 253_402_300_799.999)

    /// An RFC 3339 date-time (`2026-01-31T12:00:00Z`, optional fraction and offset) within
    /// ``acceptedInstants``.
    static func decodeInstant(_ decoder: any Decoder) throws -> Date {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        let styles = [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()]
        guard let date = styles.lazy.compactMap({ try? $0.parse(text) }).first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "not a date-time",
                underlyingError: FieldIssue("must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z")))
        }
        guard acceptedInstants.contains(date) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "out of range",
                underlyingError: FieldIssue("must be from 1970-01-01T00:00:00Z through 9999-12-31T23:59:59Z")))
        }
        return date
    }

    /// What a field's own decoder found wrong, in words safe to show (never the input).
    public struct FieldIssue: Error, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    /// The API's name of a coding path: snake_case keys joined with dots, array indexes in brackets
    /// (`items[0].price_id`).
    public static func fieldName(_ path: [any CodingKey]) -> String {
        var name = ""
        for key in path {
            if let index = key.intValue {
                name += "[\(index)]"
            } else {
                name += (name.isEmpty ? "" : ".") + snakeCase(key.stringValue)
            }
        }
        return name
    }

    /// `externalID` → `external_id`, `olderThanDays` → `older_than_days`, as
    /// `JSONEncoder.KeyEncodingStrategy.convertToSnakeCase` spells it.
    public static func snakeCase(_ key: String) -> String {
        let characters = Array(key)
        var output = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                // A word starts at an upper-case letter after a lower-case one, or at the last
                // capital of a run that a lower-case letter follows (`URLValue` → `url_value`).
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    output += "_"
                }
            }
            output += character.lowercased()
        }
        return output
    }

    /// The 400 for a body that does not match what the operation reads, naming the field as the
    /// API spells it (in `details` too), never echoing the input. Codes as Stripe's:
    /// `parameter_missing`, `parameter_invalid` (wrong type, null, a value its own rules refuse).
    public static func requestError(for error: DecodingError) -> HTTPError {
        func detail(_ field: String, _ issue: String, code: String, _ message: String) -> HTTPError {
            HTTPError(status: 400, code: code, message: message, details: [.init(field: field, issue: issue)])
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return HTTPError(status: 400, code: "invalid_json", message: "request body is not valid JSON")
            }
            let field = fieldName(context.codingPath)
            let issue = (context.underlyingError as? FieldIssue)?.message ?? "invalid value"
            return detail(field, issue, code: "parameter_invalid", "\(field): \(issue)")
        case .keyNotFound(let key, let context):
            let field = fieldName(context.codingPath + [key])
            return detail(field, "required", code: "parameter_missing", "missing required field \(field)")
        case .typeMismatch(let type, let context):
            let field = fieldName(context.codingPath)
            let issue = "must be \(jsonType(type))"
            return detail(field.isEmpty ? "body" : field, issue, code: field.isEmpty ? "invalid_json" : "parameter_invalid",
                          field.isEmpty ? "request body must be \(jsonType(type))" : "\(field): \(issue)")
        case .valueNotFound(let type, let context):
            let field = fieldName(context.codingPath)
            return detail(field, "must be \(jsonType(type)), not null", code: "parameter_invalid", "\(field): must not be null")
        @unknown default:
            return HTTPError(status: 400, code: "invalid_json", message: "request body does not match the expected shape")
        }
    }

    /// The JSON type a Swift type is read from, in the API's words.
    static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: "a value of another type"
        }
    }
}
