import Dispatch
import Synchronization

/// Wakes a background worker early: the webhook inbox rings it after storing an event, and the
/// applier, which otherwise polls, starts at once. Rings while nobody waits collapse into one.
package final class WorkSignal: Sendable {
    private let pending = Mutex(false)
    private let semaphore = DispatchSemaphore(value: 0)

    package init() {}

    package func notify() {
        let first = pending.withLock { pending in
            defer { pending = true }
            return !pending
        }
        if first { semaphore.signal() }
    }

    /// Returns when notified, or after `timeout`.
    package func wait(timeout: Duration) {
        let nanoseconds = timeout.nanoseconds
        _ = semaphore.wait(timeout: .now() + .nanoseconds(Int(max(0, nanoseconds))))
        pending.withLock { $0 = false }
    }
}
