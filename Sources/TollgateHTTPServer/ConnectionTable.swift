import CTollgateShims
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

    /// What ``ownErrorTarget()`` found.
    struct Target {
        let socket: Int32
        let uriLength: Int
    }

    let limit: Int
    let headTimeout: Duration
    let bodyTimeout: Duration
    private let threadPerConnection: Bool
    private let state = Mutex(State())

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

    // MARK: Events (libmicrohttpd's callbacks)

    /// A connection was accepted. Over the limit, sheds one (see the type's documentation).
    func opened(_ connection: OpaquePointer, now: ContinuousClock.Instant = .now) {
        let socket = tg_mhd_connection_fd(connection)
        guard socket >= 0 else { return }
        let key = Self.key(connection)
        state.withLock { state in
            state.entries[key] = Entry(socket: socket, since: now)
            let live = state.entries.values.count { !$0.closing }
            guard live > limit else { return }
            let victim = state.entries
                .filter { $0.key != key && !$0.value.closing && $0.value.phase != .answering }
                .min { $0.value.since < $1.value.since }?.key ?? key
            Self.shutDown(victim, in: &state)
        }
    }

    /// The request line was read (`MHD_OPTION_URI_LOG_CALLBACK`), on the connection's thread.
    func requestLineRead(_ connection: OpaquePointer, uriLength: Int, pathHoldsNUL: Bool = false, now: ContinuousClock.Instant = .now) {
        let key = Self.key(connection)
        state.withLock { state in
            guard var entry = state.entries[key] else { return }
            entry.phase = .head
            entry.since = now
            entry.headStarted = entry.headStarted ?? now
            entry.uriLength = uriLength
            entry.pathHoldsNUL = pathHoldsNUL
            state.entries[key] = entry
            if threadPerConnection { state.threads[pthread_self()] = key }
        }
    }

    /// Whether the current request's raw path held `%00` (see ``Entry/pathHoldsNUL``).
    func pathHoldsNUL(_ connection: OpaquePointer) -> Bool {
        state.withLock { $0.entries[Self.key(connection)]?.pathHoldsNUL ?? false }
    }

    /// The headers are in (first call of the access handler).
    func headersReceived(_ connection: OpaquePointer, now: ContinuousClock.Instant = .now) {
        update(connection) { entry in
            entry.phase = .body
            entry.since = now
        }
    }

    /// The whole request is in (the access handler's final call).
    func requestReceived(_ connection: OpaquePointer, now: ContinuousClock.Instant = .now) {
        update(connection) { entry in
            entry.phase = .answering
            entry.since = now
        }
    }

    /// The request ended (`MHD_OPTION_NOTIFY_COMPLETED`), on the connection's thread: the
    /// connection waits for its next request.
    func requestCompleted(_ connection: OpaquePointer, now: ContinuousClock.Instant = .now) {
        let key = Self.key(connection)
        state.withLock { state in
            if threadPerConnection, state.threads[pthread_self()] == key {
                state.threads[pthread_self()] = nil
            }
            guard var entry = state.entries[key] else { return }
            entry.phase = .awaitingRequest
            entry.since = now
            entry.headStarted = nil
            entry.uriLength = 0
            entry.baseline = tg_socket_bytes_received(entry.socket)
            state.entries[key] = entry
        }
    }

    /// libmicrohttpd is about to close the socket.
    func closed(_ connection: OpaquePointer) {
        let key = Self.key(connection)
        state.withLock { state in
            state.entries[key] = nil
            for (thread, served) in state.threads where served == key {
                state.threads[thread] = nil
            }
        }
    }

    private func update(_ connection: OpaquePointer, _ change: (inout Entry) -> Void) {
        let key = Self.key(connection)
        state.withLock { state in
            guard var entry = state.entries[key] else { return }
            change(&entry)
            state.entries[key] = entry
        }
    }

    private static func shutDown(_ key: UInt, in state: inout State) {
        guard var entry = state.entries[key], !entry.closing else { return }
        entry.closing = true
        state.entries[key] = entry
        shutDown(socket: entry.socket)
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
        state.withLock { state in
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
            for key in late { Self.shutDown(key, in: &state) }
            return late.count
        }
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
        state.withLock { state -> Target? in
            var found: UInt?
            if threadPerConnection, let key = state.threads[pthread_self()] {
                found = key
            } else {
                let receiving = state.entries.filter { _, entry in
                    guard !entry.closing else { return false }
                    switch entry.phase {
                    case .head, .body: return true
                    case .awaitingRequest: return tg_socket_bytes_received(entry.socket) > entry.baseline
                    case .answering: return false
                    }
                }
                if receiving.count == 1 { found = receiving.first?.key }
            }
            guard let key = found, var entry = state.entries[key], !entry.closing, entry.phase != .answering else {
                return nil
            }
            entry.closing = true
            entry.answeredForLibrary = true
            state.entries[key] = entry
            return Target(socket: entry.socket, uriLength: entry.uriLength)
        }
    }

    /// Whether a connection answered through ``ownErrorTarget()`` is still open. libmicrohttpd
    /// 0.9.75 crashes when `MHD_stop_daemon` begins while it is still inside the function that
    /// logged (its `MHD_queue_response` then returns success without a response, and
    /// `build_header_response` reads through the null response); the client may already have our
    /// answer by then, and stop the server. Shutdown waits for these connections to be closed
    /// (libmicrohttpd closes them as soon as its own response fails to send).
    var hasLibraryAnswersInProgress: Bool {
        state.withLock { state in state.entries.values.contains { $0.answeredForLibrary } }
    }
}
