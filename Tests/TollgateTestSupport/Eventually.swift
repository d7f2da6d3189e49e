import Foundation

/// Polls `condition` until it holds or `timeout` passes; its last answer. For outcomes that arrive
/// asynchronously (a count after a response is sent, a process that exits): the deadline is
/// generous and only bounds a wait, it never asserts how long anything took.
package func eventually(timeout: Duration = .seconds(5), poll: Duration = .milliseconds(10), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: Double(poll.components.attoseconds) / 1e18 + Double(poll.components.seconds))
    }
    return condition()
}
