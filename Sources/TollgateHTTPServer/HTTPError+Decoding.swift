import Foundation
import TollgateWire

extension HTTPError {
    /// The 400 for a body that does not match what the operation reads, naming the field as the
    /// API spells it (in `details` too), never echoing the input. Codes as Stripe's:
    /// `parameter_missing`, `parameter_invalid` (wrong type, null, a value its own rules refuse).
    /// The JSON conventions themselves (keys, instants) are ``WireJSON``'s.
    package init(decoding error: DecodingError) {
        func detail(_ field: String, _ issue: String, code: String, _ message: String) -> HTTPError {
            HTTPError(status: 400, code: code, message: message, details: [.init(field: field, issue: issue)])
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self = HTTPError(status: 400, code: "invalid_json", message: "request body is not valid JSON")
                return
            }
            let field = WireJSON.fieldName(context.codingPath)
            let issue = (context.underlyingError as? WireJSON.FieldIssue)?.message ?? "invalid value"
            self = detail(field, issue, code: "parameter_invalid", "\(field): \(issue)")
        case .keyNotFound(let key, let context):
            let field = WireJSON.fieldName(context.codingPath + [key])
            self = detail(field, "required", code: "parameter_missing", "missing required field \(field)")
        case .typeMismatch(let type, let context):
            let field = WireJSON.fieldName(context.codingPath)
            let issue = "must be \(Self.jsonType(type))"
            self = detail(field.isEmpty ? "body" : field, issue, code: field.isEmpty ? "invalid_json" : "parameter_invalid",
                          field.isEmpty ? "request body must be \(Self.jsonType(type))" : "\(field): \(issue)")
        case .valueNotFound(let type, let context):
            let field = WireJSON.fieldName(context.codingPath)
            self = detail(field, "must be \(Self.jsonType(type)), not null", code: "parameter_invalid", "\(field): must not be null")
        @unknown default:
            self = HTTPError(status: 400, code: "invalid_json", message: "request body does not match the expected shape")
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
