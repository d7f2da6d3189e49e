import Foundation
import Synchronization

/// A rising number many threads wait on: the event log's published position, which every stream
/// and the webhook fan-out follow. Unlike ``WorkSignal`` (one waiter), an advance wakes every waiter.
package final class Watermark: Sendable {
    private let condition = NSCondition()
    private let current: Mutex<Int64>

    package init(_ initial: Int64 = 0) {
        current = Mutex(initial)
    }

    package var value: Int64 { current.withLock { $0 } }

    /// Raises the value to `value` (never lowers it) and wakes every waiter.
    package func advance(to value: Int64) {
        let raised = current.withLock { current -> Bool in
            guard value > current else { return false }
            current = value
            return true
        }
        guard raised else { return }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Returns the value as soon as it is above `position`, or the current value after `timeout`.
    package func wait(beyond position: Int64, timeout: Duration) -> Int64 {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let value = self.value
            if value > position { return value }
            if !condition.wait(until: deadline) { return self.value }
        }
    }
}
