package import Foundation
import Tollgate
import TollgateCrypto
package import TollgateStore

/// Customers' current subscriptions and their history.
package struct SubscriptionRepository: Sendable {
    let database: any Database
    /// Told the customer's external id after every committed change (the snapshot cache listens).
    let didChange: @Sendable (String) -> Void
    /// Told of every write inside its transaction (the billing mails).
    let observer: SubscriptionObserver

    package init(database: any Database, observer: SubscriptionObserver = .none, didChange: @escaping @Sendable (String) -> Void = { _ in }) {
        self.database = database
        self.observer = observer
        self.didChange = didChange
    }

    static let columns = """
        s.id, c.external_id, s.plan_key, s.status, s.quantity, s.current_period_start, s.current_period_end,
        s.cancel_at_period_end, s.trial_end, s.past_due_since, s.stripe_subscription_id, s.created_at, s.updated_at
        """

    /// The customer's current subscription, or nil when there never was one.
    package func current(customer externalID: String) throws -> Subscription? {
        try database.withConnection { connection in
            guard try CustomerRepository.find(externalID: externalID, on: connection) != nil else {
                throw DomainError.unknownCustomer(externalID)
            }
            return try Self.current(externalID: externalID, on: connection)
        }
    }

    /// Sets the customer's subscription and appends the new state to its history. The plan must
    /// exist and not be archived. Entering `past_due` starts the grace clock; leaving it stops it.
    package func set(customer externalID: String, _ change: SubscriptionChange, source: String, now: Date = Date()) throws -> Subscription {
        try change.validate()
        defer { didChange(externalID) }
        return try database.transaction { connection in
            guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
                throw DomainError.unknownCustomer(externalID)
            }
            return try Self.set(customer: customer, change, source: source, mode: .merge, observer: observer, on: connection, now: now)
        }
    }

    /// How ``set(customer:_:source:mode:stripeSubscriptionID:on:now:)`` treats what the change leaves out.
    enum WriteMode {
        /// The API and CLI: a nil field keeps its current value; the plan must not be archived.
        case merge
        /// Stripe's webhooks: the change is the whole state (nil clears), and an archived plan is
        /// accepted (the customer is still billed for it in Stripe).
        case mirror
    }

    /// The one write path for subscriptions, inside the caller's transaction: the API and CLI (through
    /// ``set(customer:_:source:now:)``) and the Stripe event applier both come here. The caller tells
    /// its listeners (``didChange``) after commit; `observer` is told inside the transaction.
    /// `existing` is the customer's current subscription as the caller read it in this transaction.
    /// `knownPlans`: plans the caller found in the catalog in this transaction; a mirror of one of
    /// them (which takes archived plans too) need not look it up again. `deferred`: where the
    /// write's event and due mark are held until the caller flushes them.
    static func set(
        customer: Customer, _ change: SubscriptionChange, source: String, mode: WriteMode, stripeSubscriptionID: String? = nil,
        existing: Subscription?, knownPlans: Set<String> = [], deferred: DeferredWrites? = nil, observer: SubscriptionObserver,
        on connection: any SQLConnection, now: Date
    ) throws -> Subscription {
        try change.validate()
        if mode != .mirror || !knownPlans.contains(change.plan) {
            guard let planStatus: String = try connection.queryFirst("SELECT status FROM plans WHERE key = \(change.plan)")?.get("status") else {
                throw DomainError.invalid("plan", "no plan \(change.plan) in the catalog")
            }
            guard planStatus != PlanStatus.archived.rawValue || mode == .mirror else {
                throw DomainError.invalid("plan", "plan \(change.plan) is archived")
            }
        }

        let previous = mode == .merge ? existing?.state : nil
        // The grace clock: kept while the same subscription stays past due (it may have been started
        // by a failed invoice first); a subscription that replaces another starts its own.
        let sameSubscription = stripeSubscriptionID == nil || stripeSubscriptionID == existing?.stripeSubscriptionID
        let pastDueSince: Date? = change.status == .pastDue ? (sameSubscription ? existing?.state.pastDueSince : nil) ?? now : nil
        let state = SubscriptionState(
            planKey: change.plan, status: change.status, quantity: change.quantity ?? previous?.quantity ?? 1,
            currentPeriodStart: change.currentPeriodStart ?? previous?.currentPeriodStart,
            currentPeriodEnd: change.currentPeriodEnd ?? previous?.currentPeriodEnd,
            cancelAtPeriodEnd: change.cancelAtPeriodEnd ?? previous?.cancelAtPeriodEnd ?? false,
            trialEnd: change.trialEnd ?? previous?.trialEnd, pastDueSince: pastDueSince)
        let stripeID = stripeSubscriptionID ?? existing?.stripeSubscriptionID
        let id = try existing?.id ?? "sub_" + SecureRandom.token(20)
        if existing == nil {
            try connection.execute("""
                INSERT INTO subscriptions (id, customer_id, plan_key, status, quantity, current_period_start, current_period_end,
                    cancel_at_period_end, trial_end, past_due_since, stripe_subscription_id, created_at, updated_at)
                VALUES (\(id), \(customer.id), \(state.planKey), \(state.status.rawValue), \(state.quantity), \(state.currentPeriodStart),
                    \(state.currentPeriodEnd), \(state.cancelAtPeriodEnd), \(state.trialEnd), \(state.pastDueSince), \(stripeID), \(now), \(now))
                """)
        } else if let deferred, deferred.holdsSubscription(ofCustomer: customer.id) {
            deferred.subscription(id: id, row: [
                .text(id), .text(state.planKey), .text(state.status.rawValue), .integer(Int64(state.quantity)), state.currentPeriodStart.sqlValue,
                state.currentPeriodEnd.sqlValue, .bool(state.cancelAtPeriodEnd), state.trialEnd.sqlValue, state.pastDueSince.sqlValue,
                stripeID.sqlValue, .timestamp(now),
            ])
        } else {
            try connection.execute("""
                UPDATE subscriptions SET plan_key = \(state.planKey), status = \(state.status.rawValue), quantity = \(state.quantity),
                    current_period_start = \(state.currentPeriodStart), current_period_end = \(state.currentPeriodEnd),
                    cancel_at_period_end = \(state.cancelAtPeriodEnd), trial_end = \(state.trialEnd),
                    past_due_since = \(state.pastDueSince), stripe_subscription_id = \(stripeID), updated_at = \(now)
                WHERE id = \(id)
                """)
        }
        let historyID = try appendHistory(
            subscriptionID: id, customerID: customer.id, state: state, source: source, deferred: deferred, on: connection, now: now)
        // What was written, as the store gives it back (instants to the millisecond), without reading it.
        let saved = Subscription(
            id: id, customer: customer.externalID, state: state.stored, stripeSubscriptionID: stripeID,
            createdAt: SQLTimestamp.stored(existing?.createdAt ?? now), updatedAt: SQLTimestamp.stored(now))
        let write = SubscriptionWrite(customer: customer, previous: existing?.state, saved: saved, historyID: historyID)
        try EntitlementAnnouncements.markDue(customerID: customer.id, externalID: customer.externalID, deferred: deferred, on: connection, now: now)
        try DomainEvents.subscriptionWritten(write, deferred: deferred, on: connection, now: now)
        try observer.written(write, connection, now)
        return saved
    }

    /// ``set(customer:_:source:mode:stripeSubscriptionID:existing:observer:on:now:)`` reading the
    /// customer's current subscription first.
    static func set(
        customer: Customer, _ change: SubscriptionChange, source: String, mode: WriteMode, stripeSubscriptionID: String? = nil,
        observer: SubscriptionObserver, on connection: any SQLConnection, now: Date
    ) throws -> Subscription {
        try set(
            customer: customer, change, source: source, mode: mode, stripeSubscriptionID: stripeSubscriptionID,
            existing: try current(externalID: customer.externalID, on: connection), observer: observer, on: connection, now: now)
    }

    /// Appends `state` to the customer's history, after the caller wrote the subscription row — so
    /// while it holds that row (PostgreSQL's row lock, SQLite's write lock) and no other writer of
    /// the customer can commit in between. Entries are numbered 1, 2, 3, … per customer (`seq`),
    /// which is therefore the order in which the changes commit, whatever the clocks of the instances
    /// that wrote them; `changed_at` never goes back along it (an instance whose clock is behind the
    /// previous entry's stamps the previous entry's instant). Returns the new entry's id.
    /// `deferred`: held there (numbered from the customer's last entry as the batch read it, by the
    /// same rule) when it holds the customer's history.
    private static func appendHistory(
        subscriptionID: String, customerID: String, state: SubscriptionState, source: String, deferred: DeferredWrites?,
        on connection: any SQLConnection, now: Date
    ) throws -> String {
        let historyID = "sh_" + (try SecureRandom.token(20))
        if let deferred, let last = deferred.lastHistory(customerID: customerID) {
            let changedAt = SQLTimestamp.stored(last.changedAt.map { max($0, now) } ?? now)
            deferred.history(customerID: customerID, seq: last.seq + 1, changedAt: changedAt, row: [
                .text(historyID), .text(subscriptionID), .text(customerID), .text(state.planKey), .text(state.status.rawValue),
                .integer(Int64(state.quantity)), state.currentPeriodStart.sqlValue, state.currentPeriodEnd.sqlValue,
                .bool(state.cancelAtPeriodEnd), state.trialEnd.sqlValue, .text(source), .timestamp(changedAt), .integer(last.seq + 1),
            ])
            return historyID
        }
        // One statement: the entry after the customer's last (its `seq` + 1, and `changed_at` no
        // earlier than the last one's).
        try connection.execute("""
            INSERT INTO subscription_history (id, subscription_id, customer_id, plan_key, status, quantity, current_period_start,
                current_period_end, cancel_at_period_end, trial_end, source, changed_at, seq)
            SELECT \(historyID), \(subscriptionID), \(customerID), \(state.planKey), \(state.status.rawValue), \(state.quantity),
                \(state.currentPeriodStart), \(state.currentPeriodEnd), \(state.cancelAtPeriodEnd), \(state.trialEnd), \(source),
                CASE WHEN last.changed_at > \(now) THEN last.changed_at ELSE \(now) END, COALESCE(last.seq, 0) + 1
            FROM (SELECT 1 AS one) AS here LEFT JOIN (
                SELECT seq, changed_at FROM subscription_history WHERE customer_id = \(customerID) ORDER BY seq DESC LIMIT 1
            ) AS last ON 1 = 1
            """)
        return historyID
    }

    /// Writes the subscription rows a ``DeferredWrites`` held (each the last state of its
    /// subscription: id, plan, status, quantity, period start and end, cancel at period end, trial
    /// end, past due since, Stripe id, updated at), one `UPDATE … FROM (VALUES …)` per chunk — as
    /// ``set(customer:_:source:mode:stripeSubscriptionID:existing:knownPlans:deferred:observer:on:now:)``
    /// updates one.
    static func update(_ rows: [[SQLValue]], on connection: any SQLConnection) throws {
        // PostgreSQL types a VALUES list's parameters as text: each column says what it is.
        func cast(_ column: Int, _ type: String) -> String {
            connection.dialect == .postgres ? "CAST(v.column\(column) AS \(type))" : "v.column\(column)"
        }
        for range in UsageRepository.chunks(rows.count, dialect: connection.dialect) {
            var update = RowsStatement("""
                UPDATE subscriptions SET plan_key = v.column2, status = v.column3, quantity = \(cast(4, "INTEGER")),
                    current_period_start = \(cast(5, "timestamptz")), current_period_end = \(cast(6, "timestamptz")),
                    cancel_at_period_end = \(cast(7, "BOOLEAN")), trial_end = \(cast(8, "timestamptz")),
                    past_due_since = \(cast(9, "timestamptz")), stripe_subscription_id = v.column10, updated_at = \(cast(11, "timestamptz"))
                FROM (VALUES
                """)
            for row in rows[range] { update.row(row) }
            try connection.execute(update.sql(tail: ") AS v WHERE subscriptions.id = v.column1"))
        }
    }

    /// The columns of a history entry, in the order ``DeferredWrites`` holds its rows.
    static let historyColumns = """
        id, subscription_id, customer_id, plan_key, status, quantity, current_period_start, current_period_end, cancel_at_period_end,
        trial_end, source, changed_at, seq
        """

    /// Each of `customerIDs`' last history entry (`seq` 0 and no instant when it has none), for a
    /// ``DeferredWrites`` that numbers their next entries: one statement.
    package static func lastHistory(customerIDs: [String], on connection: any SQLConnection) throws -> [String: (seq: Int64, changedAt: Date?)] {
        var last: [String: (seq: Int64, changedAt: Date?)] = [:]
        for id in customerIDs { last[id] = (0, nil) }
        let ids = Array(Set(customerIDs)).sorted()
        for range in UsageRepository.chunks(ids.count, dialect: connection.dialect) {
            var statement = RowsStatement("""
                SELECT h.customer_id, h.seq, h.changed_at FROM subscription_history h
                WHERE h.seq = (SELECT MAX(m.seq) FROM subscription_history m WHERE m.customer_id = h.customer_id) AND h.customer_id IN (
                """)
            for id in ids[range] { statement.value(id.sqlValue) }
            for row in try connection.query(statement.sql(tail: ")")) {
                last[try row.get("customer_id")] = (try row.get("seq"), try row.get("changed_at"))
            }
        }
        return last
    }

    /// Starts the grace clock of the subscription Stripe knows as `stripeSubscriptionID` (a payment
    /// failed), unless it is already running. Returns the customer's external id, or nil when no
    /// local subscription has that id.
    package static func startGraceClock(stripeSubscriptionID: String, at instant: Date, on connection: any SQLConnection, now: Date) throws -> String? {
        try connection.queryFirst("""
            UPDATE subscriptions SET past_due_since = COALESCE(past_due_since, \(instant)), updated_at = \(now)
            WHERE stripe_subscription_id = \(stripeSubscriptionID)
            RETURNING customer_id
            """).map { try graceClockMoved(customerID: try $0.get("customer_id"), on: connection, now: now) }
    }

    /// Stops the grace clock (an invoice was paid). Returns the customer's external id, or nil.
    package static func clearGraceClock(stripeSubscriptionID: String, on connection: any SQLConnection, now: Date) throws -> String? {
        try connection.queryFirst("""
            UPDATE subscriptions SET past_due_since = NULL, updated_at = \(now)
            WHERE stripe_subscription_id = \(stripeSubscriptionID)
            RETURNING customer_id
            """).map { try graceClockMoved(customerID: try $0.get("customer_id"), on: connection, now: now) }
    }

    /// The grace clock moved: the customer is due for evaluation. Returns their external id.
    private static func graceClockMoved(customerID: String, on connection: any SQLConnection, now: Date) throws -> String {
        guard let id: String = try connection.queryFirst("SELECT external_id FROM customers WHERE id = \(customerID)")?.get("external_id") else {
            throw DomainError.notFound("customer \(customerID)")
        }
        try EntitlementAnnouncements.markDue(customerID: customerID, externalID: id, on: connection, now: now)
        return id
    }

    /// How many customers have their current subscription on `plan`, canceled and expired ones
    /// not counted: who archiving the plan concerns (`tollgate plans apply` asks first).
    package func customerCount(onPlan plan: String) throws -> Int {
        try database.withConnection { connection in
            let row = try connection.queryFirst("""
                SELECT COUNT(*) AS n FROM subscriptions WHERE plan_key = \(plan) AND status NOT IN ('canceled', 'incomplete_expired')
                """)
            return try row?.get("n") ?? 0
        }
    }

    /// Every state the customer's subscription went through, in the order the changes committed.
    package func history(customer externalID: String) throws -> [SubscriptionHistoryEntry] {
        try database.withConnection { connection in
            guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
                throw DomainError.unknownCustomer(externalID)
            }
            return try connection.query("""
                SELECT plan_key, status, quantity, current_period_start, current_period_end, cancel_at_period_end, trial_end, source, changed_at
                FROM subscription_history WHERE customer_id = \(customer.id) ORDER BY seq
                """).map { row in
                SubscriptionHistoryEntry(
                    plan: try row.get("plan_key"), status: try StoredValue.decode(SubscriptionStatus.self, try row.get("status")),
                    quantity: try row.get("quantity"), currentPeriodStart: try row.get("current_period_start"),
                    currentPeriodEnd: try row.get("current_period_end"), cancelAtPeriodEnd: try row.get("cancel_at_period_end"),
                    trialEnd: try row.get("trial_end"), source: try row.get("source"), changedAt: try row.get("changed_at"))
            }
        }
    }

    package static func current(externalID: String, on connection: any SQLConnection) throws -> Subscription? {
        try connection.queryFirst("""
            SELECT \(raw: columns) FROM subscriptions s JOIN customers c ON c.id = s.customer_id WHERE c.external_id = \(externalID)
            """).map(subscription(from:))
    }

    /// The current subscription of each of `externalIDs` (one query, or a few), keyed by external
    /// id; a customer who never had one has no entry. `locking`: each row found is held until the
    /// transaction ends (PostgreSQL: `FOR UPDATE`, in id order), so what was read stays current.
    package static func current(externalIDs: [String], locking: Bool = false, on connection: any SQLConnection) throws -> [String: Subscription] {
        var result: [String: Subscription] = [:]
        let tail = locking && connection.dialect == .postgres ? ") ORDER BY s.id FOR UPDATE OF s" : ")"
        for range in UsageRepository.chunks(externalIDs.count, dialect: connection.dialect) {
            let chunk = externalIDs[range]
            var statement = RowsStatement("SELECT \(columns) FROM subscriptions s JOIN customers c ON c.id = s.customer_id WHERE c.external_id IN (")
            for id in chunk { statement.value(id.sqlValue) }
            for row in try connection.query(statement.sql(tail: tail)) {
                let subscription = try subscription(from: row)
                result[subscription.customer] = subscription
            }
        }
        return result
    }

    static func subscription(from row: Row) throws -> Subscription {
        let state = SubscriptionState(
            planKey: try row.get("plan_key"), status: try StoredValue.decode(SubscriptionStatus.self, try row.get("status")),
            quantity: try row.get("quantity"), currentPeriodStart: try row.get("current_period_start"),
            currentPeriodEnd: try row.get("current_period_end"), cancelAtPeriodEnd: try row.get("cancel_at_period_end"),
            trialEnd: try row.get("trial_end"), pastDueSince: try row.get("past_due_since"))
        return Subscription(
            id: try row.get("id"), customer: try row.get("external_id"), state: state,
            stripeSubscriptionID: try row.get("stripe_subscription_id"), createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"))
    }
}
