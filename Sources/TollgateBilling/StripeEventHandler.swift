package import Foundation
import TollgateEntitlements
package import TollgateStore
package import TollgateStripe

/// What applying one event changed.
package struct StripeEventEffect: Sendable, Equatable {
    /// External ids of customers whose entitlements may have changed (their cached snapshots are
    /// dropped after commit).
    package var customers: [String]
    /// Stored with the event: what was done when it was not the obvious (nothing to change, …).
    package var note: String?

    package init(customers: [String] = [], note: String? = nil) {
        self.customers = customers
        self.note = note
    }
}

/// Where a handler runs: inside the event's transaction (its own, or its lane's batch).
package struct StripeEventContext {
    /// The open transaction; the effect and the event's status commit together.
    package let connection: any SQLConnection
    /// The applier's clock.
    package let now: Date
    /// What the events of one batch transaction look up once (nil: each event on its own).
    var batch: StripeEventBatchMemo? = nil
}

/// Facts the events of one batch transaction share, each looked up once per batch: the plan keys
/// found in the catalog (a plan found stays found for the batch; one not found is asked again),
/// and the customers of the batch's subscription events, locked at its start.
final class StripeEventBatchMemo {
    var plans: Set<String> = []
    /// The customers linked to the Stripe customers of the batch's subscription events, by Stripe
    /// customer id, read and locked by one statement at the batch's start
    /// (``CustomerRepository/lock(stripeCustomerIDs:on:)``), so that a subscription event neither
    /// looks its customer up nor locks it. Emptied before any other kind of event is applied (it
    /// may link, unlink or change a customer) and before a customer is resolved the long way.
    var customers: [String: Customer] = [:]
    /// The events and due marks of the subscription events applied to ``customers`` (whose event
    /// sequences the batch holds), written together before the batch records its outcomes.
    var deferred: DeferredWrites?
    /// The current subscriptions of ``customers`` (by external id; none: no entry), read and held at
    /// the batch's start and kept as each event writes them.
    var subscriptions: [String: Subscription] = [:]
    /// The ordering guard of the batch's events, held at its start and written before its outcomes.
    var versions: StripeObjectVersions.Batch?

    /// Before any event that may link, unlink or change a customer (or append an event of its own):
    /// writes what is held, and from then on nothing is held and ``customers`` are read again.
    func forgetCustomers(on connection: any SQLConnection) throws {
        customers = [:]
        subscriptions = [:]
        try flush(on: connection)
        deferred = nil
    }

    /// Writes the held events and due marks.
    func flush(on connection: any SQLConnection) throws {
        try deferred?.flush(on: connection)
    }
}

/// How one event type is applied.
package struct StripeEventHandler: Sendable {
    /// For object-state events: the key of the object whose newest applied event the ordering
    /// guard compares with (nil: not guarded).
    package var orderingKey: @Sendable (WebhookEvent) -> String?
    /// Applies the event inside ``StripeEventContext/connection``; throwing rolls it back and
    /// schedules a retry.
    package var apply: @Sendable (WebhookEvent, StripeEventContext) throws -> StripeEventEffect
    /// Run before the event's transaction, outside it: returns the event to apply instead (with its
    /// object re-fetched from Stripe). Throwing schedules a retry like a failed apply.
    package var refresh: (@Sendable (WebhookEvent) throws -> WebhookEvent)?

    package init(
        orderingKey: @escaping @Sendable (WebhookEvent) -> String? = { _ in nil },
        refresh: (@Sendable (WebhookEvent) throws -> WebhookEvent)? = nil,
        apply: @escaping @Sendable (WebhookEvent, StripeEventContext) throws -> StripeEventEffect
    ) {
        self.orderingKey = orderingKey
        self.refresh = refresh
        self.apply = apply
    }

    /// Guarded by the event's object (`data.object.id`): subscriptions and customers.
    static func objectState(_ apply: @escaping @Sendable (WebhookEvent, StripeEventContext) throws -> StripeEventEffect) -> StripeEventHandler {
        StripeEventHandler(orderingKey: { $0.objectID }, apply: apply)
    }
}
