/// Work a running service does besides answering requests (the webhook applier, the outbox
/// worker, …): started once when `serve` starts, stopped when it stops. `serve` lists them in one
/// ``BackgroundServices`` group, so a new worker is one line there.
package protocol BackgroundService: AnyObject, Sendable {
    /// Starts the work (once; after ``stop(timeout:)``, never again).
    func start()
    /// Asks the work to finish what it holds and waits for it, at most `timeout`.
    func stop(timeout: Duration)
}

/// The background services of one process, started in order and stopped in reverse.
package final class BackgroundServices: Sendable {
    package let members: [any BackgroundService]

    package init(_ members: [any BackgroundService]) {
        self.members = members
    }

    package func start() {
        for member in members { member.start() }
    }

    /// Stops each member, the last started first; stopping twice is harmless.
    package func stop(timeout: Duration) {
        for member in members.reversed() { member.stop(timeout: timeout) }
    }
}
