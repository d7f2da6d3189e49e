import Foundation

/// A response: status, headers and the whole body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response encoded with Tollgate's encoder (snake_case keys, ISO-8601 dates).
    public static func json<T: Encodable>(_ value: T, status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) throws -> HTTPResponse {
        var headers = headers
        headers.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: Array(try JSONCoding.encoder.encode(value)))
    }

    /// A plain-text response.
    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    public static func noContent() -> HTTPResponse { HTTPResponse(status: 204) }

    /// The error body of SPEC.md for `error`, with its extra headers.
    public static func error(_ error: HTTPError) -> HTTPResponse {
        struct Body: Encodable {
            struct Inner: Encodable {
                var code: String
                var message: String
                var details: [HTTPError.Detail]
            }
            var error: Inner
        }
        var headers = error.headers
        headers.set("Content-Type", "application/json")
        let body = Body(error: .init(code: error.code, message: error.message, details: error.details))
        let bytes = (try? JSONCoding.encoder.encode(body)).map(Array.init)
            ?? Array(#"{"error":{"code":"internal_error","message":"internal error","details":[]}}"#.utf8)
        return HTTPResponse(status: error.status, headers: headers, body: bytes)
    }
}
