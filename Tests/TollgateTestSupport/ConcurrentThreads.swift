import Foundation

/// Runs blocking work on real threads (never the Swift concurrency pool, whose two threads
/// must not block).
package enum ConcurrentThreads {
    /// Starts `count` threads running `body(index)` at once and waits until all have finished.
    package static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                body(index)
                group.leave()
            }
            thread.start()
        }
        group.wait()
    }
}
