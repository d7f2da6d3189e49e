package import Foundation
package import TollgateEntitlements
package import TollgateStore

/// The outbox in the store (`outbox_messages`): listing, showing, retrying and purging for
/// operators, and the worker's claim and outcome writes.
package struct OutboxStore: Sendable {
    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    static let columns = """
        id, dedupe_key, template, recipient, recipient_name, customer_id, status, attempts, available_at, lease_expires_at, \
        last_error, note, provider_message_id, sent_at, created_at, updated_at
        """

    /// One page of mail, newest first, optionally only those with `status`; `startingAfter` is a
    /// message id from the previous page.
    package func list(status: OutboxStatus? = nil, page: PageRequest) throws -> Page<OutboxMessage> {
        try database.withConnection { connection in
            try Self.listing.page(status: status?.rawValue, page: page, on: connection, decode: Self.message(from:))
        }
    }

    static let listing = NewestFirstListing(table: "outbox_messages", columns: columns, timeColumn: "created_at", noun: "message")

    /// The message and its template data, or nil.
    package func find(id: String) throws -> OutboxMessageDetail? {
        try database.withConnection { connection in
            guard let row = try connection.queryFirst("SELECT \(raw: Self.columns), data FROM outbox_messages WHERE id = \(id)") else {
                return nil
            }
            return OutboxMessageDetail(message: try Self.message(from: row), data: try row.get("data"))
        }
    }

    /// Queues a dead or suppressed mail again, due now with no attempts counted (an operator's
    /// retry, e.g. after fixing the mail configuration or lifting a suppression). A pending,
    /// sending or sent mail is refused: retrying it would send it twice.
    @discardableResult
    package func retry(id: String, now: Date = Date()) throws -> OutboxMessage {
        try database.transaction { connection in
            guard let current = try Self.find(id: id, on: connection) else { throw DomainError.notFound("message \(id)") }
            guard current.status == .dead || current.status == .suppressed else {
                throw DomainError.conflict("message \(id) is \(current.status.rawValue); only dead or suppressed mail can be retried")
            }
            try connection.execute("""
                UPDATE outbox_messages SET status = 'pending', attempts = 0, available_at = \(now), lease_owner = NULL,
                    lease_expires_at = NULL, last_error = NULL, note = \("retried by an operator"), updated_at = \(now)
                WHERE id = \(id)
                """)
            guard let message = try Self.find(id: id, on: connection) else { throw DomainError.notFound("message \(id)") }
            return message
        }
    }

    /// Deletes dead mail last changed before `before` (default: all of it). Returns how many.
    @discardableResult
    package func purgeDead(before: Date = .distantFuture) throws -> Int {
        try database.withConnection { connection in
            try connection.execute("DELETE FROM outbox_messages WHERE status = 'dead' AND updated_at < \(before)")
        }
    }

    /// How many messages have each status.
    package func counts() throws -> [OutboxStatus: Int] {
        try database.withConnection { connection in try Self.listing.statusCounts(OutboxStatus.self, on: connection) }
    }

    // MARK: The worker's side

    /// A mail a worker holds until its lease ends.
    struct Claimed: Sendable {
        var id: String
        var dedupeKey: String
        var template: String
        var recipient: String
        var recipientName: String?
        var data: String
        /// Including this claim.
        var attempts: Int
        var availableAt: Date
        /// The suppression list's reason when the recipient is on it (read with the claim).
        var suppressedBecause: String?
        /// When this claim's lease ends; past it, another worker may take the mail.
        var leaseExpiresAt: Date
    }

    /// Takes up to `limit` messages (pending and due by `dueBy`, or sending with a lease that has
    /// ended) for `owner` until `now + lease`, counting an attempt on each. PostgreSQL skips rows another
    /// worker is claiming (`FOR UPDATE SKIP LOCKED`); SQLite's write transaction is the one writer.
    func claim(owner: String, limit: Int, lease: TimeInterval, dueBy: Date? = nil, now: Date) throws -> [Claimed] {
        let dueBy = dueBy ?? now
        return try database.transaction { connection in
            try connection.query("""
                UPDATE outbox_messages SET status = 'sending', lease_owner = \(owner), lease_expires_at = \(now.addingTimeInterval(lease)),
                    attempts = attempts + 1, updated_at = \(now)
                WHERE id IN (
                    SELECT id FROM outbox_messages
                    WHERE (status = 'pending' AND available_at <= \(dueBy)) OR (status = 'sending' AND lease_expires_at <= \(now))
                    ORDER BY available_at, id LIMIT \(limit)\(raw: connection.dialect.claimRowsClause))
                RETURNING id, dedupe_key, template, recipient, recipient_name, data, attempts, available_at,
                    (SELECT reason FROM mail_suppressions WHERE address = LOWER(TRIM(recipient))) AS suppressed_because
                """).map { row in
                Claimed(
                    id: try row.get("id"), dedupeKey: try row.get("dedupe_key"), template: try row.get("template"),
                    recipient: try row.get("recipient"), recipientName: try row.get("recipient_name"), data: try row.get("data"),
                    attempts: try row.get("attempts"), availableAt: try row.get("available_at"),
                    suppressedBecause: try row.get("suppressed_because"), leaseExpiresAt: now.addingTimeInterval(lease))
            }.sorted { ($0.availableAt, $0.id) < ($1.availableAt, $1.id) }
        }
    }

    /// How a claimed mail ended this time.
    enum Outcome {
        case sent(providerMessageID: String, at: Date)
        /// Back to pending, due at `at`; `countsAsAttempt` false when the mail merely waited
        /// (a rate limit), so waiting never brings it closer to `dead`.
        case later(at: Date, note: String?, error: String?, countsAsAttempt: Bool)
        case dead(error: String)
        case suppressed(note: String)
    }

    /// Records `outcome` for a mail `owner` holds. Returns false when the lease was lost (another
    /// worker claimed the mail after the lease ran out); nothing is written then.
    @discardableResult
    func finish(id: String, owner: String, outcome: Outcome, now: Date) throws -> Bool {
        try database.withConnection { connection in
            let changed: Int
            switch outcome {
            case .sent(let providerID, let at):
                changed = try connection.execute("""
                    UPDATE outbox_messages SET status = 'sent', provider_message_id = \(providerID), sent_at = \(at), lease_owner = NULL,
                        lease_expires_at = NULL, last_error = NULL, note = NULL, updated_at = \(now)
                    WHERE id = \(id) AND status = 'sending' AND lease_owner = \(owner)
                    """)
            case .later(let at, let note, let error, let countsAsAttempt):
                changed = try connection.execute("""
                    UPDATE outbox_messages SET status = 'pending', available_at = \(at), lease_owner = NULL, lease_expires_at = NULL,
                        attempts = attempts - \(countsAsAttempt ? 0 : 1), note = \(note),
                        last_error = COALESCE(\(error.map { String($0.prefix(1000)) }), last_error), updated_at = \(now)
                    WHERE id = \(id) AND status = 'sending' AND lease_owner = \(owner)
                    """)
            case .dead(let error):
                changed = try connection.execute("""
                    UPDATE outbox_messages SET status = 'dead', lease_owner = NULL, lease_expires_at = NULL,
                        last_error = \(String(error.prefix(1000))), note = NULL, updated_at = \(now)
                    WHERE id = \(id) AND status = 'sending' AND lease_owner = \(owner)
                    """)
            case .suppressed(let note):
                changed = try connection.execute("""
                    UPDATE outbox_messages SET status = 'suppressed', attempts = attempts - 1, lease_owner = NULL, lease_expires_at = NULL,
                        note = \(note), updated_at = \(now)
                    WHERE id = \(id) AND status = 'sending' AND lease_owner = \(owner)
                    """)
            }
            return changed == 1
        }
    }

    // MARK: Rows

    static func find(id: String, on connection: any SQLConnection) throws -> OutboxMessage? {
        try connection.queryFirst("SELECT \(raw: columns) FROM outbox_messages WHERE id = \(id)").map(message(from:))
    }

    static func message(from row: Row) throws -> OutboxMessage {
        OutboxMessage(
            id: try row.get("id"), dedupeKey: try row.get("dedupe_key"), template: try row.get("template"),
            recipient: try row.get("recipient"), recipientName: try row.get("recipient_name"), customerID: try row.get("customer_id"),
            status: try StoredValue.decode(OutboxStatus.self, try row.get("status")), attempts: try row.get("attempts"),
            availableAt: try row.get("available_at"), leaseExpiresAt: try row.get("lease_expires_at"), lastError: try row.get("last_error"),
            note: try row.get("note"), providerMessageID: try row.get("provider_message_id"), sentAt: try row.get("sent_at"),
            createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"))
    }
}
