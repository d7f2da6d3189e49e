package import Foundation
package import TollgateEntitlements
package import TollgateStore
package import TollgateStripe

/// The Stripe event inbox in the store (`stripe_events`): intake, listing, replay, and the
/// applier's claim and outcome writes.
package struct StripeEventStore: Sendable {
    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    static let columns = "id, type, object_id, created, status, attempts, next_attempt_at, last_error, note, received_at, applied_at"

    /// Stores a verified event once, with the Stripe customer it names (the console's customer page
    /// finds a customer's events by it): a second delivery of the same id changes nothing.
    /// Returns false for a duplicate.
    package func insert(_ event: WebhookEvent.Envelope, payload: [UInt8], now: Date = Date()) throws -> Bool {
        let text = String(decoding: payload, as: UTF8.self)
        return try database.withConnection { connection in
            try connection.execute("""
                INSERT INTO stripe_events (id, type, object_id, stripe_customer_id, created, payload, status, attempts, next_attempt_at, received_at)
                VALUES (\(event.id), \(event.type), \(event.objectID), \(event.stripeCustomerID), \(event.createdDate), \(text), 'pending', 0, \(now), \(now))
                ON CONFLICT (id) DO NOTHING
                """) == 1
        }
    }

    /// One page of events, newest received first, optionally only those with `status`;
    /// `startingAfter` is an event id from the previous page.
    package func list(status: StripeEventStatus? = nil, page: PageRequest) throws -> Page<StripeEventRecord> {
        try database.withConnection { connection in
            try Self.listing.page(status: status?.rawValue, page: page, on: connection, decode: Self.record(from:))
        }
    }

    static let listing = NewestFirstListing(table: "stripe_events", columns: columns, timeColumn: "received_at", noun: "event")

    /// The event and its payload exactly as received, or nil.
    package func find(id: String) throws -> (record: StripeEventRecord, payload: String)? {
        try database.withConnection { connection in
            guard let row = try connection.queryFirst("SELECT \(raw: Self.columns), payload FROM stripe_events WHERE id = \(id)") else {
                return nil
            }
            return (try Self.record(from: row), try row.get("payload"))
        }
    }

    /// Makes the event pending again with no attempts, due now (an operator's retry of a failed
    /// event, or a deliberate re-application). The ordering guard still applies.
    @discardableResult
    package func replay(id: String, now: Date = Date()) throws -> StripeEventRecord {
        try database.transaction { connection in
            let changed = try connection.execute("""
                UPDATE stripe_events SET status = 'pending', attempts = 0, next_attempt_at = \(now), last_error = NULL, note = NULL,
                    applied_at = NULL
                WHERE id = \(id)
                """)
            guard changed == 1, let record = try Self.find(id: id, on: connection) else { throw DomainError.notFound("event \(id)") }
            return record
        }
    }

    /// How many events have each status (for the CLI and the benchmark).
    package func counts() throws -> [StripeEventStatus: Int] {
        try database.withConnection { connection in try Self.listing.statusCounts(StripeEventStatus.self, on: connection) }
    }

    /// The statuses that need the applier or an operator, which `/metrics` reports.
    package static let watchedStatuses: [StripeEventStatus] = [.pending, .failed, .unsupportedVersion]

    /// How many events have each of ``watchedStatuses`` (zero included): one query over the status
    /// index, never a scan of the applied and ignored history.
    package func watchedCounts() throws -> [StripeEventStatus: Int] {
        try database.withConnection { connection in
            var counts = Dictionary(uniqueKeysWithValues: Self.watchedStatuses.map { ($0, 0) })
            for status in Self.watchedStatuses {
                counts[status] = try connection.queryFirst("SELECT COUNT(*) AS n FROM stripe_events WHERE status = \(status.rawValue)")?.get("n") ?? 0
            }
            return counts
        }
    }

    /// Inside the applier's transaction, instead of applying: holds an event rendered at an API
    /// version Tollgate does not read (``StripeAPIVersion/isReadable(_:)``) as
    /// ``StripeEventStatus/unsupportedVersion``; nil when the version is readable. The note names
    /// the version and what to do.
    static func holdIfUnreadable(_ event: WebhookEvent, id: String, on connection: any SQLConnection, now: Date) throws -> String? {
        guard !StripeAPIVersion.isReadable(event.apiVersion) else { return nil }
        let version = String((event.apiVersion ?? "").prefix(64))
        let why = StripeAPIVersion(version) == nil
            ? "is not a Stripe API version Tollgate knows"
            : "is newer than \(StripeConfiguration.pinnedAPIVersion), the version Tollgate reads"
        let note = "api_version \(version) \(why); not applied (replay it after upgrading Tollgate)"
        try finish(id: id, status: .unsupportedVersion, note: note, on: connection, now: now)
        return note
    }

    // MARK: The applier's side

    /// Pending events due at `now` with their payloads, oldest `created` first (ties: first
    /// received first).
    func dueEvents(limit: Int, now: Date) throws -> [(id: String, payload: String)] {
        try database.withConnection { connection in
            try connection.query("""
                SELECT id, payload FROM stripe_events WHERE status = 'pending' AND next_attempt_at <= \(now)
                ORDER BY created, received_at, id LIMIT \(limit)
                """).map { (try $0.get("id"), try $0.get("payload")) }
        }
    }

    /// Inside the applier's transaction: the event if it is still pending, now held by this
    /// transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so another applier passes it over).
    static func claim(id: String, on connection: any SQLConnection) throws -> (payload: String, attempts: Int)? {
        try connection.queryFirst("""
            SELECT payload, attempts FROM stripe_events WHERE id = \(id) AND status = 'pending'\(raw: connection.dialect.claimRowsClause)
            """).map { (try $0.get("payload"), try $0.get("attempts")) }
    }

    /// Inside a lane's batch transaction, in one statement: which of `ids` are still pending and
    /// due at `now`, now held by this transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so
    /// another applier passes them over and a lane never waits for one).
    static func claim(ids: [String], now: Date, on connection: any SQLConnection) throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        var bindings: [SQLValue] = [.timestamp(now)]
        var list: [String] = []
        for id in ids {
            bindings.append(.text(id))
            list.append("$\(bindings.count)")
        }
        let sql = SQL("""
            SELECT id FROM stripe_events WHERE id IN (\(list.joined(separator: ", "))) AND status = 'pending' AND next_attempt_at <= $1\
            \(connection.dialect.claimRowsClause)
            """, bindings)
        return Set(try connection.query(sql).map { try $0.get("id") as String })
    }

    /// Inside the applier's transaction, with the effect: the outcome.
    static func finish(id: String, status: StripeEventStatus, note: String?, on connection: any SQLConnection, now: Date) throws {
        try connection.execute("""
            UPDATE stripe_events SET status = \(status.rawValue), attempts = attempts + 1, note = \(note), last_error = NULL, applied_at = \(now)
            WHERE id = \(id)
            """)
    }

    /// One event's outcome, written with a batch's others by ``finish(_:on:)``.
    struct Finish {
        var id: String
        var status: StripeEventStatus
        var note: String?
        var at: Date
    }

    /// Inside a lane's batch transaction, with the effects: every outcome in one statement
    /// (`UPDATE … FROM (VALUES …)`), as ``finish(id:status:note:on:now:)`` writes one.
    static func finish(_ outcomes: [Finish], on connection: any SQLConnection) throws {
        guard !outcomes.isEmpty else { return }
        // PostgreSQL types a VALUES list's parameters as text: the timestamp says what it is.
        let timestamp = connection.dialect == .postgres ? "CAST($%d AS timestamptz)" : "$%d"
        var bindings: [SQLValue] = []
        var rows: [String] = []
        for outcome in outcomes {
            bindings += [.text(outcome.id), .text(outcome.status.rawValue), outcome.note.map(SQLValue.text) ?? .null, .timestamp(outcome.at)]
            let n = bindings.count
            rows.append("($\(n - 3), $\(n - 2), $\(n - 1), \(timestamp.replacingOccurrences(of: "%d", with: String(n))))")
        }
        let sql = SQL("""
            UPDATE stripe_events SET status = v.column2, attempts = attempts + 1, note = v.column3, last_error = NULL, applied_at = v.column4
            FROM (VALUES \(rows.joined(separator: ", "))) AS v WHERE stripe_events.id = v.column1
            """, bindings)
        let changed = try connection.execute(sql)
        guard changed == outcomes.count else {
            throw StoreError(.other, "recording \(outcomes.count) stripe event outcomes changed \(changed) rows")
        }
    }

    /// After a failed attempt (its transaction rolled back): counts it, and either schedules the
    /// next attempt or marks the event failed. Returns the new status, or nil if the event was no
    /// longer pending.
    func recordFailure(
        id: String, error: String, maxAttempts: Int, delay: (Int) -> TimeInterval, now: Date
    ) throws -> StripeEventStatus? {
        try database.transaction { connection in
            guard let attempts: Int = try connection.queryFirst("""
                SELECT attempts FROM stripe_events WHERE id = \(id) AND status = 'pending'\(raw: connection.dialect.claimRowsClause)
                """)?.get("attempts") else { return nil }
            let made = attempts + 1
            let status: StripeEventStatus = made >= maxAttempts ? .failed : .pending
            try connection.execute("""
                UPDATE stripe_events SET attempts = \(made), status = \(status.rawValue), last_error = \(String(error.prefix(1000))),
                    next_attempt_at = \(now.addingTimeInterval(status == .pending ? delay(made) : 0))
                WHERE id = \(id)
                """)
            return status
        }
    }

    // MARK: Rows

    static func find(id: String, on connection: any SQLConnection) throws -> StripeEventRecord? {
        try connection.queryFirst("SELECT \(raw: columns) FROM stripe_events WHERE id = \(id)").map(record(from:))
    }

    static func record(from row: Row) throws -> StripeEventRecord {
        StripeEventRecord(
            id: try row.get("id"), type: try row.get("type"), objectID: try row.get("object_id"), created: try row.get("created"),
            status: try StoredValue.decode(StripeEventStatus.self, try row.get("status")), attempts: try row.get("attempts"),
            nextAttemptAt: try row.get("next_attempt_at"), lastError: try row.get("last_error"), note: try row.get("note"),
            receivedAt: try row.get("received_at"), appliedAt: try row.get("applied_at"))
    }
}
