import Foundation
import Synchronization

/// A rising `Int64` that many threads wait on: the event log's published position, which the
/// live stream and the webhook fan-out wait to pass the position they have sent.
///
/// ``advance(to:)`` only ever raises the value (a lower value is ignored) and wakes every waiter;
/// ``wait(beyond:timeout:)`` blocks the calling thread (never a Swift concurrency thread: it is for
/// the plain threads of the HTTP server and the background services) until the value passes a
/// position or the timeout ends. A broadcast, unlike ``WorkSignal``, which wakes one worker.
package final class Watermark: Sendable {
    private let condition = NSCondition()
    /// Written under `condition`; read without it through the atomic.
    private let current: Atomic<Int64>

    package init(_ initial: Int64 = 0) {
        current = Atomic(initial)
    }

    /// The highest value given so far.
    package var value: Int64 { current.load(ordering: .acquiring) }

    /// Raises the value to `value` (no change when it is not higher) and wakes every waiter.
    package func advance(to value: Int64) {
        condition.lock()
        defer { condition.unlock() }
        guard value > current.load(ordering: .relaxed) else { return }
        current.store(value, ordering: .releasing)
        condition.broadcast()
    }

    /// Returns the value as soon as it is > `position`, or the current value after `timeout`.
    package func wait(beyond position: Int64, timeout: Duration) -> Int64 {
        let now = value
        if now > position || timeout <= .zero { return now }
        let deadline = Date(timeIntervalSinceNow: Double(timeout.nanoseconds) / 1e9)
        condition.lock()
        defer { condition.unlock() }
        while current.load(ordering: .relaxed) <= position {
            if !condition.wait(until: deadline) { break }
        }
        return current.load(ordering: .relaxed)
    }
}
