package import Foundation
import TollgateStore

extension OutboxStore {
    /// What waits in the outbox, for `/metrics`: how many mails are pending (to send, retries
    /// included), sending (claimed) and dead, and when the oldest pending one was queued. One
    /// step down the status index (`outbox_messages_status`) per figure: the sent history is never
    /// scanned (unlike ``counts()``).
    package struct Backlog: Sendable, Equatable {
        package var pending = 0
        package var sending = 0
        package var dead = 0
        package var oldestPendingCreatedAt: Date?
    }

    package func backlog() throws -> Backlog {
        try database.withConnection { connection in
            func count(_ status: OutboxStatus) throws -> Int {
                try connection.queryFirst("SELECT COUNT(*) AS n FROM outbox_messages WHERE status = \(status.rawValue)")?.get("n") ?? 0
            }
            return Backlog(
                pending: try count(.pending), sending: try count(.sending), dead: try count(.dead),
                oldestPendingCreatedAt: try connection.queryFirst("""
                    SELECT created_at FROM outbox_messages WHERE status = \(OutboxStatus.pending.rawValue) ORDER BY created_at LIMIT 1
                    """)?.get("created_at"))
        }
    }
}
