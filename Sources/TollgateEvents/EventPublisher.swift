import Foundation
import TollgateBase
package import TollgateLogging

/// Publishes the event log (``EventLog/publish(limit:)``) as changes commit: woken by
/// ``EventLog/appended`` after a change of this process, and every `pollInterval` for changes
/// made elsewhere (another instance, the CLI). Between publications it reads the head, so this
/// process's ``EventLog/published`` also follows what another instance published.
package final class EventPublisher: BackgroundService {
    private let log: EventLog
    private let threads: BackgroundThreads
    private let logger: Logger

    package init(log: EventLog, pollInterval: Duration = .milliseconds(250), logger: Logger) {
        self.log = log
        self.logger = logger
        threads = BackgroundThreads(name: "event-publisher", count: 1, signal: log.appended, pollInterval: pollInterval)
    }

    package func start() {
        threads.start { [log, logger] _ in
            do {
                if try log.publish() != nil { return true }
                try log.head()
            } catch {
                logger.warning("event publisher: store unavailable", ["error": String(describing: error)])
            }
            return false
        }
    }

    package func stop(timeout: Duration) {
        threads.stop(timeout: timeout)
    }
}
