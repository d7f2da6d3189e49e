package import Foundation
import TollgateBase
package import TollgateEntitlements
package import TollgateLogging
package import TollgateStore

/// Quantity from seats (docs/seats.md): for plans with `seat_billing`, keeps each Stripe
/// subscription's quantity equal to the members holding seats of the plan's feature.
///
/// Every pass claims the subscriptions whose quantity differs (``SeatQuantities/due(catalog:interval:lease:now:)``:
/// a lease per subscription, so several instances never send the same update, and at most one
/// update per subscription per `interval`, coalescing the changes in between) and sends each through
/// ``StripeBilling/change(customer:_:idempotencyKey:)`` (`items[0][quantity]` and the plan's
/// `proration_behavior`). The local quantity follows when Stripe's `customer.subscription.updated`
/// webhook is mirrored, like any change made in Stripe. A refusal is recorded on the row and logged,
/// and retried after `interval`.
///
/// Stripe calls block: they run on the worker's own thread.
package final class SeatQuantitySync: BackgroundService {
    /// One update sent (or refused).
    package struct Attempt: Sendable, Equatable {
        package var customer: String
        package var quantity: Int
        package var error: String?
    }

    private let quantities: SeatQuantities
    private let catalog: CatalogRepository
    private let billing: StripeBilling
    private let interval: TimeInterval
    private let logger: Logger
    private let threads: BackgroundThreads

    /// `interval`: at most one update per subscription per this many seconds; passes run every
    /// `pollInterval`.
    package init(
        database: any Database, catalog: CatalogRepository, billing: StripeBilling, interval: TimeInterval, pollInterval: Duration = .seconds(5),
        logger: Logger
    ) {
        quantities = SeatQuantities(database: database)
        self.catalog = catalog
        self.billing = billing
        self.interval = interval
        self.logger = logger
        threads = BackgroundThreads(name: "seat-quantity-sync", count: 1, pollInterval: pollInterval)
    }

    /// One pass: sends what is due; returns the attempts.
    @discardableResult
    package func runOnce(now: Date = Date()) throws -> [Attempt] {
        try quantities.due(catalog: catalog.load(), interval: interval, lease: 60, now: now).map { due in
            var attempt = Attempt(customer: due.customer, quantity: due.quantity)
            do {
                _ = try billing.change(
                    customer: due.customer,
                    PlanChangeRequest(quantity: due.quantity, prorationBehavior: due.prorationBehavior.flatMap(ProrationBehavior.init(rawValue:))),
                    idempotencyKey: "seats:\(due.subscriptionID):\(due.quantity):\(Int64(now.timeIntervalSince1970))")
                logger.info("seat quantity sent to Stripe", ["customer": due.customer, "subscription": due.stripeSubscriptionID, "quantity": String(due.quantity)])
            } catch {
                attempt.error = String(describing: error)
                logger.warning("seat quantity not sent", ["customer": due.customer, "subscription": due.stripeSubscriptionID, "error": String(describing: error)])
            }
            try quantities.record(due, accepted: attempt.error == nil, error: attempt.error, now: now)
            return attempt
        }
    }

    package func start() {
        threads.start { [self] _ in
            do {
                return try !runOnce().isEmpty
            } catch {
                logger.warning("seat quantity sync: store unavailable", ["error": String(describing: error)])
                return false
            }
        }
    }

    package func stop(timeout: Duration) {
        threads.stop(timeout: timeout)
    }
}
