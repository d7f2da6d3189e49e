import Foundation
import Synchronization
import TollgateBase
package import TollgateLogging

/// Runs ``EntitlementService/announceDue(now:limit:)`` as customers fall due: woken by a change of
/// this process (``EntitlementService/announcementsDue``), it sleeps until the next instant a
/// customer is due (a change settling, a grant expiring, a period or grace ending, a usage window
/// resetting), and at most `pollInterval` (changes made by another instance or the CLI). So a
/// time-based change is announced at its instant, never before it. Several instances may run it
/// on one PostgreSQL: each due customer is claimed by one of them at a time. At start it marks due
/// the customers never evaluated (``EntitlementAnnouncements/markUnannounced(on:now:)``).
package final class EntitlementScheduler: BackgroundService {
    private let entitlements: EntitlementService
    private let pollInterval: Duration
    private let logger: Logger
    private let state = Mutex((started: false, stopping: false))
    private let finished = DispatchSemaphore(value: 0)

    package init(entitlements: EntitlementService, pollInterval: Duration = .milliseconds(250), logger: Logger) {
        self.entitlements = entitlements
        self.pollInterval = pollInterval
        self.logger = logger
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    package func start() {
        let start = state.withLock { state -> Bool in
            guard !state.started, !state.stopping else { return false }
            state.started = true
            return true
        }
        guard start else { return }
        Thread { [self] in
            ThreadName.set("entitlement-scheduler")
            do {
                try entitlements.markUnannounced()
            } catch {
                logger.warning("entitlement scheduler: could not mark customers never announced", ["error": String(describing: error)])
            }
            while !isStopping { turn() }
            finished.signal()
        }.start()
    }

    /// Announces what is due; when nothing was, sleeps until the next due instant (or a change).
    private func turn() {
        do {
            if try entitlements.announceDue() > 0 { return }
            var wait = pollInterval
            if let next = try entitlements.nextAnnouncementDue() {
                let until = next.timeIntervalSinceNow
                if until < wait.seconds { wait = .nanoseconds(Int64(max(0, until) * 1e9) + 1_000_000) }
            }
            entitlements.announcementsDue.wait(timeout: wait)
        } catch {
            logger.warning("entitlement scheduler: store unavailable", ["error": String(describing: error)])
            entitlements.announcementsDue.wait(timeout: pollInterval)
        }
    }

    package func stop(timeout: Duration) {
        let running = state.withLock { state -> Bool in
            defer { state.stopping = true }
            return state.started && !state.stopping
        }
        guard running else { return }
        entitlements.announcementsDue.notify()
        _ = finished.wait(timeout: .now() + timeout.seconds)
    }
}
