import Foundation
import TollgateLogging

/// A complete request as a handler sees it: the body is fully read (and within the limit).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The path without the query string, percent-decoded by libmicrohttpd.
    public var path: String
    /// Query parameters in order (`?a=1&b=2`).
    public var query: [(name: String, value: String)]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Values of the route's `{name}` segments.
    public var pathParameters: [String: String]
    /// Echoed from `X-Request-Id` when the client sent a well-formed one, else generated.
    public var requestID: String
    /// The route pattern that matched (`/v1/keys/{id}`), for metrics and logs.
    public var route: String?
    /// A logger whose lines carry `request_id`.
    public var logger: Logger

    public init(
        method: HTTPMethod, path: String, query: [(name: String, value: String)] = [], headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], pathParameters: [String: String] = [:], requestID: String = "test", route: String? = nil,
        logger: Logger = .disabled
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.pathParameters = pathParameters
        self.requestID = requestID
        self.route = route
        self.logger = logger
    }

    /// The first value of query parameter `name`.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// The value of path parameter `name`; a route that declares it always has it.
    public func pathParameter(_ name: String) throws(HTTPError) -> String {
        guard let value = pathParameters[name] else { throw .badRequest("missing path parameter \(name)") }
        return value
    }

    /// Decodes the JSON body. A non-JSON content type is a 415; malformed JSON or a body that
    /// does not match `T` is a 400 whose message says where.
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self) throws(HTTPError) -> T {
        if let contentType = headers["Content-Type"],
           !contentType.lowercased().hasPrefix("application/json") {
            throw .unsupportedMediaType()
        }
        guard !body.isEmpty else { throw .invalidJSON("request body is empty; expected a JSON document") }
        do {
            return try JSONCoding.decoder.decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw .invalidJSON(JSONCoding.describe(error))
        } catch {
            throw .invalidJSON("request body is not valid JSON")
        }
    }
}
