import Foundation
import Tollgate
import TollgateEntitlements
import TollgateStore
import TollgateStripe
import TollgateBase

/// `customer.subscription.*`: the customer's local subscription becomes what Stripe says, through
/// the same write path as the API (``SubscriptionRepository``), recorded with source `stripe`.
///
/// Read from the subscription object (<https://docs.stripe.com/api/subscriptions/object>):
/// * the customer: see ``resolveCustomer(_:on:now:)`` (the link, Tollgate's own record of the
///   subscription, then metadata `tollgate_customer`);
/// * the plan: the first of these that is a plan key in the catalog — the first item's price
///   `lookup_key`, the price's or its expanded product's metadata `tollgate_plan`, the old API
///   shape's `plan` object (top-level or on the item: metadata `tollgate_plan`, then its `id`), the
///   subscription's metadata `tollgate_plan`;
/// * status, quantity (the first item's, else the subscription's), `cancel_at_period_end`,
///   `trial_end`, and the current period: `current_period_start/end` on the subscription (API
///   versions before 2025-03-31) or on the items (later versions: the earliest start and latest
///   end, since flexible billing lets items differ) — whichever is present.
///
/// `customer.subscription.deleted` always leaves the subscription `canceled`. Every Stripe
/// subscription's state is recorded (``SubscriptionRepository/mirror(customer:stripeSubscriptionID:_:startedAt:source:observer:on:now:)``),
/// and the customer's current subscription is the one ``StripeSubscriptionPrecedence`` picks among
/// all of theirs — not the last one written: a late event of an old subscription (its `created`
/// after the new one is live, its deletion) changes nothing.
enum StripeSubscriptionMirror {
    static func apply(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        try apply(event, context, source: "stripe")
    }

    /// `source` names the writer in the subscription's history: `stripe` (webhooks), `stripe-sync`
    /// (``StripeReconciler``).
    /// In a batch, the customer its transaction locked at the start (``StripeEventBatchMemo/customers``)
    /// is taken as it is; else it is resolved and locked here.
    static func apply(_ event: WebhookEvent, _ context: StripeEventContext, source: String) throws -> StripeEventEffect {
        if let memo = context.batch, let stripeCustomer = stripeCustomerID(of: event.object), let held = memo.customers[stripeCustomer] {
            return try apply(event, to: held, context, source: source, customerLocked: true)
        }
        // Resolving may link a customer: the batch's customers are read again from here on.
        try context.batch?.forgetCustomers(on: context.connection)
        let customer = try resolveCustomer(event.object, on: context.connection, now: context.now)
        return try apply(event, to: customer, context, source: source)
    }

    /// Mirrors the event's subscription as a subscription of `customer` (resolved by the caller;
    /// `customerLocked`: and its row held by this transaction already).
    static func apply(
        _ event: WebhookEvent, to customer: Customer, _ context: StripeEventContext, source: String, customerLocked: Bool = false
    ) throws -> StripeEventEffect {
        let subscription = event.object
        guard let stripeID = subscription["id"]?.string else { throw DomainError.invalid("data.object.id", "the subscription has no id") }
        let connection = context.connection

        let item = subscription["items"]?["data"]?[0] ?? .null
        guard var status = subscription["status"]?.string.flatMap(SubscriptionStatus.init(rawValue:)) else {
            throw DomainError.invalid("status", "unknown subscription status \(subscription["status"]?.string ?? "null")")
        }
        if event.type == "customer.subscription.deleted" { status = .canceled }

        // In a batch that holds the customer, its current subscription as the batch read and keeps it
        // (the batch writes the row at its end).
        let known: Subscription?? = customerLocked && context.batch != nil ? .some(context.batch?.subscriptions[customer.externalID]) : nil
        let fallbackPlan = status.hasEnded
            ? try SubscriptionRepository.mirroredPlan(stripeSubscriptionID: stripeID, on: connection)
                ?? (known ?? SubscriptionRepository.current(externalID: customer.externalID, on: connection))?.state.planKey
            : nil
        let resolved = try resolvePlan(subscription, item: item, memo: context.batch, on: connection)
        guard let plan = resolved ?? fallbackPlan else {
            throw DomainError.invalid("plan", "no catalog plan matches the subscription's price (lookup_key, metadata tollgate_plan, or plan id)")
        }

        // Under flexible billing mode items may have periods of their own: the subscription's is
        // from the earliest start to the latest end.
        let items = subscription["items"]?["data"]?.array ?? []
        var start = subscription["current_period_start"]?.date ?? items.compactMap { $0["current_period_start"]?.date }.min()
        var end = subscription["current_period_end"]?.date ?? items.compactMap { $0["current_period_end"]?.date }.max()
        if let from = start, let to = end, to <= from { (start, end) = (nil, nil) }
        let quantity = (item["quantity"]?.int ?? subscription["quantity"]?.int).map { Int(max(1, min($0, 1_000_000))) } ?? 1
        let change = SubscriptionChange(
            plan: plan, status: status, quantity: quantity, currentPeriodStart: start, currentPeriodEnd: end,
            cancelAtPeriodEnd: subscription["cancel_at_period_end"]?.bool ?? false, trialEnd: subscription["trial_end"]?.date)
        // Stripe's `created` of the subscription (not of the event); `start_date` may be backdated.
        let startedAt = subscription["created"]?.date ?? subscription["start_date"]?.date ?? event.createdDate
        let saved = try SubscriptionRepository.mirror(
            customer: customer, stripeSubscriptionID: stripeID, change, startedAt: startedAt, source: source, customerLocked: customerLocked,
            knownPlans: (context.batch?.plans ?? []).union(resolved.map { [$0] } ?? []),
            known: known,
            deferred: customerLocked ? context.batch?.deferred : nil, observer: BillingMail.subscriptionObserver, on: connection, now: context.now)
        if customerLocked { context.batch?.subscriptions[customer.externalID] = saved }
        guard saved.stripeSubscriptionID == stripeID else {
            return StripeEventEffect(
                customers: [customer.externalID],
                note: "\(stripeID) is not the customer's current subscription (\(saved.stripeSubscriptionID ?? "none") ranks first); recorded")
        }
        if event.type == "customer.subscription.trial_will_end" {
            let hasPaymentMethod = subscription["default_payment_method"].map { $0 != .null } ?? false
            try BillingMail.trialEnding(customer: customer, subscription: saved, hasPaymentMethod: hasPaymentMethod, on: connection, now: context.now)
        }
        return StripeEventEffect(customers: [customer.externalID])
    }

