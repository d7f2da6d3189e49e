import CMicroHTTPD
import CMicroHTTPDShims
import Foundation
import Synchronization
package import TollgateLogging

/// An HTTP/1.1 server on GNU libmicrohttpd that routes requests to handlers.
///
/// Per request: the body is read whole (over ``HTTPServerConfiguration/maxBodyBytes`` it is a 413
/// before routing and middleware; the Content-Length is checked as soon as the headers arrive,
/// chunked bodies are counted as they arrive), `X-Request-Id` is echoed or generated and set on
/// every response and in the request's logger, an unknown path is a 404, a wrong method a 405 with
/// `Allow`, and the request is counted in ``metrics`` and logged once (see
/// ``HTTPServerConfiguration/accessLogLevel``).
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 0), router: router, logger: logger)
/// try server.start()
/// // … server.port …
/// server.shutdown(timeout: .seconds(10))
/// ```
package final class HTTPServer: Sendable {
    /// The daemon pointer. `@unchecked Sendable`: only the one `shutdown` call that takes it out of
    /// the state uses it (quiesce, then stop), so no two threads call libmicrohttpd with it at once.
    private struct Daemon: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// The options given to `tg_mhd_start_daemon`, on the heap: `mhd.c` passes them to
    /// libmicrohttpd as its error log's context, so they live until `MHD_stop_daemon` returned.
    /// `@unchecked Sendable`: written once before the daemon starts, only read afterwards.
    private struct Options: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<tg_mhd_options>
    }

    private struct Running: Sendable {
        let daemon: Daemon
        let options: Options
        let reaper: ConnectionReaper
        let listenSocket: Int32
        /// The callbacks' context, kept alive here until `MHD_stop_daemon` has returned.
        let core: ServerCore
        let pool: WorkerPool?
        let port: Int
    }

    private enum State: Sendable {
        case idle
        case running(Running)
        case stopping(port: Int)
        case stopped(port: Int)
    }

    package let configuration: HTTPServerConfiguration
    /// Request counts, latencies, in-flight requests and open connections.
    package let metrics = HTTPMetrics()
    private let router: Router
    private let middleware: [any Middleware]
    private let logger: Logger
    private let state = Mutex(State.idle)

    /// A server that will route with `router` (register every route before ``start()``) and run
    /// `middleware` around each routed handler, outermost first.
    package init(configuration: HTTPServerConfiguration, router: Router, middleware: [any Middleware] = [], logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.middleware = middleware
        self.logger = logger
    }

    deinit {
        shutdown(timeout: .zero)
    }

    /// The port the server listens on (the kernel's choice when the configuration asked for 0);
    /// 0 before ``start()``.
    package var port: Int {
        state.withLock { state in
            switch state {
            case .idle: 0
            case .running(let running): running.port
            case .stopping(let port), .stopped(let port): port
            }
        }
    }

    /// Binds the address and starts serving. Throws ``HTTPServerError`` when the configuration is
    /// invalid, the address is in use or cannot be bound, or libmicrohttpd does not start.
    package func start() throws(HTTPServerError) {
        try validate(configuration)
        try state.withLock { (state) throws(HTTPServerError) in
            guard case .idle = state else {
                throw HTTPServerError(code: .alreadyStarted, message: "the server was already started")
            }
            state = .running(try launch())
        }
        logger.info("http server listening", ["host": configuration.host, "port": String(port), "mode": "\(configuration.mode)"])
    }

    private func validate(_ configuration: HTTPServerConfiguration) throws(HTTPServerError) {
        guard (0...65535).contains(configuration.port) else {
            throw HTTPServerError(code: .invalidAddress, message: "port \(configuration.port) is outside 0…65535")
        }
        var problems: [String] = []
        if configuration.maxBodyBytes < 0 { problems.append("maxBodyBytes must not be negative") }
        if configuration.idleTimeout < 0 { problems.append("idleTimeout must not be negative") }
        if configuration.connectionLimit < 1 { problems.append("connectionLimit must be at least 1") }
        if configuration.requestHeadTimeout <= .zero { problems.append("requestHeadTimeout must be positive") }
        if configuration.requestBodyTimeout <= .zero { problems.append("requestBodyTimeout must be positive") }
        if case .epoll(let workers) = configuration.mode, workers < 1 { problems.append("workerThreads must be at least 1") }
        if configuration.streamLimit < 0 { problems.append("streamLimit must not be negative") }
        if configuration.streamHeartbeat <= .zero { problems.append("streamHeartbeat must be positive") }
        if !problems.isEmpty {
            throw HTTPServerError(code: .invalidConfiguration, message: problems.joined(separator: "; "))
        }
    }

    /// Binds the socket and starts the daemon (called under the state lock).
    private func launch() throws(HTTPServerError) -> Running {
        var error: Int32 = 0
        let socket = tg_mhd_listen(configuration.host, UInt16(configuration.port), 511, &error)
        guard socket >= 0 else {
            let address = "\(configuration.host) port \(configuration.port)"
            switch error {
            case EADDRINUSE:
                throw HTTPServerError(code: .addressInUse, message: "\(address) is already in use")
            case EINVAL:
                throw HTTPServerError(code: .invalidAddress, message: "\(configuration.host) is not an IPv4 or IPv6 address")
            default:
                throw HTTPServerError(code: .listenFailed, message: "cannot listen on \(address): \(String(cString: strerror(error)))")
            }
        }
        let pool: WorkerPool?
        let pump: StreamPump?
        var flags = MHD_USE_ITC.rawValue  // MHD_quiesce_daemon needs it
        switch configuration.mode {
        case .epoll(let workers):
            flags |= MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
            pool = WorkerPool(threadCount: workers, name: "http-worker")
            pump = StreamPump()
        case .threadPerConnection:
            flags |= MHD_USE_THREAD_PER_CONNECTION.rawValue | MHD_USE_POLL_INTERNAL_THREAD.rawValue
            pool = nil
            pump = nil
        }
        let core = ServerCore(
            configuration: configuration, table: router.snapshot(), middleware: middleware,
            logger: logger, metrics: metrics, pool: pool, streamPump: pump)
        let context = Unmanaged.passUnretained(core).toOpaque()
        let options = UnsafeMutablePointer<tg_mhd_options>.allocate(capacity: 1)
        options.initialize(to: tg_mhd_options())
        options.pointee.flags = flags
        options.pointee.listen_fd = socket
        options.pointee.connection_timeout = UInt32(configuration.idleTimeout)
        // Room above the limit, so that the connection table can shed (see `connectionLimit`).
        options.pointee.connection_limit = UInt32(
            configuration.connectionLimit + ConnectionTable.headroom(for: configuration.connectionLimit))
        options.pointee.completed = MHDCallbacks.requestCompleted
        options.pointee.completed_context = context
        options.pointee.connection_notify = MHDCallbacks.connectionNotify
        options.pointee.connection_notify_context = context
        options.pointee.request_line = MHDCallbacks.requestLine
        options.pointee.request_line_context = context
        options.pointee.own_error = MHDCallbacks.libraryError
        options.pointee.own_error_context = context
        guard let daemon = tg_mhd_start_daemon(options, MHDCallbacks.accessHandler, context) else {
            // libmicrohttpd closes the listening socket on its failure paths: not closed again here.
            options.deallocate()
            pool?.shutdown(timeout: .seconds(1))
            pump?.stop()
            throw HTTPServerError(code: .daemonFailed, message: "libmicrohttpd could not start the daemon")
        }
        return Running(
            daemon: Daemon(pointer: daemon), options: Options(pointer: options),
            reaper: ConnectionReaper(table: core.connections, logger: logger),
            listenSocket: socket, core: core, pool: pool, port: Int(tg_mhd_socket_port(socket)))
    }

    /// Stops gracefully: stops accepting (new connections are refused), lets the requests in
    /// flight finish for up to `timeout`, answers any still running on a worker with a 503,
    /// then stops libmicrohttpd (closing idle keep-alive connections) and the worker pool.
    ///
    /// Responses sent while draining carry `Connection: close`. In thread-per-connection mode a
    /// handler still running at the deadline is waited for (libmicrohttpd joins its thread).
    /// Idempotent: later and concurrent calls return at once.
    package func shutdown(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        let taken = state.withLock { state -> Running? in
            switch state {
            case .idle:
                state = .stopped(port: 0)
                return nil
            case .running(let running):
                state = .stopping(port: running.port)
                return running
            case .stopping, .stopped:
                return nil
            }
        }
        guard let running = taken else { return }
        running.core.beginDraining()
        let listening = MHD_quiesce_daemon(running.daemon.pointer)
        if listening >= 0 {
            // Stop the kernel from completing handshakes that nobody would accept any more.
            _ = Foundation.shutdown(listening, Int32(SHUT_RDWR))
        }
        while metrics.inFlightRequests > 0, ContinuousClock.now < deadline {
            Pause.briefly()
        }
        let unfinished = metrics.inFlightRequests
        // See ConnectionTable.hasLibraryAnswersInProgress: a crash in libmicrohttpd 0.9.75 otherwise.
        let answered = ContinuousClock.now + .seconds(2)
        while running.core.connections.hasLibraryAnswersInProgress, ContinuousClock.now < answered {
            Pause.briefly()
        }
        running.core.releaseSuspended()
        running.core.streams.pump?.stop()
        MHD_stop_daemon(running.daemon.pointer)
        running.reaper.stop()
        running.options.pointer.deallocate()
        if listening >= 0 { _ = close(listening) }
        let poolStopped = running.pool?.shutdown(timeout: max(deadline - .now, .milliseconds(100))) ?? true
        state.withLock { $0 = .stopped(port: running.port) }
        if unfinished > 0 || !poolStopped {
            logger.warning("http server stopped with requests unfinished", ["requests": String(unfinished)])
        } else {
            logger.info("http server stopped")
        }
    }
}
