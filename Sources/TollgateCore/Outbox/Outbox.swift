import Foundation
import TollgateStore

/// Queuing mail in the caller's transaction (see ``OutboxMail``).
public enum Outbox {
    /// Queues `mail` on `connection` (the caller's transaction). Returns `false` when a mail with
    /// the same dedupe key was already queued (nothing is written then).
    @discardableResult
    public static func enqueue(_ mail: OutboxMail, on connection: any SQLConnection, now: Date = Date()) throws -> Bool {
        false  // Filled in by the outbox work (issue 6) on main.
    }
}
