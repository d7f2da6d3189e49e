import Foundation
import TollgateEntitlements
import TollgateWire

/// The HTTP API operation a command stands for in remote mode: method, path, query and JSON body,
/// as `/openapi.json` documents it. A command states it beside its local operation
/// (``CommandContext/perform(_:local:)``); ``RemoteAPI`` sends it.
///
/// ```swift
/// APIRequest(.GET, "/v1/customers/\(externalID)")                    // path values are escaped
/// APIRequest(.GET, "/v1/customers", query: page.query())
/// APIRequest(.POST, "/v1/customers", body: changes)                  // the wire's JSON
/// ```
struct APIRequest {
    /// The methods the API's endpoints use.
    enum Method: String {
        case GET, POST, PUT, PATCH, DELETE
    }

    var method: Method
    /// Percent-encoded: each interpolated value is one escaped path segment.
    var path: String
    var query: [(name: String, value: String)]
    var body: [UInt8]?
    /// The `Idempotency-Key` header: a repeat with it is one operation (the API scopes it per key).
    var idempotencyKey: String?

    init(_ method: Method, _ path: Path, query: [(String, String?)] = []) {
        self.method = method
        self.path = path.text
        self.query = query.compactMap { name, value in value.map { (name, $0) } }
        body = nil
        idempotencyKey = nil
    }

    /// The same request with an `Idempotency-Key` (none when nil).
    func idempotent(_ key: String?) -> APIRequest {
        var request = self
        request.idempotencyKey = key
        return request
    }

    /// A request whose body is `body` as the API reads it (``WireJSON``).
    init<Body: Encodable>(_ method: Method, _ path: Path, query: [(String, String?)] = [], body: Body) throws {
        self.init(method, path, query: query)
        self.body = Array(try WireJSON.encoder().encode(body))
    }

    /// The path and query, escaped: what follows the API's base URL.
    var target: String {
        guard !query.isEmpty else { return path }
        return path + "?" + query.map { "\(Self.escape($0.name))=\(Self.escape($0.value))" }.joined(separator: "&")
    }

    /// Characters kept as they are in a path segment or a query value (RFC 3986 unreserved).
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// `"/v1/customers/\(id)/grants"`: the literal text as written, each interpolated value
    /// percent-encoded as one segment (a `/` or `?` in an id cannot change the route).
    struct Path: ExpressibleByStringInterpolation {
        var text: String

        init(stringLiteral value: String) { text = value }

        init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

        struct Interpolation: StringInterpolationProtocol {
            var text = ""

            init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }

            mutating func appendLiteral(_ literal: String) { text += literal }

            mutating func appendInterpolation(_ value: some CustomStringConvertible) { text += APIRequest.escape(value.description) }
        }
    }
}

extension PageOptions {
    /// `limit` and `starting_after` as given (the API validates them as the store does), then `filters`.
    func query(_ filters: (String, String?)...) -> [(String, String?)] {
        [("limit", limit.map(String.init)), ("starting_after", startingAfter)] + filters
    }
}
