import TollgateLogging

/// How an ``HTTPServer`` listens and handles connections. Every field has a documented default.
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// How requests are spread over threads.
    public enum Mode: Sendable, Equatable {
        /// One libmicrohttpd epoll thread does all I/O; handlers whose route has
        /// ``RouteOptions/runsOnWorkerPool`` run on a fixed pool of `workerThreads` threads while
        /// their connection is suspended, the others run inline on the I/O thread.
        case epoll(workerThreads: Int)
        /// libmicrohttpd starts one thread per connection; every handler runs inline on it.
        case threadPerConnection
    }

    /// The address to listen on: an IPv4 or IPv6 literal. Default `127.0.0.1`.
    public var host: String
    /// The TCP port; 0 lets the kernel choose (read it from ``HTTPServer/port``). Default 8080.
    public var port: Int
    /// The largest request body accepted; a larger one is a 413 before routing. Default 1 MiB.
    public var maxBodyBytes: Int
    /// Seconds a connection may stay silent (idle keep-alive, or a slow client) before the server
    /// closes it (`MHD_OPTION_CONNECTION_TIMEOUT`). Default 30; 0 means never.
    public var idleTimeout: Int
    /// The most connections open at once; more are refused at accept. Default 1024.
    public var connectionLimit: Int
    /// The threading mode. Default `.epoll(workerThreads: 4)`: it measured fastest here (wrk,
    /// 64 connections, 2 cores; numbers in docs/architecture.md and the commit that set it).
    public var mode: Mode
    /// The level of the one line logged per request (method, route, status, duration_ms,
    /// request_id). Default `.info`; set `.debug` to keep access lines out of production logs.
    public var accessLogLevel: LogLevel

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 1_048_576,
        idleTimeout: Int = 30,
        connectionLimit: Int = 1024,
        mode: Mode = .epoll(workerThreads: 4),
        accessLogLevel: LogLevel = .info
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
