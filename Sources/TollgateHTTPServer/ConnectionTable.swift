import CMicroHTTPDShims
import Foundation
import Synchronization

/// Every open connection and where its current request stands, for the three things
/// libmicrohttpd 0.9.75 does not do itself:
///
/// * **Request deadlines.** Its timeout (`MHD_OPTION_CONNECTION_TIMEOUT`) measures inactivity only,
///   so a client trickling a byte every few seconds is never closed. Here the head of a request
///   must be complete within ``HTTPServerConfiguration/requestHeadTimeout`` of its first byte, and
///   the body within ``HTTPServerConfiguration/requestBodyTimeout`` of the head; ``sweep(now:)``
///   (the reaper thread, a few times per deadline) shuts the socket of a late one down. Nothing has
///   been written to it then, so the client sees a clean close.
/// * **Shedding.** libmicrohttpd admits `connectionLimit + headroom` connections; when one beyond
///   the limit opens, the oldest connection that is not being answered (idle keep-alive, or a
///   request still arriving) is shut down, or the new one when every other is being answered. So
///   slow clients holding the limit cannot keep a quick request (a `/healthz` probe) out.
/// * **libmicrohttpd's own error responses** (HTML 400/413/414/431/505, and in 0.9.75 a status line
///   sent twice for a bad `Content-Length`): ``ownErrorTarget()`` finds the connection such a
///   response is about to be written to, so that the server writes its JSON error body instead.
///
/// The socket of a connection stays open until libmicrohttpd's `MHD_CONNECTION_NOTIFY_CLOSED`
/// (the descriptor is closed after it), and that notification removes the entry under the same
/// lock, so every `shutdown(2)` here hits the connection's own socket.
///
/// Every request passes through here four or five times, from as many threads as there are
/// connections: the entries are spread over ``shardCount`` locks by connection (and the
/// thread-per-connection map over the same locks by thread), so requests on different
/// connections do not wait for each other. One lock for all of them put its slow path at 40 % of
/// the server's CPU at 64 connections. Only the rare paths — shedding over the limit, the sweep,
/// libmicrohttpd's own errors, shutdown — visit every shard.
final class ConnectionTable: Sendable {
    enum Phase {
        /// Open, no request under way: just accepted, or the previous response was sent.
        case awaitingRequest
        /// The request line is in; headers are arriving.
        case head
        /// Headers are in (the access handler was called); the body is arriving.
        case body
        /// The whole request is in: the handler runs or the response is being sent.
        case answering
    }

    private struct Entry {
        let socket: Int32
        var phase = Phase.awaitingRequest
        /// When the current phase began.
        var since: ContinuousClock.Instant
        /// `awaitingRequest`: the socket's received byte count when the phase began.
        var baseline: UInt64 = 0
        /// When the current request's first byte was seen (or its request line read).
        var headStarted: ContinuousClock.Instant?
        /// The length of the current request's URI, query included.
        var uriLength = 0
        /// The current request's path (before `?`) holds `%00`: libmicrohttpd decodes the path into
        /// a C string, which the NUL would silently cut short.
        var pathHoldsNUL = false
        /// Already shut down (shed, late, or answered by ``ownErrorTarget()``).
        var closing = false
        /// Answered from libmicrohttpd's error log (see ``ownErrorTarget()``).
        var answeredForLibrary = false
    }

    private struct State {
        var entries: [UInt: Entry] = [:]
        /// Thread-per-connection mode: the connection each connection thread serves while a
        /// request is under way (from its request line to its completion).
        var threads: [pthread_t: UInt] = [:]
    }

    /// One lock's share of the connections and threads.
    private final class Shard: Sendable {
        let state = Mutex(State())
    }

    static let shardCount = 32

    /// What ``ownErrorTarget()`` found.
    struct Target {
        let socket: Int32
        let uriLength: Int
    }

    let limit: Int
    let headTimeout: Duration
    let bodyTimeout: Duration
    private let threadPerConnection: Bool
    private let shards: [Shard] = (0..<ConnectionTable.shardCount).map { _ in Shard() }
    /// Entries not closing: what the limit counts.
    private let live = Atomic<Int>(0)

    init(limit: Int, headTimeout: Duration, bodyTimeout: Duration, threadPerConnection: Bool) {
        self.limit = limit
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
        self.threadPerConnection = threadPerConnection
    }

    /// Connections libmicrohttpd admits beyond ``limit``, so that shedding can make room.
    static func headroom(for limit: Int) -> Int {
        max(4, min(64, limit / 16))
    }