    /// The Tollgate customer a Stripe subscription belongs to, in this order:
    /// 1. the one linked to its Stripe customer (`customer`);
    /// 2. the one Tollgate recorded it under before (`stripe_subscriptions`): a subscription keeps
    ///    its customer after an unlink (its Stripe customer deleted), so its cancellation applies;
    /// 3. the one whose external id is metadata `tollgate_customer` on the subscription, else on its
    ///    expanded customer (the applier expands it from Stripe when needed).
    ///
    /// A customer found by 2 or 3 that has no link is then linked to the Stripe customer, unless
    /// Stripe deleted that one or it is linked to another customer. None found: `notFound`, which
    /// the applier retries (the link, `checkout.session.completed`, may arrive after the subscription).
    static func resolveCustomer(_ subscription: StripeObject, on connection: any SQLConnection, now: Date) throws -> Customer {
        let stripeCustomer = stripeCustomerID(of: subscription)
        if let stripeCustomer, let customer = try CustomerRepository.find(stripeCustomerID: stripeCustomer, on: connection) {
            return customer
        }
        let recorded = try subscription["id"]?.string.flatMap { try SubscriptionRepository.mirroredCustomer(stripeSubscriptionID: $0, on: connection) }
        guard let customer = try recorded ?? metadataCustomer(subscription).flatMap({ try CustomerRepository.find(externalID: $0, on: connection) })
        else { throw DomainError.notFound("Tollgate customer for Stripe customer \(stripeCustomer ?? "(none)")") }
        if let stripeCustomer, customer.stripeCustomerID == nil, try !CustomerRepository.isDeleted(stripeCustomerID: stripeCustomer, on: connection) {
            try CustomerRepository.link(customer, stripeCustomerID: stripeCustomer, on: connection, now: now)
        }
        return customer
    }

    /// The subscription's (or session's) Stripe customer: `customer`, else `customer_account` (an
    /// Accounts v2 customer, `acct_…`, 2026 and later).
    static func stripeCustomerID(of object: StripeObject) -> String? {
        object["customer"]?.id ?? object["customer_account"]?.string
    }

    /// The external id the subscription's metadata `tollgate_customer` names, else its expanded
    /// customer's.
    static func metadataCustomer(_ subscription: StripeObject) -> String? {
        subscription["metadata"]?["tollgate_customer"]?.string ?? subscription["customer"]?["metadata"]?["tollgate_customer"]?.string
    }

    static func planCandidates(_ subscription: StripeObject, item: StripeObject) -> [String] {
        let price = item["price"] ?? .null
        let plans = [subscription["plan"] ?? .null, item["plan"] ?? .null]
        let candidates: [String?] = [price["lookup_key"]?.string, price["metadata"]?["tollgate_plan"]?.string,
                                     price["product"]?["metadata"]?["tollgate_plan"]?.string]
            + plans.map { $0["metadata"]?["tollgate_plan"]?.string } + plans.map { $0["id"]?.string }
            + [subscription["metadata"]?["tollgate_plan"]?.string]
        var seen: Set<String> = []
        return candidates.compactMap { $0 }.filter { seen.insert($0).inserted }
    }

    /// The first of ``planCandidates(_:item:)`` that is a plan in the catalog (`memo`: the batch's
    /// plans found already).
    static func resolvePlan(
        _ subscription: StripeObject, item: StripeObject, memo: StripeEventBatchMemo? = nil, on connection: any SQLConnection
    ) throws -> String? {
        for candidate in planCandidates(subscription, item: item) {
            if memo?.plans.contains(candidate) == true { return candidate }
            if try CatalogRepository.hasPlan(candidate, on: connection) {
                memo?.plans.insert(candidate)
                return candidate
            }
        }
        return nil
    }
}

extension SubscriptionStatus {
    /// The subscription is over for good (a new one must be created).
    var hasEnded: Bool { self == .canceled || self == .incompleteExpired }
}
