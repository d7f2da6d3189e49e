package import Foundation
import Tollgate
package import TollgateStore

/// A customer's Stripe subscriptions as last mirrored (`stripe_subscriptions`), and the choice of
/// the current one among them (``StripeSubscriptionPrecedence``).
extension SubscriptionRepository {
    /// Records the state of the Stripe subscription `stripeSubscriptionID` (a webhook or
    /// `stripe sync`), then puts the customer on the subscription ``StripeSubscriptionPrecedence``
    /// picks among all of theirs, through ``set(customer:_:source:mode:stripeSubscriptionID:on:now:)``
    /// — unless the customer is on it already and the write was about another one, which then
    /// changes nothing. Returns the customer's current subscription, inside the caller's transaction.
    /// `customerLocked`: the caller holds the customer's row already (``CustomerRepository/lock(stripeCustomerIDs:on:)``);
    /// `knownPlans`: plans the caller found in the catalog in this transaction; `deferred`: where the
    /// write's event and due mark are held until the caller's flush (the caller holds the customer's
    /// event sequence); `known`: the customer's current subscription as the caller read and holds
    /// it in this transaction (`.some(nil)`: none; nil: read here).
    package static func mirror(
        customer: Customer, stripeSubscriptionID: String, _ change: SubscriptionChange, startedAt: Date, source: String,
        customerLocked: Bool = false, knownPlans: Set<String> = [], known: Subscription?? = nil, deferred: DeferredWrites? = nil,
        observer: SubscriptionObserver,
        on connection: any SQLConnection, now: Date
    ) throws -> Subscription {
        try change.validate()
        // Writers of one customer's Stripe subscriptions take turns: each first holds the customer's
        // row (PostgreSQL's row lock; SQLite's write lock), so none chooses from a stale set.
        if !customerLocked { try CustomerRepository.lock(id: customer.id, on: connection) }
        let upsert = """
            INSERT INTO stripe_subscriptions (stripe_subscription_id, customer_id, plan_key, status, quantity, current_period_start,
                current_period_end, cancel_at_period_end, trial_end, started_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (stripe_subscription_id) DO UPDATE SET customer_id = excluded.customer_id, plan_key = excluded.plan_key,
                status = excluded.status, quantity = excluded.quantity, current_period_start = excluded.current_period_start,
                current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end,
                trial_end = excluded.trial_end, started_at = excluded.started_at, updated_at = excluded.updated_at
            """
        let values: [SQLValue] = [
            stripeSubscriptionID.sqlValue, customer.id.sqlValue, change.plan.sqlValue, change.status.rawValue.sqlValue,
            (change.quantity ?? 1).sqlValue, change.currentPeriodStart.sqlValue, change.currentPeriodEnd.sqlValue,
            (change.cancelAtPeriodEnd ?? false).sqlValue, change.trialEnd.sqlValue, startedAt.sqlValue, now.sqlValue,
        ]
        let mirrored: [(candidate: StripeSubscriptionPrecedence.Candidate, change: SubscriptionChange)]
        if connection.dialect == .postgres {
            // One round trip: the upsert's row (as written) with the customer's other Stripe
            // subscriptions (the statement's snapshot, from before the upsert: hence `<>`).
            mirrored = try stripeSubscriptions(from: connection.query(SQL("""
                WITH written AS (\(upsert) RETURNING \(stripeSubscriptionColumns))
                SELECT \(stripeSubscriptionColumns) FROM written
                UNION ALL SELECT \(stripeSubscriptionColumns) FROM stripe_subscriptions WHERE customer_id = $2 AND stripe_subscription_id <> $1
                ORDER BY stripe_subscription_id
                """, values)))
        } else {
            try connection.execute(SQL(upsert, values))
            mirrored = try stripeSubscriptions(customerID: customer.id, on: connection)
        }
        let existing = try known ?? current(externalID: customer.externalID, on: connection)
        guard let pick = StripeSubscriptionPrecedence.current(of: mirrored.map(\.candidate)) else {
            throw DomainError.notFound("Stripe subscription \(stripeSubscriptionID) of \(customer.externalID)")
        }
        if pick.stripeSubscriptionID != stripeSubscriptionID, let existing, existing.stripeSubscriptionID == pick.stripeSubscriptionID {
            return existing
        }
        let chosen = pick.stripeSubscriptionID == stripeSubscriptionID
            ? change : mirrored.first { $0.candidate.stripeSubscriptionID == pick.stripeSubscriptionID }?.change ?? change
        return try set(
            customer: customer, chosen, source: source, mode: .mirror, stripeSubscriptionID: pick.stripeSubscriptionID,
            existing: existing, knownPlans: knownPlans, deferred: deferred, observer: observer, on: connection, now: now)
    }

