import Foundation
import Tollgate
import TollgateStripe

/// Checkout, the billing portal and changes to a customer's Stripe subscription.
///
/// **Nothing is written locally.** Each call asks Stripe and returns Stripe's answer; the local
/// subscription changes only when Stripe's webhook for the change arrives and the applier mirrors
/// it (``StripeSubscriptionMirror``, behind the ordering guard). So the local state is never ahead
/// of Stripe's, a change Stripe refuses leaves no trace, and there is one write path for
/// subscriptions driven by Stripe. Checkout links the Stripe customer the same way
/// (`checkout.session.completed` carries `client_reference_id` = the customer's external id).
///
/// Each write carries an `Idempotency-Key` derived from the operation, the Stripe object and the
/// local subscription's last update: a repeat before Stripe's webhook lands (a double click, a
/// retry) is deduplicated by Stripe, while the same request after the webhook is a new operation.
///
/// Calls block (the network): run on a worker thread, never the Swift concurrency pool.
public struct StripeBilling: Sendable {
    let stripe: StripeClient?
    let customers: CustomerRepository
    let subscriptions: SubscriptionRepository
    let catalog: CatalogRepository

    public init(stripe: StripeClient?, customers: CustomerRepository, subscriptions: SubscriptionRepository, catalog: CatalogRepository) {
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
    /// subscription is refused (``BillingError/Code/alreadySubscribed``): change it instead.
    public func checkout(customer externalID: String, _ request: CheckoutRequest) throws -> CheckoutSession {
        let stripe = try client()
        try request.validate()
        let customer = try customers.get(externalID: externalID)
        let local = try subscriptions.current(customer: externalID)
        if let local, let id = local.stripeSubscriptionID, !local.state.status.hasEnded {
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
            form["customer"] = .string(linked)
        } else if let email = customer.email {
            form["customer_email"] = .string(email)
        }
        var subscriptionData: StripeForm = ["metadata": ["tollgate_customer": .string(externalID), "tollgate_plan": .string(plan.key)]]
        if plan.trialDays > 0 { subscriptionData["trial_period_days"] = .integer(plan.trialDays) }
        form["subscription_data"] = .object(subscriptionData)
        let session = try stripe.post("/v1/checkout/sessions", form, operation: [
            "checkout.create", externalID, priceID, String(quantity), request.successURL, request.cancelURL,
            Self.generation(customer.updatedAt), Self.generation(local?.updatedAt),
        ].joined(separator: ":"))
        guard let id = session.id, let url = session["url"]?.string else {
            throw StripeError(kind: .invalidResponse, message: "the checkout session has no id or url")
        }
        return CheckoutSession(id: id, url: url)
    }

    /// A billing-portal session for the customer's linked Stripe customer
    /// (``BillingError/Code/noStripeCustomer`` when there is none).
    public func portal(customer externalID: String, returnURL: String) throws -> PortalSession {
        let stripe = try client()
        try Self.validateURL(returnURL, field: "return_url")
        let customer = try customers.get(externalID: externalID)
        guard let stripeCustomer = customer.stripeCustomerID else {
            throw BillingError(.noStripeCustomer, "customer \(externalID) is not linked to a Stripe customer; start with checkout")
        }
        // Portal sessions are short-lived: a key per minute merges double clicks, not later visits.
        let minute = Int(Date().timeIntervalSince1970 / 60)
        let session = try stripe.post(
            "/v1/billing_portal/sessions", ["customer": .string(stripeCustomer), "return_url": .string(returnURL)],
            operation: "portal.create:\(stripeCustomer):\(returnURL):\(minute)")
        guard let url = session["url"]?.string else { throw StripeError(kind: .invalidResponse, message: "the portal session has no url") }
        return PortalSession(id: session.id, url: url)
    }

    /// Moves the subscription's item to another plan's Price and/or quantity
    /// (`POST /v1/subscriptions/{id}` with `items[0][id]`, `items[0][price]`,
    /// `items[0][quantity]`, and `proration_behavior` when given: else Stripe's default,
    /// `create_prorations`, applies). The currency is
    /// the current Price's; the interval the request's, else the current one when the new plan has
    /// it, else the plan's monthly price, else its yearly one.
    public func change(customer externalID: String, _ request: PlanChangeRequest) throws -> SubscriptionUpdate {
        let stripe = try client()
        try request.validate()
        let (local, stripeID) = try stripeSubscription(externalID)
        let path = "/v1/subscriptions/" + StripeClient.pathSegment(stripeID)
        let remote = try stripe.get(path)
        let item = remote["items"]?["data"]?[0]
        guard let itemID = item?.id else { throw StripeError(kind: .invalidResponse, message: "subscription \(stripeID) has no items") }
        var itemForm: StripeForm = ["id": .string(itemID)]
        var form: StripeForm = [:]
        var priceID = ""
        if let planKey = request.plan {
            let plan = try offeredPlan(planKey)
            let currentPrice = item?["price"] ?? item?["plan"]
            let currency = currentPrice?["currency"]?.string
            let currentInterval = (currentPrice?["recurring"]?["interval"]?.string ?? currentPrice?["interval"]?.string).flatMap(BillingInterval.init(rawValue:))
            // The current interval when the new plan has it, else the plan's default.
            let interval = request.interval
                ?? currentInterval.flatMap { current in plan.prices.contains { $0.interval == current && $0.currency == currency } ? current : nil }
            let price = try catalogPrice(plan, interval: interval, currency: currency)
            priceID = try stripePriceID(plan: plan, price: price, stripe: stripe)
            itemForm["price"] = .string(priceID)
            form["metadata"] = ["tollgate_plan": .string(plan.key)]
        }
        if let quantity = request.quantity { itemForm["quantity"] = .integer(quantity) }
        form["items"] = [.object(itemForm)]
        if let proration = request.prorationBehavior { form["proration_behavior"] = .string(proration.rawValue) }
        let updated = try stripe.post(path, form, operation: [
            "subscription.change", stripeID, priceID, request.quantity.map(String.init) ?? "", request.prorationBehavior?.rawValue ?? "default",
            Self.generation(local.updatedAt),
        ].joined(separator: ":"))
        return SubscriptionUpdate(updated)
    }

    /// Cancels now (`DELETE /v1/subscriptions/{id}`) or at the end of the period
    /// (`cancel_at_period_end=true`).
    public func cancel(customer externalID: String, atPeriodEnd: Bool) throws -> SubscriptionUpdate {
        let stripe = try client()
        let (local, stripeID) = try stripeSubscription(externalID)
        let path = "/v1/subscriptions/" + StripeClient.pathSegment(stripeID)
        guard atPeriodEnd else { return SubscriptionUpdate(try stripe.delete(path, operation: "subscription.cancel:\(stripeID)")) }
        return SubscriptionUpdate(try stripe.post(
            path, ["cancel_at_period_end": true], operation: "subscription.cancel_at_period_end:\(stripeID):\(Self.generation(local.updatedAt))"))
    }

    /// Undoes a cancellation at period end (`cancel_at_period_end=false`).
    public func resume(customer externalID: String) throws -> SubscriptionUpdate {
        let stripe = try client()
        let (local, stripeID) = try stripeSubscription(externalID)
        return SubscriptionUpdate(try stripe.post(
            "/v1/subscriptions/" + StripeClient.pathSegment(stripeID), ["cancel_at_period_end": false],
            operation: "subscription.resume:\(stripeID):\(Self.generation(local.updatedAt))"))
    }

    // MARK: Helpers

    private func client() throws(BillingError) -> StripeClient {
        guard let stripe else { throw BillingError.notConfigured }
        return stripe
    }

    /// The customer's local subscription and its Stripe id.
    private func stripeSubscription(_ externalID: String) throws -> (Subscription, String) {
        guard let local = try subscriptions.current(customer: externalID), let id = local.stripeSubscriptionID else {
            throw BillingError(.noStripeSubscription, "customer \(externalID) has no Stripe subscription; start one with checkout")
        }
        return (local, id)
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

    /// Milliseconds since 1970 of a local write, or 0: part of an operation's identity.
    static func generation(_ date: Date?) -> String {
        date.map { String(Int64(($0.timeIntervalSince1970 * 1000).rounded())) } ?? "0"
    }

    static func validateURL(_ text: String, field: String) throws(DomainError) {
        guard text.count <= 2048, let url = URLComponents(string: text), url.scheme == "https" || url.scheme == "http", url.host?.isEmpty == false else {
            throw .invalid(field, "must be an absolute http(s) URL")
        }
    }
}
