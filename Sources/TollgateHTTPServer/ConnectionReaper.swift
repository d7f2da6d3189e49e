import Dispatch
import Foundation
import Synchronization
import TollgateLogging
import TollgateBase

/// The thread that enforces request deadlines: runs ``ConnectionTable/sweep(now:)`` every
/// ``ConnectionTable/sweepInterval`` until ``stop()``. A plain thread: the sweep makes system
/// calls (`getsockopt`, `shutdown`) under the table's lock.
final class ConnectionReaper: Sendable {
    private let table: ConnectionTable
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)

    init(table: ConnectionTable, logger: Logger) {
        self.table = table
        let thread = Thread { [self] in
            ThreadName.set("http-reaper")
            let interval = table.sweepInterval
            let nanoseconds = Int(interval.nanoseconds)
            while !self.stopping.load(ordering: .acquiring) {
                let closed = table.sweep()
                if closed > 0, logger.isEnabled(.debug) {
                    logger.debug("closed connections past their request deadline", ["connections": String(closed)])
                }
                _ = self.wake.wait(timeout: .now() + .nanoseconds(nanoseconds))
            }
            self.finished.signal()
        }
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// Stops the thread and waits for it (at most one sweep).
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        finished.wait()
    }
}
