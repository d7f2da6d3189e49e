import Foundation
import Synchronization

/// STUB (replaced by main's on merge): a broadcast of a rising Int64.
package final class Watermark: Sendable {
    private let state: Mutex<Int64>
    private let condition = NSCondition()

    package init(_ initial: Int64 = 0) { state = Mutex(initial) }

    package var value: Int64 { state.withLock { $0 } }

    package func advance(to value: Int64) {
        state.withLock { $0 = max($0, value) }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    package func wait(beyond position: Int64, timeout: Duration) -> Int64 {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while value <= position, condition.wait(until: deadline) {}
        return value
    }
}
