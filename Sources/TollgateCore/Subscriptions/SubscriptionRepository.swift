import Foundation
import Tollgate
import TollgateCrypto
import TollgateStore

/// Customers' current subscriptions and their history.
public struct SubscriptionRepository: Sendable {
    let database: any Database
    /// Told the customer's external id after every committed change (the snapshot cache listens).
    let didChange: @Sendable (String) -> Void

    public init(database: any Database, didChange: @escaping @Sendable (String) -> Void = { _ in }) {
        self.database = database
        self.didChange = didChange
    }

    static let columns = """
        s.id, c.external_id, s.plan_key, s.status, s.quantity, s.current_period_start, s.current_period_end,
        s.cancel_at_period_end, s.trial_end, s.past_due_since, s.stripe_subscription_id, s.created_at, s.updated_at
        """

    /// The customer's current subscription, or nil when there never was one.
    public func current(customer externalID: String) throws -> Subscription? {
        try database.withConnection { connection in
            guard try CustomerRepository.find(externalID: externalID, on: connection) != nil else {
                throw DomainError.unknownCustomer(externalID)
            }
            return try Self.current(externalID: externalID, on: connection)
        }
    }

    /// Sets the customer's subscription and appends the new state to its history. The plan must
    /// exist and not be archived. Entering `past_due` starts the grace clock; leaving it stops it.
    public func set(customer externalID: String, _ change: SubscriptionChange, source: String, now: Date = Date()) throws -> Subscription {
        try change.validate()
        defer { didChange(externalID) }
        return try database.transaction { connection in
            guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
                throw DomainError.unknownCustomer(externalID)
            }
            guard let planStatus: String = try connection.queryFirst("SELECT status FROM plans WHERE key = \(change.plan)")?.get("status") else {
                throw DomainError.invalid("plan", "no plan \(change.plan) in the catalog")
            }
            guard planStatus != PlanStatus.archived.rawValue else { throw DomainError.invalid("plan", "plan \(change.plan) is archived") }

            let existing = try Self.current(externalID: externalID, on: connection)
            let previous = existing?.state
            let pastDueSince: Date? = change.status == .pastDue ? (previous?.status == .pastDue ? previous?.pastDueSince : nil) ?? now : nil
            let state = SubscriptionState(
                planKey: change.plan, status: change.status, quantity: change.quantity ?? previous?.quantity ?? 1,
                currentPeriodStart: change.currentPeriodStart ?? previous?.currentPeriodStart,
                currentPeriodEnd: change.currentPeriodEnd ?? previous?.currentPeriodEnd,
                cancelAtPeriodEnd: change.cancelAtPeriodEnd ?? previous?.cancelAtPeriodEnd ?? false,
                trialEnd: change.trialEnd ?? previous?.trialEnd, pastDueSince: pastDueSince)
            let id = try existing?.id ?? "sub_" + SecureRandom.token(20)
            if existing == nil {
                try connection.execute("""
                    INSERT INTO subscriptions (id, customer_id, plan_key, status, quantity, current_period_start, current_period_end,
                        cancel_at_period_end, trial_end, past_due_since, created_at, updated_at)
                    VALUES (\(id), \(customer.id), \(state.planKey), \(state.status.rawValue), \(state.quantity), \(state.currentPeriodStart),
                        \(state.currentPeriodEnd), \(state.cancelAtPeriodEnd), \(state.trialEnd), \(state.pastDueSince), \(now), \(now))
                    """)
            } else {
                try connection.execute("""
                    UPDATE subscriptions SET plan_key = \(state.planKey), status = \(state.status.rawValue), quantity = \(state.quantity),
                        current_period_start = \(state.currentPeriodStart), current_period_end = \(state.currentPeriodEnd),
                        cancel_at_period_end = \(state.cancelAtPeriodEnd), trial_end = \(state.trialEnd),
                        past_due_since = \(state.pastDueSince), updated_at = \(now)
                    WHERE id = \(id)
                    """)
            }
            try connection.execute("""
                INSERT INTO subscription_history (id, subscription_id, customer_id, plan_key, status, quantity, current_period_start,
                    current_period_end, cancel_at_period_end, trial_end, source, changed_at)
                VALUES (\("sh_" + SecureRandom.token(20)), \(id), \(customer.id), \(state.planKey), \(state.status.rawValue), \(state.quantity),
                    \(state.currentPeriodStart), \(state.currentPeriodEnd), \(state.cancelAtPeriodEnd), \(state.trialEnd), \(source), \(now))
                """)
            guard let saved = try Self.current(externalID: externalID, on: connection) else {
                throw DomainError.notFound("subscription of \(externalID)")
            }
            return saved
        }
    }

    /// Every state the customer's subscription went through, oldest first.
    public func history(customer externalID: String) throws -> [SubscriptionHistoryEntry] {
        try database.withConnection { connection in
            guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
                throw DomainError.unknownCustomer(externalID)
            }
            return try connection.query("""
                SELECT plan_key, status, quantity, current_period_start, current_period_end, cancel_at_period_end, trial_end, source, changed_at
                FROM subscription_history WHERE customer_id = \(customer.id) ORDER BY changed_at, id
                """).map { row in
                SubscriptionHistoryEntry(
                    plan: try row.get("plan_key"), status: try StoredValue.decode(SubscriptionStatus.self, try row.get("status")),
                    quantity: try row.get("quantity"), currentPeriodStart: try row.get("current_period_start"),
                    currentPeriodEnd: try row.get("current_period_end"), cancelAtPeriodEnd: try row.get("cancel_at_period_end"),
                    trialEnd: try row.get("trial_end"), source: try row.get("source"), changedAt: try row.get("changed_at"))
            }
        }
    }

    static func current(externalID: String, on connection: any SQLConnection) throws -> Subscription? {
        try connection.queryFirst("""
            SELECT \(raw: columns) FROM subscriptions s JOIN customers c ON c.id = s.customer_id WHERE c.external_id = \(externalID)
            """).map(subscription(from:))
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
