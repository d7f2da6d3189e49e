package import Foundation
import TollgateStore

extension StripeEventStore {
    /// When the oldest event still `pending` was received; nil when none is. One step down the
    /// status index (`stripe_events_status`), however long the history.
    package func oldestPendingReceivedAt() throws -> Date? {
        try database.withConnection { connection in
            try connection.queryFirst("""
                SELECT received_at FROM stripe_events WHERE status = \(StripeEventStatus.pending.rawValue) ORDER BY received_at LIMIT 1
                """)?.get("received_at")
        }
    }
}
