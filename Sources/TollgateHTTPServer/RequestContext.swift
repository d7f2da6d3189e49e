import Synchronization
import TollgateBase
import TollgateLogging

/// What the server knows about one request while libmicrohttpd calls the access handler for it:
/// created on the first call (headers received), released by the request-completed callback.
///
/// The I/O thread fills it; a worker thread hands the response back through it while the
/// connection is suspended, so the state is behind a `Mutex`.
final class RequestContext: Sendable {
    enum Phase {
        /// Headers and (part of) the body are in; the handler has not run.
        case receiving
        /// The handler runs on a worker; the connection is suspended.
        case running
        /// The worker finished; the response waits for the I/O thread to queue it.
        case responded(HTTPResponse)
        /// The response is queued with libmicrohttpd.
        case queued
    }

    private struct State {
        var phase = Phase.receiving
        var body: [UInt8] = []
        var received = 0
        var tooLarge = false
        var route: String?
        var status: Int?
    }

    let requestID: String
    /// The request's trace: the caller's (`traceparent`) or a new one.
    let trace: TraceContext
    /// The method as the client sent it (it may be one no route has).
    let method: String
    let started: ContinuousClock.Instant
    private let state = Mutex(State())

    init(requestID: String, trace: TraceContext, method: String, started: ContinuousClock.Instant) {
        self.requestID = requestID
        self.trace = trace
        self.method = method
        self.started = started
    }

    /// `base` with this request's `request_id` and trace.
    func logger(_ base: Logger) -> Logger {
        base.with("request_id", requestID).tracing(trace)
    }

    /// Marks the request too large before any body arrived (its Content-Length said so).
    func markTooLarge() {
        state.withLock { $0.tooLarge = true }
    }

    var isTooLarge: Bool { state.withLock { $0.tooLarge } }

    /// Adds `bytes` to the body, or counts and drops them once over `limit` (the request is then
    /// answered 413 when its body ends; the body deadline bounds how long that may take).
    func appendBody(_ bytes: UnsafeRawBufferPointer, limit: Int) {
        state.withLock { state in
            state.received += bytes.count
            if state.tooLarge || state.received > limit {
                state.tooLarge = true
                state.body = []
                return
            }
            state.body.append(contentsOf: bytes)
        }
    }

    /// Hands the body over to the request (the context keeps no copy).
    func takeBody() -> [UInt8] {
        state.withLock { state in
            defer { state.body = [] }
            return state.body
        }
    }

    var phase: Phase { state.withLock { $0.phase } }

    /// The handler is about to run on a worker.
    func markRunning() {
        state.withLock { $0.phase = .running }
    }

    /// Stores the worker's response; false when shutdown already answered for it (then the
    /// worker must not resume the connection).
    func complete(with response: HTTPResponse) -> Bool {
        state.withLock { state in
            guard case .running = state.phase else { return false }
            state.phase = .responded(response)
            return true
        }
    }

    /// Records what is queued, for the metrics and the access log.
    func markQueued(status: Int) {
        state.withLock { state in
            state.phase = .queued
            state.status = status
        }
    }

    func setRoute(_ route: String?) {
        state.withLock { $0.route = route }
    }

    /// The route label and the status queued (nil when the request ended without a response).
    var outcome: (route: String?, status: Int?) {
        state.withLock { ($0.route, $0.status) }
    }
}
