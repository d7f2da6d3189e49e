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
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// A client-facing description of a decoding failure that names the field, never the input.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
            return keys.isEmpty ? "the document" : keys.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "request body is not valid JSON" : "invalid value at \(path(context))"
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context))"
            return "missing field \(key.stringValue)\(parent)"
        case .typeMismatch(let type, let context):
            return "wrong type at \(path(context)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "null at \(path(context)): expected \(type)"
        @unknown default:
            return "request body does not match the expected shape"
        }
    }
}
