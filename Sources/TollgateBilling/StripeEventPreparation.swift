import Foundation
import TollgateEntitlements
import TollgateStore
import TollgateStripe
import TollgateBase

/// What the applier does to an event before its transaction, outside it (a network call must not
/// hold the store's write lock): the questions only Stripe can answer.
///
/// * Types whose handler refreshes (`TOLLGATE_STRIPE_REFETCH_TYPES`) get Stripe's current object.
/// * A subscription whose customer Tollgate cannot place (no link, no record of the subscription,
///   no metadata `tollgate_customer` in the payload) gets its `customer` expanded from Stripe, so
///   the customer's metadata resolves it instead of a wait for a link that may never come.
/// * An event whose metadata names a Tollgate customer that is linked to *another* Stripe customer
///   (a customer who signed up again after deleting the old one, whose `customer.deleted` was lost
///   or is late) has Stripe asked about that other one: if Stripe deleted it, the deletion is
///   recorded (``CustomerRepository/markDeleted(stripeCustomerID:on:now:)``), so the event links the
///   new Stripe customer at once.
///
/// Without Stripe configured, events are applied as delivered.
struct StripeEventPreparation: Sendable {
    let database: any Database
    let stripe: StripeClient?
    let handlers: [String: StripeEventHandler]

    /// The event to apply, and whether its object is Stripe's current one.
    func prepare(_ delivered: WebhookEvent) throws -> (event: WebhookEvent, current: Bool) {
        // An event the applier will hold (a version Tollgate does not read) costs Stripe nothing.
        guard StripeAPIVersion.isReadable(delivered.apiVersion) else { return (delivered, false) }
        var event = delivered
        var current = false
        if let refresh = handlers[event.type]?.refresh {
            event = try refresh(event)
            current = true
        }
        guard let stripe else { return (event, current) }
        if try needsCustomerFromStripe(event) {
            event = try StripeEventHandlers.expandCustomer(of: event, with: stripe)
        }
        try releaseDeletedLink(event, stripe: stripe)
        return (event, current)
    }

    /// The event with Stripe's current object (nil: Stripe is not configured).
    func current(_ event: WebhookEvent) throws -> WebhookEvent? {
        guard let stripe else { return nil }
        return try StripeEventHandlers.refetch(with: stripe)(event)
    }

    /// Whether a subscription event's customer can be resolved only by asking Stripe.
    private func needsCustomerFromStripe(_ event: WebhookEvent) throws -> Bool {
        guard StripeEventHandlers.subscriptionTypes.contains(event.type), let customer = event.object["customer"]?.string,
              StripeSubscriptionMirror.metadataCustomer(event.object) == nil, let subscription = event.objectID
        else { return false }
        return try database.withConnection { connection in
            try CustomerRepository.find(stripeCustomerID: customer, on: connection) == nil
                && SubscriptionRepository.mirroredCustomer(stripeSubscriptionID: subscription, on: connection) == nil
        }
    }

    /// The Stripe customer an event is about and the external id its metadata names.
    private static func subject(of event: WebhookEvent) -> (stripeCustomer: String, reference: String)? {
        if event.type == "customer.created" || event.type == "customer.updated" {
            guard let id = event.objectID, let reference = event.object["metadata"]?["tollgate_customer"]?.string else { return nil }
            return (id, reference)
        }
        guard StripeEventHandlers.subscriptionTypes.contains(event.type), let id = StripeSubscriptionMirror.stripeCustomerID(of: event.object),
              let reference = StripeSubscriptionMirror.metadataCustomer(event.object)
        else { return nil }
        return (id, reference)
    }

    /// Records the deletion of the Stripe customer the event's Tollgate customer is linked to, when
    /// that is another Stripe customer than the event's and Stripe deleted it.
    private func releaseDeletedLink(_ event: WebhookEvent, stripe: StripeClient) throws {
        guard let (stripeCustomer, reference) = Self.subject(of: event) else { return }
        let other = try database.withConnection { connection -> String? in
            guard let linked = try CustomerRepository.find(externalID: reference, on: connection)?.stripeCustomerID, linked != stripeCustomer,
                  try !CustomerRepository.isDeleted(stripeCustomerID: linked, on: connection)
            else { return nil }
            return linked
        }
        guard let other else { return }
        if let found = try stripe.find("/v1/customers/" + StripeClient.pathSegment(other)), found["deleted"]?.bool != true { return }
        try database.transaction { connection in
            _ = try CustomerRepository.markDeleted(stripeCustomerID: other, on: connection, now: Date())
        }
    }
}
