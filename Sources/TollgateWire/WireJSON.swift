package import Foundation

/// Tollgate's JSON, declared once for every front-end and the client library: the API's bodies,
/// the CLI's `--json` output, the snapshots `TollgateClient` reads, the catalog file and the JSON
/// text the store keeps.
///
/// * Keys: snake_case on the wire (``Keys/snakeCase``: `hasMore` ↔ `has_more`); stored JSON whose
///   keys are data, not field names (mail template data, customer metadata, a Stripe object),
///   keeps them as they are (``Keys/verbatim``).
/// * Instants: RFC 3339 in UTC, written to the second (`2026-01-31T12:00:00Z`); read with or
///   without a fraction and an offset, from 1970-01-01T00:00:00Z through 9999-12-31T23:59:59Z
///   (``acceptedInstants``); others are refused naming the field.
/// * Output: keys sorted (stable bodies for ETags, tests and diffs), slashes unescaped; compact
///   for the API and stored text, pretty-printed for people (the CLI, the catalog file).
package enum WireJSON {
    /// How property names become JSON keys.
    package enum Keys: Sendable {
        /// `externalID` ↔ `external_id` (``snakeCase(_:)``): the API's field names.
        case snakeCase
        /// As declared: for JSON whose keys are data.
        case verbatim
    }

    package static func encoder(pretty: Bool = false, keys: Keys = .snakeCase) -> JSONEncoder {
        let encoder = JSONEncoder()
        if keys == .snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    package static func decoder(keys: Keys = .snakeCase) -> JSONDecoder {
        let decoder = JSONDecoder()
        if keys == .snakeCase { decoder.keyDecodingStrategy = .convertFromSnakeCase }
        decoder.dateDecodingStrategy = .custom(decodeInstant)
        return decoder
    }

    /// The instants the wire carries: 1970-01-01T00:00:00Z through 9999-12-31T23:59:59.999Z.
    /// Earlier or later ones are refused naming the field, never stored.
    package static let acceptedInstants = Date(timeIntervalSince1970: 0)...Date(timeIntervalSince1970: 253_402_300_799.999)

    /// An RFC 3339 date-time (`2026-01-31T12:00:00Z`, optional fraction and offset) within
    /// ``acceptedInstants``.
    static func decodeInstant(_ decoder: any Decoder) throws -> Date {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = parseInstant(text) else {
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

    /// An RFC 3339 date-time with or without a fraction of a second, whatever its range.
    package static func parseInstant(_ text: String) -> Date? {
        let styles = [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()]
        return styles.lazy.compactMap { try? $0.parse(text) }.first
    }

    /// What a field's own decoder found wrong, in words safe to show (never the input).
    package struct FieldIssue: Error, Sendable {
        package var message: String
        package init(_ message: String) { self.message = message }
    }

    /// The wire's name of a coding path: snake_case keys joined with dots, array indexes in
    /// brackets (`items[0].price_id`).
    package static func fieldName(_ path: [any CodingKey]) -> String {
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
    package static func snakeCase(_ key: String) -> String {
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
}

extension WireJSON {
    /// `value`'s JSON object with member `name` set to the stored JSON text `json` as a value — a
    /// stored record and its body in one document (a Stripe event and its payload, a mail and its
    /// template data). Text that does not parse is kept as a string.
    package static func object<T: Encodable>(_ value: T, embedding json: String, as name: String, pretty: Bool = false) throws -> Data {
        guard var fields = try JSONSerialization.jsonObject(with: try encoder().encode(value)) as? [String: Any] else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "not a JSON object"))
        }
        fields[name] = (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])) ?? json
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        return try JSONSerialization.data(withJSONObject: fields, options: options)
    }

    /// Stored JSON text pretty-printed for people (as stored when it does not parse).
    package static func pretty(_ text: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
              let bytes = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return text }
        return String(decoding: bytes, as: UTF8.self)
    }
}
