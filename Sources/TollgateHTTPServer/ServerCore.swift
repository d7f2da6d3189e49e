import CMicroHTTPD
import CMicroHTTPDShims
import Synchronization
import TollgateLogging
import TollgateBase
import TollgateWire

/// An `MHD_Connection` pointer that crosses to a worker thread. `@unchecked Sendable`: the only
/// call made with it off the I/O thread is `MHD_resume_connection`, which libmicrohttpd allows
/// from any thread.
struct ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// The request pipeline behind libmicrohttpd's callbacks: body limit, routing, middleware,
/// handler, error mapping, response queueing, metrics and the access log. One per running daemon;
/// the C callbacks reach it through their `void *` context (see `MHDCallbacks.swift`).
final class ServerCore: Sendable {
    /// A request whose connection is suspended while a worker runs its handler.
    private struct Suspended {
        let context: RequestContext
        let connection: ConnectionHandle
    }

    private struct Lifecycle {
        /// Set when the shutdown deadline passed: nothing is suspended any more.
        var closing = false
        var suspended: [ObjectIdentifier: Suspended] = [:]
    }

    let configuration: HTTPServerConfiguration
    let metrics: HTTPMetrics
    /// Open connections, their request phase and deadlines (slow clients, shedding).
    let connections: ConnectionTable
    private let table: RouteTable
    private let middleware: [any Middleware]
    let logger: Logger
    /// Runs handlers of routes with `runsOnWorkerPool`; nil in thread-per-connection mode.
    private let pool: WorkerPool?
    private let lifecycle = Mutex(Lifecycle())
    /// Set when shutdown begins: responses then carry `Connection: close`.
    private let draining = Atomic<Bool>(false)
    let requestIDs = RequestIDGenerator()
    /// Open streamed responses: their limit, heartbeat and (epoll mode) pump.
    let streams: StreamRegistry

    init(
        configuration: HTTPServerConfiguration, table: RouteTable, middleware: [any Middleware],
        logger: Logger, metrics: HTTPMetrics, pool: WorkerPool?, streamPump: StreamPump?
    ) {
        self.configuration = configuration
        self.table = table
        self.middleware = middleware
        self.logger = logger
        self.metrics = metrics
        self.pool = pool
        streams = StreamRegistry(
            limit: configuration.streamLimit, heartbeat: configuration.effectiveStreamHeartbeat, pump: streamPump, metrics: metrics)
        var threadPerConnection = false
        if case .threadPerConnection = configuration.mode { threadPerConnection = true }
        connections = ConnectionTable(
            limit: configuration.connectionLimit, headTimeout: configuration.requestHeadTimeout,
            bodyTimeout: configuration.requestBodyTimeout, threadPerConnection: threadPerConnection)
    }

    // MARK: The access handler

