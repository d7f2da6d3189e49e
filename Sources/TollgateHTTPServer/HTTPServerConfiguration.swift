package import TollgateLogging

/// How an ``HTTPServer`` listens and handles connections. Every field has a documented default.
package struct HTTPServerConfiguration: Sendable, Equatable {
    /// How requests are spread over threads.
    package enum Mode: Sendable, Equatable {
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
    package var host: String
    /// The TCP port; 0 lets the kernel choose (read it from ``HTTPServer/port``). Default 8080.
    package var port: Int
    /// The largest request body accepted; a larger one is a 413 before routing. Default 1 MiB.
    /// A declared `Content-Length` over it is answered at once (and the connection closed); a
    /// chunked body is counted as it arrives, dropped once over, and answered 413 at its end
    /// (libmicrohttpd 0.9.75 cannot answer during an upload), which ``requestBodyTimeout`` bounds.
    package var maxBodyBytes: Int
    /// Seconds a connection may stay silent (idle keep-alive, or a slow client) before the server
    /// closes it (`MHD_OPTION_CONNECTION_TIMEOUT`). Default 30; 0 means never.
    package var idleTimeout: Int
    /// The time from a request's first byte to the end of its headers. Past it the connection is
    /// closed without a response (nothing has been written to it). Default 10 s.
    ///
    /// Unlike ``idleTimeout``, which a client trickling a byte now and then never reaches, this
    /// bounds the whole head. It is checked a few times per deadline (every quarter of the shorter
    /// of the two request deadlines, 10–250 ms), so a late connection is closed a little after it.
    package var requestHeadTimeout: Duration
    /// The time from the end of a request's headers to the end of its body (the handler and the
    /// response are not counted). Past it the connection is closed without a response.
    /// Default 30 s: 1 MiB (``maxBodyBytes``) at 35 KB/s.
    package var requestBodyTimeout: Duration
    /// The most connections served at once. Default 1024. A connection beyond it is admitted and
    /// the oldest connection that is not being answered (idle keep-alive, or a request still
    /// arriving, e.g. a slow client) is closed to make room; when every other connection is being
    /// answered, the new one is closed instead, before anything is written to it. libmicrohttpd
    /// itself admits a little more (`limit/16`, 4…64) so that there is a new connection to decide on.
    package var connectionLimit: Int
    /// The threading mode. Default `.threadPerConnection`, chosen by measurement (release build,
    /// `wrk -t2 -c64 -d10s`, 2 shared cores; docs/http-server.md has the table): about equal to
    /// epoll for a handler that answers inline on the I/O thread (~65k req/s each), and well
    /// ahead once a handler needs the worker pool, because suspend/resume costs two thread hand-offs
    /// per request: a little CPU work ~55k vs ~30k req/s, a 1 ms blocking call ~42k vs ~14k
    /// (16 workers) req/s.
    package var mode: Mode
    /// The level of the one line logged per request (method, route, status, duration_ms,
    /// request_id). Default `.debug`: at `.info` into standard error the line cost two thirds of
    /// the throughput of a trivial route (~20k instead of ~65k req/s). Set `.info` to get access
    /// lines in production logs.
    package var accessLogLevel: LogLevel
    /// The most streamed responses (Server-Sent Events, ``HTTPResponse/stream(_:heartbeat:status:headers:)``)
    /// open at once; one more is answered 503 `unavailable`. Default 256. Each stream holds a
    /// connection (counted by ``connectionLimit``) and, in thread-per-connection mode, its thread.
    package var streamLimit: Int
    /// How long a stream may send nothing before its heartbeat is sent. Default 15 s. Capped at half
    /// of ``idleTimeout`` (see ``effectiveStreamHeartbeat``), so that a healthy idle stream is never
    /// closed as idle; a stalled consumer (its socket buffer full) still is, after ``idleTimeout``.
    package var streamHeartbeat: Duration

    package init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 1_048_576,
        idleTimeout: Int = 30,
        connectionLimit: Int = 1024,
        requestHeadTimeout: Duration = .seconds(10),
        requestBodyTimeout: Duration = .seconds(30),
        mode: Mode = .threadPerConnection,
        accessLogLevel: LogLevel = .debug,
        streamLimit: Int = 256,
        streamHeartbeat: Duration = .seconds(15)
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = idleTimeout
        self.connectionLimit = connectionLimit
        self.requestHeadTimeout = requestHeadTimeout
        self.requestBodyTimeout = requestBodyTimeout
        self.mode = mode
        self.accessLogLevel = accessLogLevel
        self.streamLimit = streamLimit
        self.streamHeartbeat = streamHeartbeat
    }

    /// ``streamHeartbeat``, at most half of ``idleTimeout`` (when that is on): the one rule for how
    /// often a silent stream writes.
    package var effectiveStreamHeartbeat: Duration {
        idleTimeout > 0 ? min(streamHeartbeat, .seconds(idleTimeout) / 2) : streamHeartbeat
    }
}
