import Foundation
import TollgateBase
package import TollgateLogging

/// Runs ``EntitlementService/announceDue(now:limit:)`` as customers fall due: at once after a change
/// of this process (``EntitlementService/announcementsDue``), at the next instant a customer's
/// entitlements change by themselves, and at least every `pollInterval` (changes made by another
/// instance or the CLI). So a time-based change (a grant expiring, a period or grace ending, a usage
/// window resetting) is announced within `pollInterval` of its instant. Several instances may run
/// it on one PostgreSQL: each due customer is claimed by one of them at a time.
package final class EntitlementScheduler: BackgroundService {
    private let entitlements: EntitlementService
    private let pollInterval: Duration
    private let logger: Logger
    private let threads: BackgroundThreads

    package init(entitlements: EntitlementService, pollInterval: Duration = .milliseconds(250), logger: Logger) {
        self.entitlements = entitlements
        self.pollInterval = pollInterval
        self.logger = logger
        threads = BackgroundThreads(
            name: "entitlement-scheduler", count: 1, signal: entitlements.announcementsDue, pollInterval: pollInterval)
    }

    package func start() {
        threads.start { [entitlements, logger] _ in
            do {
                return try entitlements.announceDue() > 0
            } catch {
                logger.warning("entitlement scheduler: store unavailable", ["error": String(describing: error)])
                return false
            }
        }
    }

    package func stop(timeout: Duration) {
        threads.stop(timeout: timeout)
    }
}
