import Foundation
import Tollgate
import TollgateCrypto
package import TollgateEntitlements
package import TollgateStripe
import TollgateBase

/// Checkout, the billing portal and changes to a customer's Stripe subscription.
///
/// **Nothing is written locally.** Each call asks Stripe and returns Stripe's answer; the local
/// subscription changes only when Stripe's webhook for the change arrives and the applier mirrors
/// it (``StripeSubscriptionMirror``, behind the ordering guard). So the local state is never ahead
/// of Stripe's, a change Stripe refuses leaves no trace, and there is one write path for
/// subscriptions driven by Stripe. Checkout links the Stripe customer the same way
/// (`checkout.session.completed` carries `client_reference_id` = the customer's external id).
///
/// **Which subscription.** For a customer linked to a Stripe customer, changes act on the
/// subscription Stripe holds now: the customer's subscriptions are listed from Stripe and the one
/// ``StripeSubscriptionPrecedence`` ranks first (the rule the webhook mirror follows) is changed —
/// never a local id that a late webhook left stale. Only a customer not linked to Stripe falls back
/// to the local subscription's Stripe id.
///
/// **Idempotency.** Each write's `Idempotency-Key` comes from the caller's own idempotency key
/// when it has one (`idempotencyKey:`; the API passes its `Idempotency-Key` header, the CLI its
/// `--idempotency-key`), scoped to the operation and the customer: a repeat of one request is one
/// Stripe operation. Without one every call is a new operation with a fresh random key (the
/// client's own retries of that call reuse it). Nothing local goes into the key: a change, its
/// reverse and the same change again, before any webhook lands, are three operations.
///
/// Calls block (the network): run on a worker thread, never the Swift concurrency pool.
package struct StripeBilling: Sendable {
    let stripe: StripeClient?
    let customers: CustomerRepository
    let subscriptions: SubscriptionRepository
    let catalog: CatalogRepository

    package init(stripe: StripeClient?, customers: CustomerRepository, subscriptions: SubscriptionRepository, catalog: CatalogRepository) {
        self.stripe = stripe
        self.customers = customers
        self.subscriptions = subscriptions
        self.catalog = catalog
    }

    /// A Checkout Session in mode `subscription` for the plan's Price (found by lookup key).
    ///
    /// `client_reference_id` and `metadata[tollgate_customer]` (also on the subscription) are the
    /// customer's external id; `customer` is the linked Stripe customer, else `customer_email`;
    /// `subscription_data[trial_period_days]` is the plan's trial. A customer with a live Stripe
    /// subscription is refused (``BillingError/Code/alreadySubscribed``): change it instead. For a
    /// linked customer Stripe says whether one is live (any subscription not ended); for one not
    /// linked yet, the local subscription does.
    package func checkout(customer externalID: String, _ request: CheckoutRequest, idempotencyKey: String? = nil) throws -> CheckoutSession {
        let stripe = try client()
        try request.validate()
        let customer = try customers.get(externalID: externalID)
        if let linked = customer.stripeCustomerID {
            if let live = try rankedSubscription(of: linked, stripe: stripe), let id = live.id, !Self.hasEnded(live) {
                throw BillingError(.alreadySubscribed, "customer \(externalID) already has Stripe subscription \(id); change it instead")
            }
        } else if let local = try subscriptions.current(customer: externalID), let id = local.stripeSubscriptionID, !local.state.status.hasEnded {
            throw BillingError(.alreadySubscribed, "customer \(externalID) already has Stripe subscription \(id); change it instead")
        }
        let plan = try offeredPlan(request.plan)
        let price = try catalogPrice(plan, interval: request.interval, currency: request.currency)
        let priceID = try stripePriceID(plan: plan, price: price, stripe: stripe)
        let quantity = request.quantity ?? 1
        var form: StripeForm = [
            "mode": "subscription", "client_reference_id": .string(externalID),
            "line_items": [["price": .string(priceID), "quantity": .integer(quantity)]],
            "success_url": .string(request.successURL), "cancel_url": .string(request.cancelURL),
            "metadata": ["tollgate_customer": .string(externalID), "tollgate_plan": .string(plan.key)],
        ]
        if let linked = customer.stripeCustomerID {
            form[Self.customerParameter(linked)] = .string(linked)
        } else if let email = customer.email {
            form["customer_email"] = .string(email)
        }
        var subscriptionData: StripeForm = ["metadata": ["tollgate_customer": .string(externalID), "tollgate_plan": .string(plan.key)]]
        if plan.trialDays > 0 { subscriptionData["trial_period_days"] = .integer(plan.trialDays) }
        form["subscription_data"] = .object(subscriptionData)
        let session = try stripe.post(
            "/v1/checkout/sessions", form, operation: try Self.operation("checkout.create", customer: externalID, callerKey: idempotencyKey))
        guard let id = session.id, let url = session["url"]?.string else {
            throw StripeError(kind: .invalidResponse, message: "the checkout session has no id or url")
        }
        return CheckoutSession(id: id, url: url)
    }

    /// A billing-portal session for the customer's linked Stripe customer
    /// (``BillingError/Code/noStripeCustomer`` when there is none).
    package func portal(customer externalID: String, returnURL: String, idempotencyKey: String? = nil) throws -> PortalSession {
        let stripe = try client()
        try Self.validateURL(returnURL, field: "return_url")
        let customer = try customers.get(externalID: externalID)
        guard let stripeCustomer = customer.stripeCustomerID else {
            throw BillingError(.noStripeCustomer, "customer \(externalID) is not linked to a Stripe customer; start with checkout")
        }
        let session = try stripe.post(
            "/v1/billing_portal/sessions", [Self.customerParameter(stripeCustomer): .string(stripeCustomer), "return_url": .string(returnURL)],
            operation: try Self.operation("portal.create", customer: externalID, callerKey: idempotencyKey))
        guard let url = session["url"]?.string else { throw StripeError(kind: .invalidResponse, message: "the portal session has no url") }
        return PortalSession(id: session.id, url: url)
    }

    /// Moves the subscription's item to another plan's Price and/or quantity
    /// (`POST /v1/subscriptions/{id}` with `items[0][id]`, `items[0][price]`,
    /// `items[0][quantity]`, and `proration_behavior` when given: else Stripe's default,
    /// `create_prorations`, applies). The currency is
    /// the current Price's; the interval the request's, else the current one when the new plan has
    /// it, else the plan's monthly price, else its yearly one.
    package func change(customer externalID: String, _ request: PlanChangeRequest, idempotencyKey: String? = nil) throws -> SubscriptionUpdate {
        let stripe = try client()
        try request.validate()
        let (stripeID, listed) = try currentSubscription(externalID, stripe: stripe)
        let path = "/v1/subscriptions/" + StripeClient.pathSegment(stripeID)
        let remote = try listed ?? stripe.get(path)
        let item = remote["items"]?["data"]?[0]
        guard let itemID = item?.id else { throw StripeError(kind: .invalidResponse, message: "subscription \(stripeID) has no items") }
        var itemForm: StripeForm = ["id": .string(itemID)]
        var form: StripeForm = [:]
        if let planKey = request.plan {
            let plan = try offeredPlan(planKey)
            let currentPrice = item?["price"] ?? item?["plan"]
            let currency = currentPrice?["currency"]?.string
            let currentInterval = (currentPrice?["recurring"]?["interval"]?.string ?? currentPrice?["interval"]?.string).flatMap(BillingInterval.init(rawValue:))
            // The current interval when the new plan has it, else the plan's default.
            let interval = request.interval
                ?? currentInterval.flatMap { current in plan.prices.contains { $0.interval == current && $0.currency == currency } ? current : nil }
            let price = try catalogPrice(plan, interval: interval, currency: currency)
            itemForm["price"] = .string(try stripePriceID(plan: plan, price: price, stripe: stripe))
            form["metadata"] = ["tollgate_plan": .string(plan.key)]
        }
        if let quantity = request.quantity { itemForm["quantity"] = .integer(quantity) }
        form["items"] = [.object(itemForm)]
        if let proration = request.prorationBehavior { form["proration_behavior"] = .string(proration.rawValue) }
        let updated = try stripe.post(path, form, operation: try Self.operation("subscription.change", customer: externalID, callerKey: idempotencyKey))
        return SubscriptionUpdate(updated)
    }

    /// Cancels now (`DELETE /v1/subscriptions/{id}`) or at the end of the period
    /// (`cancel_at_period_end=true`).
    package func cancel(customer externalID: String, atPeriodEnd: Bool, idempotencyKey: String? = nil) throws -> SubscriptionUpdate {
        let stripe = try client()
        let (stripeID, _) = try currentSubscription(externalID, stripe: stripe)
        let path = "/v1/subscriptions/" + StripeClient.pathSegment(stripeID)
        guard atPeriodEnd else {
            return SubscriptionUpdate(try stripe.delete(
                path, operation: try Self.operation("subscription.cancel", customer: externalID, callerKey: idempotencyKey)))
        }
        return SubscriptionUpdate(try stripe.post(
            path, ["cancel_at_period_end": true],
            operation: try Self.operation("subscription.cancel_at_period_end", customer: externalID, callerKey: idempotencyKey)))
    }

    /// Undoes a cancellation at period end (`cancel_at_period_end=false`).
    package func resume(customer externalID: String, idempotencyKey: String? = nil) throws -> SubscriptionUpdate {
        let stripe = try client()
        let (stripeID, _) = try currentSubscription(externalID, stripe: stripe)
        return SubscriptionUpdate(try stripe.post(
            "/v1/subscriptions/" + StripeClient.pathSegment(stripeID), ["cancel_at_period_end": false],
            operation: try Self.operation("subscription.resume", customer: externalID, callerKey: idempotencyKey)))
    }

    // MARK: Helpers

    private func client() throws(BillingError) -> StripeClient {
        guard let stripe else { throw BillingError.notConfigured }
        return stripe
    }

    /// The Stripe subscription a change acts on: its id, and the object when it was read from
    /// Stripe's list.
    ///
    /// A customer linked to a Stripe customer: the one of its subscriptions in Stripe that
    /// ``StripeSubscriptionPrecedence`` ranks first, unless even that one has ended
    /// (``BillingError/Code/noStripeSubscription``: nothing open to change). A customer not linked
    /// (Tollgate's own subscription, or a link a webhook has not made yet): the local
    /// subscription's Stripe id.
    private func currentSubscription(_ externalID: String, stripe: StripeClient) throws -> (String, StripeObject?) {
        let customer = try customers.get(externalID: externalID)
        if let linked = customer.stripeCustomerID {
            guard let current = try rankedSubscription(of: linked, stripe: stripe), let id = current.id, !Self.hasEnded(current) else {
                throw BillingError(.noStripeSubscription, "customer \(externalID) has no open subscription in Stripe; start one with checkout")
            }
            return (id, current)
        }
        guard let local = try subscriptions.current(customer: externalID), let id = local.stripeSubscriptionID else {
            throw BillingError(.noStripeSubscription, "customer \(externalID) has no Stripe subscription; start one with checkout")
        }
        return (id, nil)
    }

    /// Of the Stripe customer's subscriptions in Stripe (`GET /v1/subscriptions?customer=…&status=all`,
    /// every page), the one ``StripeSubscriptionPrecedence`` ranks first; nil when it has none.
    /// A subscription whose status Tollgate does not know is not a candidate.
    private func rankedSubscription(of stripeCustomer: String, stripe: StripeClient) throws -> StripeObject? {
        let listed = try stripe.list("/v1/subscriptions", [Self.customerParameter(stripeCustomer): .string(stripeCustomer), "status": "all"])
        var byID: [String: StripeObject] = [:]
        var candidates: [StripeSubscriptionPrecedence.Candidate] = []
        for subscription in listed {
            guard let id = subscription.id, let status = subscription["status"]?.string.flatMap(SubscriptionStatus.init(rawValue:)) else { continue }
            let started = subscription["created"]?.date ?? subscription["start_date"]?.date ?? .distantPast
            candidates.append(.init(stripeSubscriptionID: id, status: status, startedAt: started))
            byID[id] = subscription
        }
        return StripeSubscriptionPrecedence.current(of: candidates).flatMap { byID[$0.stripeSubscriptionID] }
    }

    /// Whether a Stripe subscription object has ended (`canceled`, `incomplete_expired`).
    private static func hasEnded(_ subscription: StripeObject) -> Bool {
        subscription["status"]?.string.flatMap(SubscriptionStatus.init(rawValue:))?.hasEnded ?? true
    }

    /// The parameter that names a Stripe customer: `customer` for a Customer (`cus_…`),
    /// `customer_account` for an Account used as a customer (`acct_…`, Accounts v2:
    /// <https://docs.stripe.com/accounts-v2/use-accounts-as-customers>).
    static func customerParameter(_ stripeCustomer: String) -> String {
        stripeCustomer.hasPrefix("acct_") ? "customer_account" : "customer"
    }

    /// The identity of one write, which ``StripeClient`` hashes into its `Idempotency-Key`: the
    /// operation, the customer and the caller's key when there is one (each part length-prefixed,
    /// so no choice of ids and keys makes two identities equal), else a fresh random token — a new
    /// operation per call, whose retries inside the client still share one key.
    static func operation(_ name: String, customer: String, callerKey: String?) throws -> String {
        let parts = try [name, customer] + (callerKey.map { ["caller", $0] } ?? ["call", SecureRandom.token(32)])
        return parts.map { "\($0.utf8.count):\($0)" }.joined(separator: "|")
    }

    private func offeredPlan(_ key: String) throws -> Plan {
        guard let plan = try catalog.load().plan(key) else { throw DomainError.invalid("plan", "no plan \(key) in the catalog") }
        guard plan.status == .active else { throw DomainError.invalid("plan", "plan \(key) is \(plan.status.rawValue), not offered") }
        return plan
    }

    /// The plan's price for `interval` (default: monthly, else yearly) in `currency` (needed only
    /// when the plan has several).
    private func catalogPrice(_ plan: Plan, interval: BillingInterval?, currency: String?) throws -> Price {
        let matching = plan.prices.filter { (interval == nil || $0.interval == interval) && (currency == nil || $0.currency == currency) }
        let currencies = Set(matching.map(\.currency))
        guard currencies.count <= 1 else {
            throw DomainError.invalid("currency", "plan \(plan.key) has prices in \(currencies.sorted().joined(separator: ", ")); choose one")
        }
        guard let price = matching.first(where: { $0.interval == .month }) ?? matching.first else {
            let wanted = [interval.map { "\($0.rawValue)ly" }, currency].compactMap { $0 }.joined(separator: " ")
            throw DomainError.invalid(interval == nil ? "plan" : "interval", "plan \(plan.key) has no \(wanted.isEmpty ? "" : wanted + " ")price")
        }
        return price
    }

    /// The active Stripe Price holding the price's lookup key, checked against the catalog's amount.
    private func stripePriceID(plan: Plan, price: Price, stripe: StripeClient) throws -> String {
        let key = StripeCatalogPush.lookupKey(plan: plan, price: price)
        let found = try stripe.get("/v1/prices", ["lookup_keys": [.string(key)], "active": true])["data"]?[0]
        guard let found, let id = found.id, found["unit_amount"]?.int == Int(price.unitAmount) else {
            throw BillingError(.priceNotInStripe, "Stripe has no active price \(key) of \(price.unitAmount) \(price.currency); run `tollgate plans push`")
        }
        return id
    }

    static func validateURL(_ text: String, field: String) throws(DomainError) {
        guard text.count <= 2048, let url = URLComponents(string: text), url.scheme == "https" || url.scheme == "http", url.host?.isEmpty == false else {
            throw .invalid(field, "must be an absolute http(s) URL")
        }
    }
}
