import Foundation
import TollgateEntitlements
import TollgateStripe
import TollgateBase

/// What Stripe holds for each Tollgate customer at the end of a scenario, read from localstripe's
/// objects (`GET /v1/customers`, `GET /v1/subscriptions?status=all`, every page) and the driver's
/// record of which Stripe customers and subscriptions it made for whom — never from events.
///
/// The customer's expected current subscription is the one this rule picks among **all** of its
/// Stripe subscriptions (written here independently of Tollgate's own):
/// 1. status: `active`, `trialing`, `past_due` rank above `incomplete`, `unpaid`, `paused`, which
///    rank above `canceled`, `incomplete_expired`;
/// 2. then the later `created`;
/// 3. then the greater id.
/// No Stripe subscription at all: no local Stripe subscription is expected.
struct StripeTruth {
    struct Subscription: Equatable {
        let id: String
        let customer: String
        let planKey: String
        let status: String
        let quantity: Int
        let cancelAtPeriodEnd: Bool
        let created: Int
        let currentPeriodEnd: Int?
    }

    struct Customer {
        let owner: String
        let subscription: Subscription?
        /// No Stripe object names the owner of ``subscription`` any more: it has no metadata and
        /// its customer was deleted (Stripe keeps no metadata of a deleted customer). Tollgate knows
        /// it only if it learned it from the webhooks while the customer lived, so only its outcome
        /// is expected: no live subscription (it is ended, the customer's others too).
        let ownerForgotten: Bool
        /// The owner's Stripe customer that Stripe still has (nil when it was deleted, or never made).
        let stripeCustomer: String?
        /// That customer's email.
        let email: String?
        /// The plan whose entitlements the customer should have now: the subscription's while it
        /// grants access, else the catalog's default plan.
        let entitledPlan: String
    }

    let customers: [Customer]
    /// Every Stripe customer the driver made that Stripe no longer has.
    let deletedCustomers: Set<String>

    struct Inconsistency: Error, CustomStringConvertible {
        var description: String
    }

    static func read(peer: ScenarioLocalStripe, account: ScenarioAccount, owners: [String], defaultPlan: String, now: Date = Date()) throws -> StripeTruth {
        let byID = { (objects: [StripeObject]) in
            Dictionary(objects.compactMap { object in object.id.map { ($0, object) } }, uniquingKeysWith: { first, _ in first })
        }
        let liveCustomers = byID(try peer.list("/v1/customers"))
        let subscriptions = byID(try peer.list("/v1/subscriptions", ["status": "all"]))
        var customers: [Customer] = []
        for owner in owners {
            let candidates = try account.subscriptions(of: owner).map { made in
                guard let object = subscriptions[made.id] else {
                    throw Inconsistency(description: "Stripe does not list \(made.id), made for \(owner)")
                }
                return try subscription(object)
            }
            let live = account.liveCustomer(of: owner)
            if let live, liveCustomers[live.id] == nil {
                throw Inconsistency(description: "Stripe does not list \(live.id), the live customer of \(owner)")
            }
            let current = current(of: candidates)
            let forgotten = current.map { current in
                account.subscriptions[current.id].map { !$0.hasMetadata && account.customers[$0.customer]?.deleted == true } ?? false
            } ?? false
            customers.append(Customer(
                owner: owner, subscription: current, ownerForgotten: forgotten, stripeCustomer: live?.id,
                email: live.flatMap { liveCustomers[$0.id]?["email"]?.string },
                entitledPlan: current.flatMap { grantsAccess($0, now: now) ? $0.planKey : nil } ?? defaultPlan))
        }
        let deleted = Set(account.customers.keys.filter { liveCustomers[$0] == nil })
        return StripeTruth(customers: customers, deletedCustomers: deleted)
    }

    static func subscription(_ object: StripeObject) throws -> Subscription {
        let item = object["items"]?["data"]?[0]
        let plan = item?["plan"] ?? object["plan"]
        guard let id = object.id, let customer = object["customer"]?.id, let status = object["status"]?.string,
              let planKey = plan?["metadata"]?["tollgate_plan"]?.string, let created = object["created"]?.int
        else { throw Inconsistency(description: "a subscription Stripe listed lacks id, customer, status, plan metadata or created: \(object)") }
        return Subscription(
            id: id, customer: customer, planKey: planKey, status: status,
            quantity: item?["quantity"]?.int ?? object["quantity"]?.int ?? 1, cancelAtPeriodEnd: object["cancel_at_period_end"]?.bool ?? false,
            created: created, currentPeriodEnd: object["current_period_end"]?.int ?? item?["current_period_end"]?.int)
    }

    /// 2: grants access; 1: open, no access; 0: ended.
    static func rank(_ status: String) -> Int {
        switch status {
        case "active", "trialing", "past_due": 2
        case "incomplete", "unpaid", "paused": 1
        default: 0
        }
    }

    static func outranks(_ subscription: Subscription, _ other: Subscription) -> Bool {
        if rank(subscription.status) != rank(other.status) { return rank(subscription.status) > rank(other.status) }
        if subscription.created != other.created { return subscription.created > other.created }
        return subscription.id > other.id
    }

    static func current(of subscriptions: [Subscription]) -> Subscription? {
        subscriptions.max { outranks($1, $0) }
    }

    /// Whether the subscription grants its plan now: active, trialing or past due (the scenario
    /// starts two days back, well inside the 7-day grace period), and not set to cancel at a
    /// period end that has passed.
    static func grantsAccess(_ subscription: Subscription, now: Date) -> Bool {
        guard rank(subscription.status) == 2 else { return false }
        guard subscription.cancelAtPeriodEnd, let end = subscription.currentPeriodEnd else { return true }
        return now.timeIntervalSince1970 < TimeInterval(end)
    }
}
