import Synchronization

/// The server's open streams: the limit on how many (``HTTPServerConfiguration/streamLimit``),
/// their heartbeat interval, the pump that waits for parked ones in epoll mode, and the flag that
/// ends them all when shutdown begins.
final class StreamRegistry: Sendable {
    /// The longest a connection's thread waits in a source before it looks at the shutdown flag.
    static let shutdownCheckInterval: Duration = .milliseconds(250)

    let limit: Int
    let heartbeat: Duration
    /// Epoll mode only: parked streams wait here, not on the I/O thread.
    let pump: StreamPump?
    private let metrics: HTTPMetrics
    /// The count the limit is held to (``HTTPMetrics/openStreams`` mirrors it for `/metrics`).
    private let open = Atomic<Int>(0)
    private let closing = Atomic<Bool>(false)

    init(limit: Int, heartbeat: Duration, pump: StreamPump?, metrics: HTTPMetrics) {
        self.metrics = metrics
        self.limit = limit
        self.heartbeat = heartbeat
        self.pump = pump
    }

    /// Takes a slot for a new stream; false when ``limit`` streams are open (the request is then
    /// answered 503) or the server is stopping.
    func admit() -> Bool {
        guard !isClosing else { return false }
        while true {
            let current = open.load(ordering: .relaxed)
            guard current < limit else { return false }
            if open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed).exchanged {
                metrics.streamOpened()
                return true
            }
        }
    }

    /// A stream admitted by ``admit()`` ended.
    func ended() {
        open.subtract(1, ordering: .relaxed)
        metrics.streamClosed()
    }

    var openStreams: Int { open.load(ordering: .relaxed) }

    var isClosing: Bool { closing.load(ordering: .relaxed) }

    /// Shutdown began: every stream ends at its next turn (parked ones are resumed by the pump).
    func beginClosing() {
        closing.store(true, ordering: .relaxed)
        pump?.wake()
    }
}
