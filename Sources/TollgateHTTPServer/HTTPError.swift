package import TollgateWire

/// An error a handler throws to answer with a status and the JSON error body of SPEC.md:
/// `{"error": {"code": "…", "message": "…", "details": […]}}`.
///
/// `message` and `details` go to the client: never put SQL, stack traces or secrets in them.
package struct HTTPError: Error, Sendable {
    /// One thing wrong, named by field where there is one: the wire's ``Failure/Detail``.
    package typealias Detail = Failure.Detail

    package var status: Int
    package var code: String
    package var message: String
    package var details: [Detail]
    /// Extra response headers (`Allow` on a 405, `Retry-After` on a 429, …).
    package var headers: HTTPHeaders

    package init(status: Int, code: String, message: String, details: [Detail] = [], headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    package static func badRequest(_ message: String, code: String = "bad_request", details: [Detail] = []) -> HTTPError {
        HTTPError(status: 400, code: code, message: message, details: details)
    }
    package static func invalidJSON(_ message: String) -> HTTPError {
        HTTPError(status: 400, code: "invalid_json", message: message)
    }
    package static func unauthorized(_ message: String = "a valid API key is required") -> HTTPError {
        HTTPError(status: 401, code: "unauthorized", message: message, headers: ["WWW-Authenticate": "Bearer"])
    }
    package static func forbidden(_ message: String) -> HTTPError {
        HTTPError(status: 403, code: "forbidden", message: message)
    }
    package static func notFound(_ message: String = "no such resource", code: String = "not_found") -> HTTPError {
        HTTPError(status: 404, code: code, message: message)
    }
    package static func methodNotAllowed(allowed: [HTTPMethod]) -> HTTPError {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        return HTTPError(status: 405, code: "method_not_allowed", message: "allowed methods: \(allow)", headers: ["Allow": allow])
    }
    package static func conflict(_ message: String, code: String = "conflict") -> HTTPError {
        HTTPError(status: 409, code: code, message: message)
    }
    package static func payloadTooLarge(limit: Int) -> HTTPError {
        HTTPError(status: 413, code: "payload_too_large", message: "request body exceeds \(limit) bytes")
    }
    package static func unsupportedMediaType(_ message: String = "expected Content-Type: application/json") -> HTTPError {
        HTTPError(status: 415, code: "unsupported_media_type", message: message)
    }
    package static func unprocessable(_ message: String, code: String = "unprocessable", details: [Detail] = []) -> HTTPError {
        HTTPError(status: 422, code: code, message: message, details: details)
    }
    package static func unavailable(_ message: String) -> HTTPError {
        HTTPError(status: 503, code: "unavailable", message: message)
    }
    package static let internalError = HTTPError(status: 500, code: "internal_error", message: "internal error")
}
