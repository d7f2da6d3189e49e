import Synchronization

/// Maps a method and a path to a handler.
///
/// Patterns are OpenAPI-style: `/v1/keys/{id}`; a `{name}` segment matches exactly one
/// non-empty path segment and its value lands in ``HTTPRequest/pathParameters``.
///
/// * Literal segments win over `{name}` segments: with `/v1/keys/search` and `/v1/keys/{id}`
///   registered, `/v1/keys/search` goes to the first. A path a literal route spells out belongs to
///   the literal routes alone: another method there is a 405 listing theirs (`GET
///   /v1/outbox/purge` is not `GET /v1/outbox/{id}` with id "purge").
/// * A trailing slash is significant: `/v1/keys/` does not match `/v1/keys` (404). Clients are
///   expected to use the paths the OpenAPI document lists.
/// * HEAD is answered by the GET route when no HEAD route is registered (libmicrohttpd drops
///   the body and keeps `Content-Length`).
/// * A path some route has, with a method none of them has, is a 405 whose `Allow` lists the
///   methods the path accepts.
/// * Paths are matched after libmicrohttpd percent-decodes them, so `%2F` acts as `/`.
///
/// Register every route before ``HTTPServer/start()``: the server takes a snapshot of the table
/// there and matches requests against it without locking.
package final class Router: Sendable {
    /// A route's handler. It runs on a worker thread or the I/O thread (see ``RouteOptions``) and
    /// may block. Throw ``HTTPError`` to answer with its status and error body; any other error
    /// is answered with a 500 `internal_error` and logged.
    package typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    private let table = Mutex(RouteTable())

    package init() {}

    /// Registers `handler` for `method` and `pattern`.
    ///
    /// An invalid pattern (not starting with `/`, or a `{` that is not a whole segment) or a
    /// second registration of the same method and pattern is a programming error and stops the
    /// process with a message naming the route; route tables are code, never input.
    package func register(
        _ method: HTTPMethod, _ pattern: String, options: RouteOptions = .init(), _ handler: @escaping Handler
    ) {
        let problem = table.withLock { $0.insert(method: method, pattern: pattern, options: options, handler: handler) }
        if let problem { preconditionFailure(problem) }
    }

    /// Looks up the route for `method` and `path` (the path without its query string).
    package func match(method: HTTPMethod, path: String) -> RouteMatch {
        table.withLock { $0.match(method: method, path: path) }
    }

    /// Every registered method and pattern, in registration order (the OpenAPI test compares
    /// this list with the document).
    package var routes: [(method: HTTPMethod, pattern: String)] {
        table.withLock { $0.registered }
    }

    /// A copy of the table for the server to read without locking.
    func snapshot() -> RouteTable {
        table.withLock { $0 }
    }
}
