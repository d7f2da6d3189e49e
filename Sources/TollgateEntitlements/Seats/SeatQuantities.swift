package import Foundation
import Tollgate
package import TollgateStore

/// Quantity from seats (docs/seats.md): which Stripe subscriptions of plans with `seat_billing` have
/// a quantity other than their assigned seats, claimed one instance at a time under a lease and at
/// most once per interval (table `seat_quantity_syncs`), and what was sent.
package struct SeatQuantities: Sendable {
    /// A subscription whose quantity should become `quantity` (the seats assigned, at least 1).
    package struct Due: Sendable, Equatable {
        package var subscriptionID: String
        package var customer: String
        package var stripeSubscriptionID: String
        package var quantity: Int
        package var prorationBehavior: String?
    }

    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    /// The subscriptions of `catalog`'s seat-billed plans whose quantity differs from their seats and
    /// from what was last sent, each claimed for `lease` (another instance passes over it) unless
    /// one was attempted less than `interval` ago: changes within the interval are coalesced into
    /// the next update.
    package func due(catalog: Catalog, interval: TimeInterval, lease: TimeInterval, now: Date = Date()) throws -> [Due] {
        var claimed: [Due] = []
        for plan in catalog.plans {
            guard let billing = plan.seatBilling else { continue }
            let candidates = try database.withConnection { connection in
                try connection.query("""
                    SELECT s.id, c.external_id, s.stripe_subscription_id, s.quantity, COALESCE(l.assigned, 0) AS assigned, q.pushed_quantity
                    FROM subscriptions s JOIN customers c ON c.id = s.customer_id
                    LEFT JOIN seat_limits l ON l.customer_id = s.customer_id AND l.feature_key = \(billing.feature.rawValue)
                    LEFT JOIN seat_quantity_syncs q ON q.subscription_id = s.id
                    WHERE s.plan_key = \(plan.key) AND s.stripe_subscription_id IS NOT NULL AND s.status IN ('active', 'trialing', 'past_due')
                    """)
            }
            for row in candidates {
                let assigned: Int64 = try row.get("assigned")
                let target = Int(max(1, assigned))
                let current: Int = try row.get("quantity")
                let pushed: Int64? = try row.get("pushed_quantity")
                guard target != current, pushed.map({ Int($0) != target }) ?? true else { continue }
                let id: String = try row.get("id")
                guard try claim(id, interval: interval, lease: lease, now: now) else { continue }
                claimed.append(Due(
                    subscriptionID: id, customer: try row.get("external_id"), stripeSubscriptionID: try row.get("stripe_subscription_id"),
                    quantity: target, prorationBehavior: billing.prorationBehavior))
            }
        }
        return claimed
    }

    /// Takes the lease of `subscriptionID`'s sync row if it is free and the last attempt is at least
    /// `interval` old: one statement, so of racing instances one wins.
    private func claim(_ subscriptionID: String, interval: TimeInterval, lease: TimeInterval, now: Date) throws -> Bool {
        try database.transaction { connection in
            try connection.execute("""
                INSERT INTO seat_quantity_syncs (subscription_id) VALUES (\(subscriptionID)) ON CONFLICT (subscription_id) DO NOTHING
                """)
            return try connection.queryFirst("""
                UPDATE seat_quantity_syncs SET lease_until = \(now.addingTimeInterval(lease))
                WHERE subscription_id = \(subscriptionID) AND (lease_until IS NULL OR lease_until <= \(now))
                    AND (pushed_at IS NULL OR pushed_at <= \(now.addingTimeInterval(-interval)))
                RETURNING subscription_id
                """) != nil
        }
    }

    /// Records an attempt and frees the lease: `quantity` when Stripe accepted it, else `error`.
    package func record(_ due: Due, accepted: Bool, error: String?, now: Date = Date()) throws {
        try database.withConnection { connection in
            try connection.execute("""
                UPDATE seat_quantity_syncs SET pushed_quantity = CASE WHEN \(accepted) THEN \(Int64(due.quantity)) ELSE pushed_quantity END,
                    pushed_at = \(now), lease_until = NULL, last_error = \(error)
                WHERE subscription_id = \(due.subscriptionID)
                """)
        }
    }
}
