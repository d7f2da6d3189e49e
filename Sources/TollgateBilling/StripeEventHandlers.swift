import Foundation
import Tollgate
import TollgateEntitlements
import TollgateStore
package import TollgateStripe
import TollgateWire
import TollgateBase

/// The event types Tollgate applies, and how. Types not listed are stored and marked ignored.
///
/// Object shapes: <https://docs.stripe.com/api/events/types>. Both shapes of a subscription's
/// period are read (see ``StripeSubscriptionMirror``), and both places of an invoice's
/// subscription: `invoice.subscription` (older API versions) and
/// `invoice.parent.subscription_details.subscription` (2025 and later).
package enum StripeEventHandlers {
    package static let subscriptionTypes = [
        "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
        "customer.subscription.paused", "customer.subscription.resumed", "customer.subscription.trial_will_end",
    ]

    package static var all: [String: StripeEventHandler] {
        var handlers: [String: StripeEventHandler] = [:]
        for type in subscriptionTypes { handlers[type] = .objectState(StripeSubscriptionMirror.apply) }
        handlers["checkout.session.completed"] = StripeEventHandler(apply: checkoutSessionCompleted)
        handlers["checkout.session.async_payment_succeeded"] = StripeEventHandler(apply: creditCheckoutPaid)
        handlers["payment_intent.succeeded"] = StripeEventHandler(apply: topUpSucceeded)
        handlers["payment_intent.payment_failed"] = StripeEventHandler(apply: topUpFailed)
        handlers["charge.refunded"] = StripeEventHandler(apply: chargeRefunded)
        handlers["charge.dispute.created"] = StripeEventHandler(apply: disputeCreated)
        handlers["invoice.payment_failed"] = StripeEventHandler(orderingKey: graceClockKey, apply: paymentFailed)
        handlers["invoice.paid"] = StripeEventHandler(orderingKey: graceClockKey, apply: invoicePaid)
        handlers["invoice.payment_succeeded"] = StripeEventHandler(orderingKey: graceClockKey, apply: invoicePaid)
        handlers["invoice.payment_action_required"] = StripeEventHandler { event, _ in
            StripeEventEffect(note: "recorded: invoice \(event.objectID ?? "?") needs customer action; no state change")
        }
        handlers["customer.created"] = .objectState(customerUpdated)
        handlers["customer.updated"] = .objectState(customerUpdated)
        handlers["customer.deleted"] = .objectState(customerDeleted)
        handlers["entitlements.active_entitlement_summary.updated"] = StripeEventHandler(
            orderingKey: { event in event.object["customer"]?.id.map { "entitlement_summary:\($0)" } },
            apply: entitlementSummaryUpdated)
        return handlers
    }

    /// Links the Stripe customer to the Tollgate customer named by `client_reference_id`
    /// (Tollgate's checkout sets it to the customer's external id).
    static func checkoutCompleted(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        guard let reference = event.object["client_reference_id"]?.string else {
            return StripeEventEffect(note: "no client_reference_id; nothing to link")
        }
        guard let stripeCustomer = StripeSubscriptionMirror.stripeCustomerID(of: event.object) else {
            return StripeEventEffect(note: "the session has no customer; nothing to link")
        }
        guard let customer = try CustomerRepository.find(externalID: reference, on: context.connection) else {
            throw DomainError.unknownCustomer(reference)
        }
        if try CustomerRepository.isDeleted(stripeCustomerID: stripeCustomer, on: context.connection) {
            return StripeEventEffect(note: "\(stripeCustomer) was deleted in Stripe; not linked")
        }
        try CustomerRepository.link(customer, stripeCustomerID: stripeCustomer, on: context.connection, now: context.now)
        return StripeEventEffect(customers: [customer.externalID], note: "linked \(stripeCustomer)")
    }

    /// The invoice's subscription id, in either API shape: `subscription` before
    /// 2025-03-31.basil, `parent.subscription_details.subscription` from basil on (through endive).
    static func invoiceSubscription(_ invoice: StripeObject) -> String? {
        invoice["subscription"]?.id ?? invoice["parent"]?["subscription_details"]?["subscription"]?.id
    }

    /// Whether the invoice is paid in full, which is what stops the grace clock. Before
    /// 2025-03-31.basil the invoice says so in `paid`; from basil on it has no `paid` (payments are
    /// listed in `payments`, and one invoice may be paid in parts: `invoice.payment_succeeded` can
    /// follow a partial payment), and `status` becomes `paid` once nothing remains
    /// (`amount_remaining` 0). A payload with none of these is taken at its event type's word.
    static func invoiceIsPaid(_ invoice: StripeObject) -> Bool {
        if let paid = invoice["paid"]?.bool { return paid }
        if let status = invoice["status"]?.string { return status == "paid" }
        if let remaining = invoice["amount_remaining"]?.int { return remaining == 0 }
        return true
    }

    /// Why the invoice's payment failed, where the payload says: the PaymentIntent's
    /// `last_payment_error.message` when it is expanded — at `payment_intent` before
    /// 2025-03-31.basil, at `payments.data[].payment.payment_intent` from basil on (the first
    /// listed that has one) — else `last_finalization_error.message`.
    static func invoiceFailureReason(_ invoice: StripeObject) -> String? {
        let payments = (invoice["payments"]?["data"]?.array ?? []).map { $0["payment"]?["payment_intent"] }
        for intent in [invoice["payment_intent"]] + payments {
            if let message = intent?["last_payment_error"]?["message"]?.string { return message }
        }
        return invoice["last_finalization_error"]?["message"]?.string
    }

    /// The ordering key of invoice events that start or stop a subscription's grace clock: one per
    /// subscription (`grace_clock:<subscription id>`), not per invoice, so that an older invoice
    /// event never undoes a newer one's effect — a late `invoice.paid` does not stop the clock a
    /// newer `invoice.payment_failed` started, and a late failure (and its mail) does not follow a
    /// newer payment. The guard is the applier's (`stripe_object_versions`): an older event is
    /// applied as `stale` and changes nothing; events with the same `created` second all apply, in
    /// the order they are applied (as for objects).
    static func graceClockKey(_ event: WebhookEvent) -> String? {
        invoiceSubscription(event.object).map { "grace_clock:\($0)" }
    }

    /// Starts the grace clock (kept if already running) at the time of the failure, and queues the
    /// `payment_failed` mail.
    static func paymentFailed(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        guard let subscription = invoiceSubscription(event.object) else { return StripeEventEffect(note: "the invoice has no subscription") }
        guard let customer = try SubscriptionRepository.startGraceClock(
            stripeSubscriptionID: subscription, at: event.createdDate, on: context.connection, now: context.now)
        else { return StripeEventEffect(note: "no local subscription \(subscription)") }
        if let id = event.objectID, let local = try CustomerRepository.find(externalID: customer, on: context.connection),
           let current = try SubscriptionRepository.current(externalID: customer, on: context.connection) {
            let invoice = event.object
            let failure = BillingMail.PaymentFailure(
                id: id, number: invoice["number"]?.string, amountDue: Int64(invoice["amount_due"]?.int ?? 0),
                currency: invoice["currency"]?.string ?? "usd", attempt: Int(invoice["attempt_count"]?.int ?? 1),
                nextAttempt: invoice["next_payment_attempt"]?.date,
                failureReason: invoiceFailureReason(invoice))
            try BillingMail.paymentFailed(customer: local, plan: current.state.planKey, invoice: failure, on: context.connection, now: context.now)
        }
        return StripeEventEffect(customers: [customer])
    }

    /// Stops the grace clock, once the invoice is paid in full (``invoiceIsPaid(_:)``).
    static func invoicePaid(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        guard let subscription = invoiceSubscription(event.object) else { return StripeEventEffect(note: "the invoice has no subscription") }
        guard invoiceIsPaid(event.object) else { return StripeEventEffect(note: "the invoice is not paid in full yet; the grace clock runs on") }
        guard let customer = try SubscriptionRepository.clearGraceClock(stripeSubscriptionID: subscription, on: context.connection, now: context.now)
        else { return StripeEventEffect(note: "no local subscription \(subscription)") }
        return StripeEventEffect(customers: [customer])
    }

    /// `customer.created|updated`: the linked customer takes Stripe's email and name. An unlinked
    /// Stripe customer whose metadata `tollgate_customer` names an unlinked Tollgate customer
    /// (external id) is linked first, unless Stripe deleted it. An object that says it was deleted
    /// (re-fetched after the deletion) is applied as the deletion.
    static func customerUpdated(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        guard let id = event.objectID else { return StripeEventEffect(note: "the event has no customer id") }
        if event.object["deleted"]?.bool == true { return try customerDeleted(event, context) }
        var customer = try CustomerRepository.find(stripeCustomerID: id, on: context.connection)
        if customer == nil, let reference = event.object["metadata"]?["tollgate_customer"]?.string,
           let named = try CustomerRepository.find(externalID: reference, on: context.connection), named.stripeCustomerID == nil,
           try !CustomerRepository.isDeleted(stripeCustomerID: id, on: context.connection) {
            try CustomerRepository.link(named, stripeCustomerID: id, on: context.connection, now: context.now)
            customer = named
        }
        guard let customer else {
            return StripeEventEffect(note: "the Stripe customer is not linked to a Tollgate customer")
        }
        try CustomerRepository.updateContact(
            customer, email: event.object["email"]?.string, name: event.object["name"]?.string, on: context.connection, now: context.now)
        return StripeEventEffect(customers: [customer.externalID])
    }

    /// `customer.deleted`: recorded (the Stripe customer is never linked again), and whichever
    /// customer was linked to it is unlinked.
    static func customerDeleted(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        guard let id = event.objectID else { return StripeEventEffect(note: "the event has no customer id") }
        guard let external = try CustomerRepository.markDeleted(stripeCustomerID: id, on: context.connection, now: context.now)
        else { return StripeEventEffect(note: "recorded as deleted; the Stripe customer was not linked") }
        return StripeEventEffect(customers: [external], note: "unlinked \(id)")
    }

    /// Keeps the latest summary per Stripe customer in `stripe_entitlement_summaries`.
    static func entitlementSummaryUpdated(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        guard let customer = event.object["customer"]?.id else { return StripeEventEffect(note: "the summary names no customer") }
        let summary = String(decoding: try WireJSON.encoder(keys: .verbatim).encode(event.object), as: UTF8.self)
        try StripeEntitlementSummaries.save(stripeCustomerID: customer, summary: summary, eventID: event.id, on: context.connection, now: context.now)
        return StripeEventEffect()
    }

    /// Event types whose object can be re-fetched (`TOLLGATE_STRIPE_REFETCH_TYPES`, and the
    /// applier's answer to two events of one object in the same second), with the API path of the
    /// object.
    package static let refetchable: [String: String] = Dictionary(
        uniqueKeysWithValues: subscriptionTypes.map { ($0, "/v1/subscriptions") }
            + ["customer.created", "customer.updated", "customer.deleted"].map { ($0, "/v1/customers") })

    /// Replaces the event's object with Stripe's current one (`GET /v1/…/{id}`), so a handler
    /// applies what Stripe holds now. A subscription Stripe no longer has (404) keeps the event's
    /// own object; a customer Stripe deleted (404, or Stripe's `deleted: true` answer) becomes
    /// `{"id": …, "deleted": true}`, which the customer handlers apply as the deletion.
    package static func refetch(with stripe: StripeClient) -> @Sendable (WebhookEvent) throws -> WebhookEvent {
        { event in
            guard let path = refetchable[event.type], let id = event.objectID else { return event }
            var refreshed = event
            refreshed.object = try current(path: path, id: id, with: stripe) ?? event.object
            return refreshed
        }
    }

    /// The object at `path/id` as Stripe holds it now; nil for a subscription Stripe does not have.
    private static func current(path: String, id: String, with stripe: StripeClient) throws -> StripeObject? {
        if let object = try stripe.find("\(path)/\(StripeClient.pathSegment(id))") { return object }
        guard path == "/v1/customers" else { return nil }
        return .object(["id": .string(id), "object": .string("customer"), "deleted": .bool(true)])
    }

    /// The subscription event with its `customer` expanded from Stripe (`GET /v1/customers/{id}`),
    /// so that the customer's metadata `tollgate_customer` can resolve it. A customer Stripe deleted
    /// (404, `deleted: true`) leaves the event as it is.
    static func expandCustomer(of event: WebhookEvent, with stripe: StripeClient) throws -> WebhookEvent {
        guard let id = event.object["customer"]?.string else { return event }
        guard let customer = try stripe.find("/v1/customers/" + StripeClient.pathSegment(id)),
              customer["deleted"]?.bool != true, var members = event.object.members else { return event }
        members["customer"] = customer
        var expanded = event
        expanded.object = .object(members)
        return expanded
    }
}
