import TollgateLogging

/// How an ``HTTPServer`` listens and handles connections. Every field has a documented default.
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// How requests are spread over threads.
    public enum Mode: Sendable, Equatable {
        /// One libmicrohttpd epoll thread does all I/O; handlers whose route has
        /// ``RouteOptions/runsOnWorkerPool`` run on a fixed pool of `workerThreads` threads while
        /// their connection is suspended, the others run inline on the I/O thread.
        case epoll(workerThreads: Int)
        /// libmicrohttpd starts one thread per connection; every handler runs inline on it
        /// (``RouteOptions/runsOnWorkerPool`` has no effect). Concurrency of blocking handlers is
        /// then bounded by ``HTTPServerConfiguration/connectionLimit`` (and the store's pool).
        case threadPerConnection
    }

    /// The address to listen on: an IPv4 or IPv6 literal. Default `127.0.0.1`.
    public var host: String
    /// The TCP port; 0 lets the kernel choose (read it from ``HTTPServer/port``). Default 8080.
    public var port: Int
    /// The largest request body accepted; a larger one is a 413 before routing. Default 1 MiB.
    /// A declared `Content-Length` over it is answered at once (and the connection closed); a
    /// chunked body is counted as it arrives, dropped once over, and answered 413 at its end; a
    /// chunked body that goes on past twice the limit gets its connection closed without answer.
    public var maxBodyBytes: Int
    /// Seconds a connection may stay silent (idle keep-alive, or a slow client) before the server
    /// closes it (`MHD_OPTION_CONNECTION_TIMEOUT`). Default 30; 0 means never.
    public var idleTimeout: Int
    /// The most connections open at once; more are refused at accept. Default 1024.
    public var connectionLimit: Int
    /// The threading mode. Default `.threadPerConnection`, chosen by measurement (release build,
    /// `wrk -t2 -c64 -d10s`, 2 shared cores; docs/http-server.md has the table): about equal to
    /// epoll for a handler that answers inline on the I/O thread (~65k req/s each), and well
    /// ahead once a handler needs the worker pool, because suspend/resume costs two thread hand-offs
    /// per request: a little CPU work ~55k vs ~30k req/s, a 1 ms blocking call ~42k vs ~14k
    /// (16 workers) req/s.
    public var mode: Mode
    /// The level of the one line logged per request (method, route, status, duration_ms,
    /// request_id). Default `.debug`: at `.info` into standard error the line cost two thirds of
    /// the throughput of a trivial route (~20k instead of ~65k req/s). Set `.info` to get access
    /// lines in production logs.
    public var accessLogLevel: LogLevel

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 1_048_576,
        idleTimeout: Int = 30,
        connectionLimit: Int = 1024,
        mode: Mode = .threadPerConnection,
        accessLogLevel: LogLevel = .debug
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = idleTimeout
        self.connectionLimit = connectionLimit
        self.mode = mode
        self.accessLogLevel = accessLogLevel
    }
}
