import Foundation
import Tollgate
import TollgateEntitlements
import TollgateStore
import TollgateStripe
import TollgateBase

/// What `stripe sync` read from Stripe.
struct StripeAccountView {
    /// Live Stripe customers by id, and when each was fetched.
    var customers: [String: StripeObject] = [:]
    /// Every Stripe subscription (any status) by id.
    var subscriptions: [String: StripeObject] = [:]
    var fetchedAt: [String: Date] = [:]
    /// Stripe customers Stripe answered deleted (404 or `deleted: true`).
    var deletedCustomers: Set<String> = []
    /// Subscriptions Tollgate recorded that Stripe answered 404 for, and when.
    var goneSubscriptions: [String: Date] = [:]

    mutating func add(customer: StripeObject, fetchedAt date: Date) {
        guard let id = customer.id, customer["deleted"]?.bool != true else { return }
        customers[id] = customer
        fetchedAt[id] = date
    }

    mutating func add(subscription: StripeObject, fetchedAt date: Date) {
        guard let id = subscription.id else { return }
        subscriptions[id] = subscription
        fetchedAt[id] = date
    }

    /// The subscription's `created` (else `start_date`), Stripe's order of subscriptions.
    static func created(_ object: StripeObject) -> Int { object["created"]?.int ?? object["start_date"]?.int ?? 0 }
}

/// The local facts ownership is decided from, read once before any write.
struct LocalBilling {
    struct Customer {
        var id: String
        var externalID: String
        var stripeCustomerID: String?
    }

    /// Every Tollgate customer by id.
    var customers: [String: Customer] = [:]
    /// External id → id.
    var byExternalID: [String: String] = [:]
    /// Stripe customer → the Tollgate customer (id) linked to it.
    var linkedTo: [String: String] = [:]
    /// Stripe subscription → the Tollgate customer (id) it was last mirrored under.
    var recordedSubscriptions: [String: String] = [:]

    var linkedStripeCustomers: [String] { Array(linkedTo.keys) }

    static func read(_ database: any Database) throws -> LocalBilling {
        try database.withConnection { connection in
            var local = LocalBilling()
            for (id, externalID, stripeCustomerID) in try CustomerRepository.allStripeLinks(on: connection) {
                local.customers[id] = Customer(id: id, externalID: externalID, stripeCustomerID: stripeCustomerID)
                local.byExternalID[externalID] = id
                if let linked = stripeCustomerID { local.linkedTo[linked] = id }
            }
            local.recordedSubscriptions = try SubscriptionRepository.recordedStripeSubscriptions(on: connection)
            return local
        }
    }
}

/// What `stripe sync` does for one Tollgate customer.
struct CustomerPlan: Equatable {
    var customerID: String
    var externalID: String
    /// The Stripe customer to link (nil: none; the current link is dropped).
    var link: String?
    /// The current link, and whether Stripe deleted it.
    var currentLink: String?
    var currentLinkDeleted: Bool
    /// Its Stripe subscriptions, oldest `created` first.
    var subscriptions: [String]
    /// Subscriptions recorded under it that Stripe no longer has.
    var goneSubscriptions: [String]

    /// The Stripe ids the plan is about, for messages.
    var stripeIDs: [String] { [link, currentLink].compactMap { $0 } + subscriptions + goneSubscriptions }
}

/// Which Tollgate customer each Stripe object belongs to, decided from what was read (so a dry run
/// and a real run decide alike), and the resulting plan per customer.
struct Ownership {
    let account: StripeAccountView
    let local: LocalBilling
    /// Stripe customer → Tollgate customer id.
    private(set) var customerOwner: [String: String] = [:]
    /// Stripe subscription → Tollgate customer id.
    private(set) var subscriptionOwner: [String: String] = [:]
    private(set) var skipped: [StripeReconciler.Problem] = []

