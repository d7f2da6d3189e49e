import Foundation
import TollgateEntitlements

/// What the scenario's driver knows of the Stripe account it drives: which Stripe customers and
/// subscriptions it made for which Tollgate customer (external id), and their state as Stripe last
/// answered. The ownership is the part of the truth Stripe itself need not spell out on every
/// object (a subscription without metadata, a customer without metadata); the driver only ever
/// creates objects whose owner Stripe can tell — on the subscription or on its customer.
struct ScenarioAccount {
    /// Where a sign-up puts metadata `tollgate_customer`.
    enum MetadataPlacement: String, CaseIterable {
        case both
        case customerOnly = "customer-only"
        case subscriptionOnly = "subscription-only"
    }

    struct Customer {
        let id: String
        let owner: String
        let hasMetadata: Bool
        var email: String
        var deleted = false
        /// The default card is one localstripe declines when charged.
        var cardDeclines: Bool
    }

    struct Subscription {
        let id: String
        let owner: String
        let customer: String
        let hasMetadata: Bool
        var plan: String
        var quantity: Int
        var status: String
        var cancelAtPeriodEnd = false
        var latestInvoice: String?

        /// Canceled or expired: a new subscription must be created.
        var hasEnded: Bool { status == "canceled" || status == "incomplete_expired" }
    }

    private(set) var customers: [String: Customer] = [:]
    private(set) var subscriptions: [String: Subscription] = [:]
    /// Subscription ids in the order they were created.
    private(set) var subscriptionOrder: [String] = []
    /// Each Tollgate customer's Stripe customer that is not deleted.
    private(set) var liveCustomers: [String: String] = [:]

    mutating func add(_ customer: Customer) {
        customers[customer.id] = customer
        liveCustomers[customer.owner] = customer.id
    }

    mutating func add(_ subscription: Subscription) {
        subscriptions[subscription.id] = subscription
        subscriptionOrder.append(subscription.id)
    }

    mutating func update(customer id: String, _ change: (inout Customer) -> Void) {
        guard var customer = customers[id] else { return }
        change(&customer)
        customers[id] = customer
        if customer.deleted, liveCustomers[customer.owner] == id { liveCustomers[customer.owner] = nil }
    }

    mutating func update(subscription id: String, _ change: (inout Subscription) -> Void) {
        guard var subscription = subscriptions[id] else { return }
        change(&subscription)
        subscriptions[id] = subscription
    }

    func liveCustomer(of owner: String) -> Customer? {
        liveCustomers[owner].flatMap { customers[$0] }
    }

    /// The owner's subscription that has not ended (the driver keeps at most one).
    func liveSubscription(of owner: String) -> Subscription? {
        subscriptionOrder.compactMap { subscriptions[$0] }.last { $0.owner == owner && !$0.hasEnded }
    }

    /// Every Stripe subscription ever made for the owner, oldest first.
    func subscriptions(of owner: String) -> [Subscription] {
        subscriptionOrder.compactMap { subscriptions[$0] }.filter { $0.owner == owner }
    }

    /// Every Stripe customer ever made for the owner.
    func customers(of owner: String) -> [Customer] {
        customers.values.filter { $0.owner == owner }.sorted { $0.id < $1.id }
    }
}