    /// One call of libmicrohttpd's access handler (see `MHD_AccessHandlerCallback`): first call
    /// (headers in), upload calls (body pieces), the final call (request complete), and after a
    /// worker resumed the connection, the call that queues its response.
    func handle(
        connection: OpaquePointer, url: UnsafePointer<CChar>, method: UnsafePointer<CChar>,
        upload: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
        slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let existing = slot.pointee else {
            return firstCall(connection: connection, method: method, slot: slot)
        }
        let context = Unmanaged<RequestContext>.fromOpaque(existing).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            let bytes = UnsafeRawBufferPointer(start: upload, count: upload == nil ? 0 : uploadSize.pointee)
            uploadSize.pointee = 0
            context.appendBody(bytes, limit: configuration.maxBodyBytes)
            return .YES
        }
        switch context.phase {
        case .receiving:
            let pathHoldsNUL = connections.requestReceived(connection)
            return requestReceived(connection: connection, context: context, url: url, method: method, pathHoldsNUL: pathHoldsNUL)
        case .responded(let response):
            return queue(response, context: context, connection: connection)
        case .running, .queued:
            return .YES
        }
    }

    /// Headers are in: create the request's context. A Content-Length over the limit is answered
    /// 413 at once (libmicrohttpd then closes the connection instead of reading the body);
    /// anything else is answered on a later call, which keeps keep-alive working on 0.9.75.
    private func firstCall(
        connection: OpaquePointer, method: UnsafePointer<CChar>, slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        let clientID = Self.header(connection, RequestID.headerName)
        let trace = TraceContext.resolve(
            traceparent: Self.header(connection, TraceContext.parentHeader), tracestate: Self.header(connection, TraceContext.stateHeader))
        let context = RequestContext(
            requestID: requestIDs.resolve(clientID), trace: trace, method: String(cString: method), started: .now)
        slot.pointee = Unmanaged.passRetained(context).toOpaque()
        metrics.requestStarted()
        connections.headersReceived(connection)
        if let length = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
           let declared = UInt64(String(cString: length)), declared > UInt64(configuration.maxBodyBytes) {
            context.markTooLarge()
            return queue(.error(.payloadTooLarge(limit: configuration.maxBodyBytes)), context: context, connection: connection)
        }
        return .YES
    }

    private static func header(_ connection: OpaquePointer, _ name: String) -> String? {
        MHD_lookup_connection_value(connection, .HEADER_KIND, name).map { String(cString: $0) }
    }

    /// The whole request is in: route it and answer inline, or hand it to the worker pool.
    private func requestReceived(
        connection: OpaquePointer, context: RequestContext, url: UnsafePointer<CChar>, method: UnsafePointer<CChar>, pathHoldsNUL: Bool
    ) -> MHD_Result {
        if context.isTooLarge {
            return queue(.error(.payloadTooLarge(limit: configuration.maxBodyBytes)), context: context, connection: connection)
        }
        if pathHoldsNUL {
            let refusal = HTTPError(status: 400, code: "parameter_invalid", message: "path: must not contain the NUL character (U+0000)",
                                    details: [.init(field: "path", issue: "must not contain U+0000")])
            return queue(.error(refusal), context: context, connection: connection)
        }
        let path = String(cString: url)
        let httpMethod = HTTPMethod(rawValue: context.method)
        let route: Route
        let parameters: [String: String]
        switch table.match(method: httpMethod, path: path) {
        case .matched(let matched, let values):
            route = matched
            parameters = values
        case .methodNotAllowed(let allowed):
            if let fallback = table.fallback(for: path) {
                var answer = fallback(RouteMiss(method: context.method, path: path, allowed: allowed))
                answer.headers.set("Allow", allowed.map(\.rawValue).joined(separator: ", "))
                return queue(answer, context: context, connection: connection)
            }
            return queue(.error(.methodNotAllowed(allowed: allowed)), context: context, connection: connection)
        case .notFound:
            if let fallback = table.fallback(for: path) {
                return queue(fallback(RouteMiss(method: context.method, path: path, allowed: [])), context: context, connection: connection)
            }
            return queue(.error(.notFound("no route for \(context.method) \(path)")), context: context, connection: connection)
        }
        context.setRoute(route.pattern)
        let request = HTTPRequest(
            method: httpMethod ?? route.method, path: path,
            query: MHDValues.collect(connection, kind: .GET_ARGUMENT_KIND),
            headers: HTTPHeaders(fields: MHDValues.collect(connection, kind: .HEADER_KIND)),
            body: context.takeBody(), pathParameters: parameters, requestID: context.requestID, trace: context.trace,
            route: route.pattern, logger: context.logger(logger))
        guard route.options.runsOnWorkerPool, let pool else {
            return queue(execute(route, request), context: context, connection: connection)
        }
        return dispatch(route, request, context: context, connection: ConnectionHandle(pointer: connection), pool: pool)
    }

    /// Suspends the connection and runs the handler on the pool; the worker stores the response
    /// and resumes the connection, and libmicrohttpd calls the access handler again to queue it.
    private func dispatch(
        _ route: Route, _ request: HTTPRequest, context: RequestContext, connection: ConnectionHandle, pool: WorkerPool
    ) -> MHD_Result {
        context.markRunning()
        // Suspend under the lock, so that shutdown only ever resumes a suspended connection.
        let suspended = lifecycle.withLock { state -> Bool in
            guard !state.closing else { return false }
            state.suspended[ObjectIdentifier(context)] = Suspended(context: context, connection: connection)
            MHD_suspend_connection(connection.pointer)
            return true
        }
        guard suspended else {
            _ = context.complete(with: .error(.unavailable("the server is shutting down")))
            return .YES  // the next call queues that response
        }
        let accepted = pool.submit { [self] in
            let response = self.execute(route, request)
            if context.complete(with: response) { self.resume(context, connection) }
        }
        if !accepted, context.complete(with: .error(.unavailable("the server is shutting down"))) {
            resume(context, connection)
        }
        return .YES
    }

    private func resume(_ context: RequestContext, _ connection: ConnectionHandle) {
        MHD_resume_connection(connection.pointer)
        lifecycle.withLock { _ = $0.suspended.removeValue(forKey: ObjectIdentifier(context)) }
    }

    /// Runs the middleware chain and the handler, as the request's trace (``TraceContext/current``);
    /// maps errors to responses.
    func execute(_ route: Route, _ request: HTTPRequest) -> HTTPResponse {
        TraceContext.$current.withValue(request.trace) { run(route, request) }
    }

    private func run(_ route: Route, _ request: HTTPRequest) -> HTTPResponse {
        do {
            return try invoke(route, request, from: 0)
        } catch let error as HTTPError {
            return .error(error)
        } catch {
            request.logger.error("handler failed", ["route": route.pattern, "error": String(describing: error)])
            return .error(.internalError)
        }
    }

    private func invoke(_ route: Route, _ request: HTTPRequest, from index: Int) throws -> HTTPResponse {
        guard index < middleware.count else { return try route.handler(request) }
        return try middleware[index].handle(request) { next in try invoke(route, next, from: index + 1) }
    }

    /// Queues `response` with `X-Request-Id` (and `Connection: close` while draining).
    private func queue(_ response: HTTPResponse, context: RequestContext, connection: OpaquePointer) -> MHD_Result {
        var response = response
        if !(200...599).contains(response.status) {
            context.logger(logger).error("handler returned an invalid status", ["status": String(response.status)])
            response = .error(.internalError)
        }
        if let stream = response.stream, !streams.admit() {
            stream.source.close()
            response = .error(.unavailable(
                streams.isClosing ? "the server is shutting down" : "too many open streams (\(streams.limit)); retry later"))
        }
        response.headers.set(RequestID.headerName, context.requestID)
        if draining.load(ordering: .relaxed) { response.headers.set("Connection", "close") }
        context.markQueued(status: response.status)
        return MHDResponse.queue(response, on: connection, streams: streams)
    }

    // MARK: Callbacks other than the access handler

    /// The request ended (answered, or the client went away): metrics, the access line, and the
    /// context's release.
    func requestCompleted(context: RequestContext, reason: MHD_RequestTerminationCode) {
        metrics.requestFinished()
        let outcome = context.outcome
        let duration = ContinuousClock.now - context.started
        let route = outcome.route ?? "unmatched"
        guard let status = outcome.status, reason == .REQUEST_TERMINATED_COMPLETED_OK else {
            if logger.isEnabled(.debug) {
                context.logger(logger).debug("request ended without a complete response", [
                    "method": context.method, "route": route, "reason": String(reason.rawValue),
                ])
            }
            return
        }
        metrics.record(method: context.method, route: route, status: status, duration: duration)
        if logger.isEnabled(configuration.accessLogLevel) {
            context.logger(logger).log(configuration.accessLogLevel, "request", [
                "method": context.method, "route": route, "status": String(status),
                "duration_ms": Self.milliseconds(duration),
            ])
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let micros = duration.microseconds
        let fraction = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    // MARK: Shutdown

    /// From now on responses close their connection.
    func beginDraining() {
        draining.store(true, ordering: .relaxed)
        streams.beginClosing()
    }

    /// At the shutdown deadline: answers every request still running on a worker with a 503 and
    /// resumes its connection (libmicrohttpd must not be stopped with suspended connections), then
    /// waits for workers that are resuming connections themselves (they never block there).
    func releaseSuspended() {
        let pending = lifecycle.withLock { state -> [Suspended] in
            state.closing = true
            return Array(state.suspended.values)
        }
        for entry in pending where entry.context.complete(with: .error(.unavailable("the server is shutting down"))) {
            resume(entry.context, entry.connection)
        }
        while lifecycle.withLock({ !$0.suspended.isEmpty }) {
            Pause.briefly()
        }
    }
}
