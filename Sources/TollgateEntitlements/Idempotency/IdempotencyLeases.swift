import Foundation
import Synchronization
import TollgateLogging
import TollgateStore
import TollgateBase

/// The heartbeat of the reservations this process holds: while at least one request reserved by
/// ``IdempotencyStore`` runs, one thread renews their leases every ``IdempotencyStore/Lease/renewalInterval``;
/// it ends when none is held. A process that dies stops renewing, so its reservations run out
/// after ``IdempotencyStore/Lease/duration`` and a retry (on any instance) takes them over.
final class IdempotencyLeases: Sendable {
    private struct State {
        /// The lease owners (one token per reservation) of the requests running now.
        var held: Set<String> = []
        var renewing = false
    }

    private let database: any Database
    private let lease: IdempotencyStore.Lease
    private let logger: Logger
    private let state = Mutex(State())

    init(database: any Database, lease: IdempotencyStore.Lease, logger: Logger) {
        self.database = database
        self.lease = lease
        self.logger = logger
    }

    /// Starts renewing `owner`'s lease (and the renewing thread, when it is not running).
    func hold(_ owner: String) {
        let start = state.withLock { state -> Bool in
            state.held.insert(owner)
            guard !state.renewing else { return false }
            state.renewing = true
            return true
        }
        guard start else { return }
        let thread = Thread { [self] in
            ThreadName.set("idem-leases")
            renewWhileHeld()
        }
        thread.start()
    }

    /// Stops renewing `owner`'s lease: its request completed, was released, or (tests) was abandoned.
    func drop(_ owner: String) {
        state.withLock { _ = $0.held.remove(owner) }
    }

    /// The thread's loop: sleep, renew every held lease, until none is held.
    private func renewWhileHeld() {
        while true {
            Thread.sleep(forTimeInterval: lease.renewalInterval.seconds)
            let owners = state.withLock { state -> [String]? in
                guard !state.held.isEmpty else {
                    state.renewing = false
                    return nil
                }
                return Array(state.held)
            }
            guard let owners else { return }
            let until = Date().addingTimeInterval(lease.duration)
            do {
                try database.withConnection { connection in
                    for owner in owners {
                        try connection.execute("""
                            UPDATE idempotency_keys SET lease_expires_at = \(until) WHERE lease_owner = \(owner) AND status IS NULL
                            """)
                    }
                }
            } catch let error as StoreError where error.code == .closed {
                // The store was closed (shutdown): nothing can be renewed any more.
                state.withLock { state in
                    state.held = []
                    state.renewing = false
                }
                return
            } catch {
                logger.warning("idempotency: lease renewal failed; retried on the next beat", ["error": String(describing: error)])
            }
        }
    }
}
