/// How the server runs a route's handler.
package struct RouteOptions: Sendable, Equatable {
    /// `true` (the default) when the handler may block (the store, the network): in
    /// ``HTTPServerConfiguration/Mode/epoll(workerThreads:)`` mode it then runs on the worker pool
    /// while libmicrohttpd's I/O thread goes on. `false` promises a handler that never blocks
    /// (an in-memory decision); it then runs inline on the I/O thread, which saves two thread hops.
    package var runsOnWorkerPool: Bool

    package init(runsOnWorkerPool: Bool = true) {
        self.runsOnWorkerPool = runsOnWorkerPool
    }
}

/// One registered route: a method, an OpenAPI-style pattern (`/v1/keys/{id}`) and its handler.
package struct Route: Sendable {
    package let method: HTTPMethod
    /// The pattern as registered; also the `route` label of metrics and logs.
    package let pattern: String
    package let options: RouteOptions
    package let handler: Router.Handler
    /// The names of the `{name}` segments, in order.
    let parameterNames: [String]
}

/// The outcome of ``Router/match(method:path:)``.
package enum RouteMatch: Sendable {
    /// A route answers this method and path; `parameters` holds its `{name}` segments.
    case matched(Route, parameters: [String: String])
    /// Routes exist for this path, but none for this method: answer 405 with `Allow`.
    case methodNotAllowed(allowed: [HTTPMethod])
    /// No route has this path.
    case notFound
}
