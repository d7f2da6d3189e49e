import Foundation
import TollgateWire

/// A response: status, headers and the whole body, or a body produced while it is sent
/// (``stream(_:heartbeat:status:headers:)``).
package struct HTTPResponse: Sendable {
    package var status: Int
    package var headers: HTTPHeaders
    package var body: [UInt8]
    /// Set for a streamed response (then `body` is unused).
    package var stream: StreamBody?

    package init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response in Tollgate's conventions (``WireJSON``: snake_case keys, RFC 3339 instants, sorted keys).
    package static func json<T: Encodable>(_ value: T, status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) throws -> HTTPResponse {
        var headers = headers
        headers.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: Array(try WireJSON.encoder().encode(value)))
    }

    /// A plain-text response.
    package static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    package static func noContent() -> HTTPResponse { HTTPResponse(status: 204) }

    /// The error body of SPEC.md for `error` (``ErrorBody``, the CLI's too), with its extra headers.
    package static func error(_ error: HTTPError) -> HTTPResponse {
        var headers = error.headers
        headers.set("Content-Type", "application/json")
        let body = ErrorBody(code: error.code, message: error.message, details: error.details)
        return HTTPResponse(status: error.status, headers: headers, body: body.json)
    }
}