    private static func key(_ connection: OpaquePointer) -> UInt {
        UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(connection)))
    }

    /// The shard of a connection's key or of a thread (both spread by a multiplicative hash).
    private func shard(_ value: UInt) -> Shard {
        shards[Int(truncatingIfNeeded: (value &* 0x9E37_79B9_7F4A_7C15) >> 59) % shards.count]
    }

    private func withEntry<T>(_ key: UInt, _ body: (inout Entry?) -> T) -> T {
        shard(key).state.withLock { state in body(&state.entries[key]) }
    }

    // MARK: Events (libmicrohttpd's callbacks)

    /// A connection was accepted. Over the limit, sheds one (see the type's documentation).
    func opened(_ connection: OpaquePointer, now: ContinuousClock.Instant = .now) {
        let socket = tg_mhd_connection_fd(connection)
        guard socket >= 0 else { return }
        let key = Self.key(connection)
        withEntry(key) { $0 = Entry(socket: socket, since: now) }
        guard live.add(1, ordering: .relaxed).newValue > limit else { return }
        // Over the limit (rare): the oldest connection not being answered, else this one.
        var oldest: (key: UInt, since: ContinuousClock.Instant)?
        for shard in shards {
            shard.state.withLock { state in
                for (other, entry) in state.entries where other != key && !entry.closing && entry.phase != .answering {
                    if let found = oldest, found.since <= entry.since { continue }
                    oldest = (other, entry.since)
                }
            }
        }
        shutDown(oldest?.key ?? key)
    }

    /// The request line was read (`MHD_OPTION_URI_LOG_CALLBACK`), on the connection's thread.
    func requestLineRead(_ connection: OpaquePointer, uriLength: Int, pathHoldsNUL: Bool = false, now: ContinuousClock.Instant = .now) {
        let key = Self.key(connection)
        withEntry(key) { entry in
            entry?.phase = .head
            entry?.since = now
            if entry?.headStarted == nil { entry?.headStarted = now }
            entry?.uriLength = uriLength
            entry?.pathHoldsNUL = pathHoldsNUL
        }
        if threadPerConnection {
            let thread = pthread_self()
            shard(UInt(thread)).state.withLock { $0.threads[thread] = key }
        }
    }

    /// The headers are in (first call of the access handler).
    func headersReceived(_ connection: OpaquePointer, now: ContinuousClock.Instant = .now) {
        update(connection) { entry in
            entry.phase = .body
            entry.since = now
        }
    }

    /// The whole request is in (the access handler's final call). Returns whether its raw path
    /// held `%00` (see ``Entry/pathHoldsNUL``).
    @discardableResult
    func requestReceived(_ connection: OpaquePointer, now: ContinuousClock.Instant = .now) -> Bool {
        var holdsNUL = false
        update(connection) { entry in
            entry.phase = .answering
            entry.since = now
            holdsNUL = entry.pathHoldsNUL
        }
        return holdsNUL
    }

    /// The request ended (`MHD_OPTION_NOTIFY_COMPLETED`), on the connection's thread: the
    /// connection waits for its next request.
    func requestCompleted(_ connection: OpaquePointer, now: ContinuousClock.Instant = .now) {
        let key = Self.key(connection)
        if threadPerConnection {
            let thread = pthread_self()
            shard(UInt(thread)).state.withLock { state in
                if state.threads[thread] == key { state.threads[thread] = nil }
            }
        }
        let socket = tg_mhd_connection_fd(connection)
        let baseline = socket >= 0 ? tg_socket_bytes_received(socket) : 0
        withEntry(key) { entry in
            entry?.phase = .awaitingRequest
            entry?.since = now
            entry?.headStarted = nil
            entry?.uriLength = 0
            entry?.baseline = baseline
        }
    }

    /// libmicrohttpd is about to close the socket.
    func closed(_ connection: OpaquePointer) {
        let key = Self.key(connection)
        let removed = withEntry(key) { entry -> Entry? in
            defer { entry = nil }
            return entry
        }
        if let removed, !removed.closing { live.subtract(1, ordering: .relaxed) }
        if threadPerConnection {
            // The thread that served it (its own, in this mode) no longer does.
            let thread = pthread_self()
            shard(UInt(thread)).state.withLock { state in
                if state.threads[thread] == key { state.threads[thread] = nil }
            }
        }
    }

    private func update(_ connection: OpaquePointer, _ change: (inout Entry) -> Void) {
        withEntry(Self.key(connection)) { entry in
            guard var current = entry else { return }
            change(&current)
            entry = current
        }
    }

    /// Marks the entry closing (no longer counted by the limit) and shuts its socket down.
    private func shutDown(_ key: UInt) {
        if let socket = withEntry(key, { entry -> Int32? in Self.markClosing(&entry) }) {
            live.subtract(1, ordering: .relaxed)
            Self.shutDown(socket: socket)
        }
    }

    /// The socket of an entry not yet closing, now marked closing; nil otherwise.
    private static func markClosing(_ entry: inout Entry?) -> Int32? {
        guard var current = entry, !current.closing else { return nil }
        current.closing = true
        entry = current
        return current.socket
    }

    /// Ends both directions of `socket` (the descriptor stays libmicrohttpd's to close).
    static func shutDown(socket: Int32) {
        _ = Foundation.shutdown(socket, Int32(SHUT_RDWR))
    }

    // MARK: Deadlines

    /// Shuts down every connection whose request head or body is late; starts the head clock of
    /// connections whose next request has begun to arrive. Returns how many were shut down.
    @discardableResult
    func sweep(now: ContinuousClock.Instant = .now) -> Int {
        var count = 0
        for shard in shards {
            let shut = shard.state.withLock { state -> [Int32] in
            var late: [UInt] = []
            for (key, entry) in state.entries where !entry.closing {
                switch entry.phase {
                case .awaitingRequest:
                    if let started = entry.headStarted {
                        if now - started > headTimeout { late.append(key) }
                    } else if tg_socket_bytes_received(entry.socket) > entry.baseline {
                        state.entries[key]?.headStarted = now
                    }
                case .head:
                    if now - (entry.headStarted ?? entry.since) > headTimeout { late.append(key) }
                case .body:
                    if now - entry.since > bodyTimeout { late.append(key) }
                case .answering:
                    break
                }
            }
            return late.compactMap { key in Self.markClosing(&state.entries[key]) }
            }
            for socket in shut { Self.shutDown(socket: socket) }
            live.subtract(shut.count, ordering: .relaxed)
            count += shut.count
        }
        return count
    }

    /// How often ``sweep(now:)`` should run: a quarter of the shorter deadline, within 10–250 ms.
    var sweepInterval: Duration {
        min(max(min(headTimeout, bodyTimeout) / 4, .milliseconds(10)), .milliseconds(250))
    }

    // MARK: libmicrohttpd's own error responses

    /// The connection libmicrohttpd is about to answer with its own error response (called from
    /// its error log, on the thread processing that connection, before any byte is written), now
    /// marked as closing; nil when it cannot be told apart.
    ///
    /// In thread-per-connection mode the thread names it once the request line was read. Before
    /// that (a request line too long or malformed), and in epoll mode, it is the one connection
    /// whose request is under way (head or body arriving, or new bytes since the last response);
    /// when several are, nil (libmicrohttpd's response goes out).
    func ownErrorTarget() -> Target? {
        var found: UInt?
        let thread = pthread_self()
        if threadPerConnection, let key = shard(UInt(thread)).state.withLock({ $0.threads[thread] }) {
            found = key
        } else {
            var receiving: [UInt] = []
            for shard in shards {
                shard.state.withLock { state in
                    for (key, entry) in state.entries where !entry.closing {
                        switch entry.phase {
                        case .head, .body: receiving.append(key)
                        case .awaitingRequest: if tg_socket_bytes_received(entry.socket) > entry.baseline { receiving.append(key) }
                        case .answering: break
                        }
                    }
                }
            }
            if receiving.count == 1 { found = receiving.first }
        }
        guard let key = found else { return nil }
        let target = withEntry(key) { entry -> Target? in
            guard var current = entry, !current.closing, current.phase != .answering else { return nil }
            current.closing = true
            current.answeredForLibrary = true
            entry = current
            return Target(socket: current.socket, uriLength: current.uriLength)
        }
        if target != nil { live.subtract(1, ordering: .relaxed) }
        return target
    }

    /// Whether a connection answered through ``ownErrorTarget()`` is still open. libmicrohttpd
    /// 0.9.75 crashes when `MHD_stop_daemon` begins while it is still inside the function that
    /// logged (its `MHD_queue_response` then returns success without a response, and
    /// `build_header_response` reads through the null response); the client may already have our
    /// answer by then, and stop the server. Shutdown waits for these connections to be closed
    /// (libmicrohttpd closes them as soon as its own response fails to send).
    var hasLibraryAnswersInProgress: Bool {
        shards.contains { shard in shard.state.withLock { state in state.entries.values.contains { $0.answeredForLibrary } } }
    }
}