    /// Every Stripe subscription Tollgate holds (current or mirrored) → the customer (id) it is under.
    package static func recordedStripeSubscriptions(on connection: any SQLConnection) throws -> [String: String] {
        var recorded: [String: String] = [:]
        for row in try connection.query("""
            SELECT stripe_subscription_id, customer_id FROM subscriptions WHERE stripe_subscription_id IS NOT NULL
            UNION SELECT stripe_subscription_id, customer_id FROM stripe_subscriptions
            """) {
            recorded[try row.get("stripe_subscription_id")] = try row.get("customer_id")
        }
        return recorded
    }

    /// The customer a Stripe subscription was last mirrored under, if any.
    package static func mirroredCustomer(stripeSubscriptionID: String, on connection: any SQLConnection) throws -> Customer? {
        guard let row = try connection.queryFirst("SELECT customer_id FROM stripe_subscriptions WHERE stripe_subscription_id = \(stripeSubscriptionID)")
        else { return nil }
        return try CustomerRepository.find(id: try row.get("customer_id"), on: connection)
    }

    /// The plan last mirrored for a Stripe subscription, if any.
    package static func mirroredPlan(stripeSubscriptionID: String, on connection: any SQLConnection) throws -> String? {
        try connection.queryFirst("SELECT plan_key FROM stripe_subscriptions WHERE stripe_subscription_id = \(stripeSubscriptionID)")?
            .get("plan_key")
    }

    /// Records the Stripe subscription Stripe no longer has (404) as canceled, keeping the rest of
    /// its last mirrored state, and puts the customer on the subscription the rule then picks.
    /// Returns nil when Tollgate has no record of it.
    package static func mirrorGone(
        customer: Customer, stripeSubscriptionID: String, source: String, observer: SubscriptionObserver, on connection: any SQLConnection,
        now: Date
    ) throws -> Subscription? {
        guard let (candidate, change) = try stripeSubscriptions(stripeSubscriptionID: stripeSubscriptionID, on: connection).first else { return nil }
        var ended = change
        ended.status = .canceled
        return try mirror(
            customer: customer, stripeSubscriptionID: stripeSubscriptionID, ended, startedAt: candidate.startedAt, source: source,
            observer: observer, on: connection, now: now)
    }

    /// Each of the customer's Stripe subscriptions as last mirrored, in Stripe id order.
    package static func stripeSubscriptions(
        customerID: String, on connection: any SQLConnection
    ) throws -> [(candidate: StripeSubscriptionPrecedence.Candidate, change: SubscriptionChange)] {
        try stripeSubscriptions(where: "customer_id", is: customerID, on: connection)
    }

    private static func stripeSubscriptions(
        stripeSubscriptionID: String, on connection: any SQLConnection
    ) throws -> [(candidate: StripeSubscriptionPrecedence.Candidate, change: SubscriptionChange)] {
        try stripeSubscriptions(where: "stripe_subscription_id", is: stripeSubscriptionID, on: connection)
    }

    private static let stripeSubscriptionColumns = """
        stripe_subscription_id, plan_key, status, quantity, current_period_start, current_period_end, cancel_at_period_end, trial_end, started_at
        """

    private static func stripeSubscriptions(
        where column: String, is value: String, on connection: any SQLConnection
    ) throws -> [(candidate: StripeSubscriptionPrecedence.Candidate, change: SubscriptionChange)] {
        try stripeSubscriptions(from: connection.query("""
            SELECT \(raw: stripeSubscriptionColumns) FROM stripe_subscriptions WHERE \(raw: column) = \(value) ORDER BY stripe_subscription_id
            """))
    }

    private static func stripeSubscriptions(
        from rows: [Row]
    ) throws -> [(candidate: StripeSubscriptionPrecedence.Candidate, change: SubscriptionChange)] {
        try rows.map { row in
            let status = try StoredValue.decode(SubscriptionStatus.self, try row.get("status"))
            let candidate = StripeSubscriptionPrecedence.Candidate(
                stripeSubscriptionID: try row.get("stripe_subscription_id"), status: status, startedAt: try row.get("started_at"))
            let change = SubscriptionChange(
                plan: try row.get("plan_key"), status: status, quantity: try row.get("quantity"),
                currentPeriodStart: try row.get("current_period_start"), currentPeriodEnd: try row.get("current_period_end"),
                cancelAtPeriodEnd: try row.get("cancel_at_period_end"), trialEnd: try row.get("trial_end"))
            return (candidate, change)
        }
    }
}
