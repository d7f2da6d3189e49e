import Foundation
package import TollgateBase
package import TollgateLogging
import TollgateWire

/// A complete request as a handler sees it: the body is fully read (and within the limit).
package struct HTTPRequest: Sendable {
    package var method: HTTPMethod
    /// The path without the query string, percent-decoded by libmicrohttpd.
    package var path: String
    /// Query parameters in order (`?a=1&b=2`).
    package var query: [(name: String, value: String)]
    package var headers: HTTPHeaders
    package var body: [UInt8]
    /// Values of the route's `{name}` segments.
    package var pathParameters: [String: String]
    /// Echoed from `X-Request-Id` when the client sent a well-formed one, else generated.
    package var requestID: String
    /// The caller's trace (`traceparent`) joined with a span of this request, or a new trace.
    package var trace: TraceContext
    /// The route pattern that matched (`/v1/keys/{id}`), for metrics and logs.
    package var route: String?
    /// A logger whose lines carry `request_id` and the trace.
    package var logger: Logger

    package init(
        method: HTTPMethod, path: String, query: [(name: String, value: String)] = [], headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], pathParameters: [String: String] = [:], requestID: String = "test",
        trace: TraceContext = .start(), route: String? = nil, logger: Logger = .disabled
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.pathParameters = pathParameters
        self.requestID = requestID
        self.trace = trace
        self.route = route
        self.logger = logger
    }

    /// The first value of query parameter `name`.
    package func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// The value of path parameter `name`; a route that declares it always has it.
    package func pathParameter(_ name: String) throws(HTTPError) -> String {
        guard let value = pathParameters[name] else { throw .badRequest("missing path parameter \(name)") }
        return value
    }

    /// Decodes the JSON body, strictly, as Stripe reads parameters:
    ///
    /// * a non-JSON content type is a 415; an empty or malformed body a 400 `invalid_json`;
    /// * a missing field is a 400 `parameter_missing`, a mistyped, null or refused one a 400
    ///   `parameter_invalid`, each naming the field as the API spells it (`details[0].field`);
    /// * a field the operation does not read is a 400 `parameter_unknown` naming it (a typo such as
    ///   `emial` must not pass silently);
    /// * a string holding U+0000 is a 400 `parameter_invalid`: no store keeps it (PostgreSQL
    ///   refuses it), so it is refused here, before anything is written.
    /// One decoder for every request body (its configuration never changes; it is thread-safe).
    private static let decoder = WireJSON.decoder()

    package func decodeJSON<T: Decodable>(_ type: T.Type = T.self) throws(HTTPError) -> T {
        if let contentType = headers["Content-Type"],
           !contentType.lowercased().hasPrefix("application/json") {
            throw .unsupportedMediaType()
        }
        guard !body.isEmpty else { throw .invalidJSON("request body is empty; expected a JSON document") }
        let value: T
        do {
            value = try Self.decoder.decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw HTTPError(decoding: error)
        } catch {
            throw .invalidJSON("request body is not valid JSON")
        }
        guard let tree = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else { return value }
        if RequestBodyCheck.mayHoldNUL(body), let field = RequestBodyCheck.fieldHoldingNUL(tree) {
            throw HTTPError(status: 400, code: "parameter_invalid", message: "\(field): must not contain the NUL character (U+0000)",
                            details: [.init(field: field, issue: "must not contain U+0000")])
        }
        if let unknown = RequestBodyCheck.unknownFields(tree, decoded: value).first {
            throw HTTPError(status: 400, code: "parameter_unknown", message: "unknown field \(unknown)",
                            details: [.init(field: unknown, issue: "not a field of this operation")])
        }
        return value
    }

    /// The first query parameter or path parameter that holds U+0000, if any (no store keeps it).
    package var parameterHoldingNUL: String? {
        if let parameter = query.first(where: { $0.name.utf8.contains(0) || $0.value.utf8.contains(0) }) { return parameter.name }
        return pathParameters.first { $0.value.utf8.contains(0) }?.key
    }
}

/// The checks on a decoded body beyond what `Decodable` enforces.
enum RequestBodyCheck {
    /// True when the JSON text has a `\u0000` escape (raw NUL is not valid JSON): a cheap scan, so
    /// the tree is searched only for bodies that may hold one.
    static func mayHoldNUL(_ body: [UInt8]) -> Bool {
        var index = 0
        while index + 5 < body.count {
            if body[index] == UInt8(ascii: "\\") {
                if body[index + 1] == UInt8(ascii: "u"), body[(index + 2)...(index + 5)].allSatisfy({ $0 == UInt8(ascii: "0") }) {
                    return true
                }
                index += 2  // the escaped character, whatever it is
            } else {
                index += 1
            }
        }
        return false
    }