    init(account: StripeAccountView, local: LocalBilling) {
        self.account = account
        self.local = local
        let subscriptionsByCustomer = Dictionary(grouping: account.subscriptions.values.sorted(by: Self.oldestFirst)) {
            StripeSubscriptionMirror.stripeCustomerID(of: $0) ?? ""
        }
        let byExternalID = local.byExternalID
        for (id, customer) in account.customers.sorted(by: { $0.key < $1.key }) {
            let namedBySubscription = subscriptionsByCustomer[id, default: []].lazy
                .compactMap { StripeSubscriptionMirror.metadataCustomer($0).flatMap { byExternalID[$0] } }.first
            if let owner = local.linkedTo[id] ?? named(customer["metadata"]?["tollgate_customer"]?.string) ?? namedBySubscription {
                customerOwner[id] = owner
            } else if let reference = customer["metadata"]?["tollgate_customer"]?.string {
                skipped.append(.init(stripeID: id, message: "metadata tollgate_customer \(reference) names no Tollgate customer"))
            }
        }
        for (id, subscription) in account.subscriptions.sorted(by: { $0.key < $1.key }) {
            let stripeCustomer = StripeSubscriptionMirror.stripeCustomerID(of: subscription) ?? ""
            if let owner = local.linkedTo[stripeCustomer] ?? local.recordedSubscriptions[id]
                ?? named(StripeSubscriptionMirror.metadataCustomer(subscription)) ?? customerOwner[stripeCustomer] {
                subscriptionOwner[id] = owner
            } else {
                skipped.append(.init(stripeID: id, message: "no Tollgate customer is linked to \(stripeCustomer.isEmpty ? "its customer" : stripeCustomer) or named by metadata tollgate_customer"))
            }
        }
    }

    /// The id of the Tollgate customer whose external id is `reference`.
    private func named(_ reference: String?) -> String? {
        reference.flatMap { local.byExternalID[$0] }
    }

    static func oldestFirst(_ a: StripeObject, _ b: StripeObject) -> Bool {
        (StripeAccountView.created(a), a.id ?? "") < (StripeAccountView.created(b), b.id ?? "")
    }

    /// One plan per Tollgate customer that owns a Stripe object or is linked to one, in external
    /// id order.
    func plans() -> [CustomerPlan] {
        let subscriptionsOf = Dictionary(grouping: subscriptionOwner.keys, by: { subscriptionOwner[$0] ?? "" })
        let goneOf = Dictionary(grouping: account.goneSubscriptions.keys, by: { local.recordedSubscriptions[$0] ?? "" })
        let involved = Set(customerOwner.values).union(subscriptionOwner.values).union(local.linkedTo.values).union(goneOf.keys.filter { !$0.isEmpty })
        return involved.compactMap { id -> CustomerPlan? in
            guard let customer = local.customers[id] else { return nil }
            let subscriptions = (subscriptionsOf[id] ?? []).compactMap { account.subscriptions[$0] }.sorted(by: Self.oldestFirst).compactMap(\.id)
            let current = customer.stripeCustomerID
            return CustomerPlan(
                customerID: id, externalID: customer.externalID, link: link(for: id, current: current, subscriptions: subscriptions),
                currentLink: current, currentLinkDeleted: current.map { account.deletedCustomers.contains($0) } ?? false,
                subscriptions: subscriptions, goneSubscriptions: (goneOf[id] ?? []).sorted())
        }.sorted { $0.externalID < $1.externalID }
    }

    /// The Stripe customer the Tollgate customer should be linked to: a current link to an Accounts v2
    /// customer stays; else, of the live Stripe customers it owns, the one whose best subscription
    /// ranks highest (``StripeSubscriptionPrecedence``), then the current link, then the most
    /// recently created, then the greater id.
    private func link(for id: String, current: String?, subscriptions: [String]) -> String? {
        if let current, Self.isAccount(current) { return current }
        let candidates = customerOwner.filter { $0.value == id }.map(\.key)
        func rank(_ stripeCustomer: String) -> (Int, Int, Int, String) {
            let best = subscriptions.compactMap { account.subscriptions[$0] }.filter { StripeSubscriptionMirror.stripeCustomerID(of: $0) == stripeCustomer }
                .map { StripeSubscriptionPrecedence.rank(Self.status($0)) }.max() ?? -1
            return (best, stripeCustomer == current ? 1 : 0, account.customers[stripeCustomer]?["created"]?.int ?? 0, stripeCustomer)
        }
        return candidates.max { rank($0) < rank($1) }
    }

    /// An Accounts v2 customer (`acct_…`), which `GET /v1/customers` neither lists nor fetches:
    /// sync keeps a link to one as it is (it cannot tell it was deleted).
    static func isAccount(_ id: String) -> Bool { id.hasPrefix("acct_") }

    static func status(_ subscription: StripeObject) -> SubscriptionStatus {
        subscription["status"]?.string.flatMap(SubscriptionStatus.init(rawValue:)) ?? .incompleteExpired
    }
}
