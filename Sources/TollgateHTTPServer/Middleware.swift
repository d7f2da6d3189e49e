/// Code that runs around every routed handler, outermost first (authentication, rate limits).
///
/// Middleware sees only requests that were routed: a 404, 405 or 413 is answered before it runs.
/// Call `next` to go on to the next middleware or the handler, or return a response (or throw
/// ``HTTPError``) to answer without it. Middleware runs on the same thread as the handler.
package protocol Middleware: Sendable {
    func handle(_ request: HTTPRequest, next: (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse
}