    /// The API name of the first string (or object key) in `tree` that holds U+0000.
    static func fieldHoldingNUL(_ tree: Any, path: [any CodingKey] = []) -> String? {
        switch tree {
        case let string as String:
            return string.utf8.contains(0) ? (path.isEmpty ? "body" : WireJSON.fieldName(path)) : nil
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let found = fieldHoldingNUL(element, path: path + [IndexKey(index)]) { return found }
            }
        case let object as [String: Any]:
            for (key, element) in object {
                if key.utf8.contains(0) { return WireJSON.fieldName(path + [NameKey(String(key.prefix { $0 != "\u{0}" }))]) }
                if let found = fieldHoldingNUL(element, path: path + [NameKey(key)]) { return found }
            }
        default:
            break
        }
        return nil
    }

    /// The API names of the fields in `tree` that the decoded value has no property for, found by
    /// walking the JSON objects beside the value's stored properties (snake_case, as the decoder
    /// maps them). Free-form maps (`metadata`) take any key. A type's field names are reflected
    /// once (``FieldNames``); a flat body costs a dictionary look-up per key after that.
    static func unknownFields(_ tree: Any, decoded value: Any, path: [String] = []) -> [String] {
        let value = (value as? any OptionalValue)?.wrappedValue ?? value
        switch tree {
        case let object as [String: Any]:
            guard let fields = FieldNames.shared.fields(of: value) else { return [] }
            // The common case first: a flat body whose every key is a field (no sorting, no mirror).
            if object.allSatisfy({ fields[$0.key] != nil && !($0.value is [String: Any] || $0.value is [Any]) }) { return [] }
            var unknown: [String] = []
            var mirror: Mirror?
            for key in object.keys.sorted() {
                guard let label = fields[key] else {
                    unknown.append((path + [key]).joined(separator: "."))
                    continue
                }
                guard let child = object[key], child is [String: Any] || child is [Any] else { continue }
                mirror = mirror ?? Mirror(reflecting: value)
                if let property = mirror?.descendant(label) {
                    unknown += unknownFields(child, decoded: property, path: path + [key])
                }
            }
            return unknown
        case let array as [Any]:
            let mirror = Mirror(reflecting: value)
            guard mirror.displayStyle == .collection else { return [] }
            var unknown: [String] = []
            for (index, (element, child)) in zip(array, mirror.children).enumerated() {
                var indexed = path
                if indexed.isEmpty { indexed = ["[\(index)]"] } else { indexed[indexed.count - 1] += "[\(index)]" }
                unknown += unknownFields(element, decoded: child.value, path: indexed)
            }
            return unknown
        default:
            return []
        }
    }

    private struct NameKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct IndexKey: CodingKey {
        var intValue: Int?
        var stringValue: String { String(intValue ?? 0) }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }
}

/// An `Optional` seen through `Any`, so its wrapped value can be taken without reflection.
private protocol OptionalValue {
    var wrappedValue: Any? { get }
}

extension Optional: OptionalValue {
    var wrappedValue: Any? { self.map { $0 as Any } }
}

/// The field names of the struct and class types request bodies decode to, as the API spells
/// them (snake_case) mapped to the Swift property names; reflected once per type. Nil for types
/// that are not structs or classes (dictionaries, enums): those take any key.
final class FieldNames: Sendable {
    static let shared = FieldNames()

    /// Read by every request with a body, written once per type: readers must not queue.
    private let byType = ReadWriteLock<[ObjectIdentifier: [String: String]?]>([:])

    func fields(of value: Any) -> [String: String]? {
        let type = ObjectIdentifier(Swift.type(of: value))
        if let known = byType.read({ $0[type] }) { return known }
        let mirror = Mirror(reflecting: value)
        var fields: [String: String]?
        if mirror.displayStyle == .struct || mirror.displayStyle == .class {
            var names: [String: String] = [:]
            for child in mirror.children {
                guard let label = child.label, !label.hasPrefix("_") else { continue }
                names[WireJSON.snakeCase(label)] = label
            }
            fields = names
        }
        byType.write { $0[type] = fields }
        return fields
    }
}
