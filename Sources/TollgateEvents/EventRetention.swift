package import Foundation
import TollgateBase
package import TollgateLogging

/// Purges what is older than the retention period, hourly while `serve` runs (and at start):
/// the event log, and whatever else keeps records of events (`purges`, such as webhook deliveries).
/// `tollgate events purge` runs the same once.
package final class EventRetention: BackgroundService {
    /// One thing to purge: removes what was created before the instant, returns how many.
    package typealias Purge = @Sendable (Date) throws -> Int

    private let days: Int
    private let purges: [(name: String, purge: Purge)]
    private let logger: Logger
    private let threads: BackgroundThreads

    package init(log: EventLog, days: Int, also purges: [(name: String, purge: Purge)] = [], interval: Duration = .seconds(3600), logger: Logger) {
        self.days = days
        let events: Purge = { try log.purge(before: $0) }
        self.purges = [("events", events)] + purges
        self.logger = logger
        threads = BackgroundThreads(name: "event-retention", count: 1, pollInterval: interval)
    }

    /// Purges once now; returns how many of each were removed.
    @discardableResult
    package func purgeNow(now: Date = Date()) throws -> [String: Int] {
        let cutoff = now.addingTimeInterval(-Double(days) * 86_400)
        var removed: [String: Int] = [:]
        for (name, purge) in purges { removed[name] = try purge(cutoff) }
        return removed
    }

    package func start() {
        threads.start { [self] _ in
            do {
                let removed = try purgeNow()
                if removed.values.contains(where: { $0 > 0 }) {
                    logger.info("retention purged", removed.mapValues(String.init))
                }
            } catch {
                logger.warning("retention: store unavailable", ["error": String(describing: error)])
            }
            return false
        }
    }

    package func stop(timeout: Duration) {
        threads.stop(timeout: timeout)
    }
}
