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
/// * A path no route answers is a JSON 404 or 405 (``HTTPError``), unless a fallback registered
///   for a prefix of it (``registerFallback(prefix:_:)``, e.g. the console's `/admin`) answers instead.
///
/// Register every route before ``HTTPServer/start()``: the server takes a snapshot of the table
/// there and matches requests against it without locking.
package final class Router: Sendable {
    /// A route's handler. It runs on a worker thread or the I/O thread (see ``RouteOptions``) and
    /// may block. Throw ``HTTPError`` to answer with its status and error body; any other error
    /// is answered with a 500 `internal_error` and logged.
    package typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    /// A prefix's answer to a request no route takes (``registerFallback(prefix:_:)``).
    package typealias MissHandler = @Sendable (RouteMiss) -> HTTPResponse

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

    /// Answers the 404s and 405s of the paths under `prefix` (`prefix` itself and `prefix/…`) in
    /// place of the JSON error, e.g. with an HTML page; the longest matching prefix wins. The
    /// handler runs inline on the I/O thread: it must not block (no store, no network).
    package func registerFallback(prefix: String, _ handler: @escaping MissHandler) {
        let problem = table.withLock { $0.insertFallback(prefix: prefix, handler: handler) }
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

/// A request no route takes, as a fallback sees it (``Router/registerFallback(prefix:_:)``).
package struct RouteMiss: Sendable {
    /// The method as the client sent it.
    package var method: String
    package var path: String
    /// The methods the path accepts: empty for a 404, the `Allow` list of a 405.
    package var allowed: [HTTPMethod]

    package init(method: String, path: String, allowed: [HTTPMethod]) {
        self.method = method
        self.path = path
        self.allowed = allowed
    }

    /// 405 when some route has the path, else 404.
    package var status: Int { allowed.isEmpty ? 404 : 405 }
}
