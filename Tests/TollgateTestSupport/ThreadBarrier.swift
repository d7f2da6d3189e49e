package import Foundation

/// Holds threads until `count` of them have arrived, then lets them all go at once.
package final class ThreadBarrier: @unchecked Sendable {
    // @unchecked Sendable: `arrived` is only touched with `condition` locked.
    private let condition = NSCondition()
    private let count: Int
    private var arrived = 0

    package init(count: Int) {
        self.count = count
    }

    /// Waits for the others (at most `timeout`); false when it timed out.
    @discardableResult
    package func arriveAndWait(timeout: TimeInterval = 10) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        if arrived >= count {
            condition.broadcast()
            return true
        }
        while arrived < count {
            if !condition.wait(until: deadline) { return arrived >= count }
        }
        return true
    }
}
