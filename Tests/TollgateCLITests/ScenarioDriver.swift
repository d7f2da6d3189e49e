import Foundation
import Tollgate
import TollgateCore
import TollgateEntitlements
import TollgateStripe
import TollgateTestSupport
import TollgateBase

/// Drives localstripe as a SaaS drives Stripe, with random operations from a seeded generator, and
/// collects the events each operation caused: localstripe's own (`GET /v1/events`), and the ones
/// the scenario's fake adds for what localstripe never sends — `customer.subscription.updated`
/// after every change of a subscription, and `invoice.payment_failed` when a charge is declined.
final class ScenarioDriver {
    struct Plan {
        /// The localstripe plan id (localstripe has no Prices: a plan stands for one).
        let id: String
        let tollgatePlan: String
        let interval: String
    }

    static let goodCard = "4242424242424242"
    /// Attaches, then every charge is declined (localstripe's list; Stripe's test card too).
    static let decliningCard = "4000000000000341"

    /// Writes go through Tollgate's Stripe client (its form encoding); reads through the peer.
    let stripe: StripeClient
    let peer: ScenarioLocalStripe
    let seed: UInt64
    private(set) var account = ScenarioAccount()
    private(set) var plans: [Plan] = []
    var generator: SeededGenerator
    /// Tollgate's API, for the operations made through it (nil: none are made).
    var tollgate: TollgateAPI?
    /// Calls through Tollgate's API that did not change Stripe's current subscription as asked.
    var billingMisses: [String] = []
    private var seenEvents: Set<String> = []
    /// The newest event listed so far.
    private var lastEvent: String?
    private var lastOwner: String?
    private var addedEvents = 0
    private var calls = 0

    init(peer: ScenarioLocalStripe, seed: UInt64) {
        self.peer = peer
        stripe = peer.client
        self.seed = seed
        generator = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ 0x0B5E_55ED)
    }

    /// A product per paid plan of the catalog and a localstripe plan per price, each with metadata
    /// `tollgate_plan`; ids `<plan>_<interval>` (this localstripe serves this seed alone).
    func createPlans(from catalog: Catalog) throws {
        for plan in catalog.plans where !plan.prices.isEmpty {
            let product = try post("/v1/products", ["name": .string(plan.name), "metadata": ["tollgate_plan": .string(plan.key)]])
            for price in plan.prices {
                let id = "\(plan.key)_\(price.interval.rawValue)"
                _ = try post("/v1/plans", [
                    "id": .string(id), "product": .string(try Self.id(product)), "amount": .integer(Int(price.unitAmount)),
                    "currency": .string(price.currency), "interval": .string(price.interval.rawValue),
                    "metadata": ["tollgate_plan": .string(plan.key)],
                ])
                plans.append(Plan(id: id, tollgatePlan: plan.key, interval: price.interval.rawValue))
            }
        }
        let events = try peer.list("/v1/events")
        seenEvents.formUnion(events.compactMap(\.id))
        lastEvent = events.last?.id
    }

    // MARK: Choosing

    /// The next operation: a random Tollgate customer (a quarter of the time the previous one
    /// again, as a user clicking through their billing page, so that one object's events often
    /// share a second), then one of the operations its state allows.
    func choose(owners: [String]) -> (ScenarioOperation.Kind, String) {
        while true {
            let again = Double.random(in: 0..<1, using: &generator) < 0.25
            let owner = again ? lastOwner ?? owners[0] : owners[Int.random(in: 0..<owners.count, using: &generator)]
            lastOwner = owner
            let options = eligible(owner)
            let total = options.reduce(0) { $0 + $1.weight }
            guard total > 0 else { continue }
            var draw = Double.random(in: 0..<total, using: &generator)
            for option in options {
                if draw < option.weight { return (option.kind, owner) }
                draw -= option.weight
            }
            if let last = options.last { return (last.kind, owner) }
        }
    }

    private func eligible(_ owner: String) -> [(kind: ScenarioOperation.Kind, weight: Double)] {
        guard let customer = account.liveCustomer(of: owner) else { return [(.signUp, 1)] }
        guard let subscription = account.liveSubscription(of: owner) else {
            return [(.subscribe, 3), (.changeEmail, 1), (.deleteCustomer, 0.8), (.declineCard, customer.cardDeclines ? 0 : 0.3),
                    (.fixCardAndPay, customer.cardDeclines ? 0.5 : 0)]
        }
        if subscription.status == "incomplete" {
            return [(.fixCardAndPay, 2), (.expireIncomplete, 1), (.cancelNow, 1), (.changeEmail, 0.5), (.deleteCustomer, 0.5)]
        }
        return [
            (.changePlan, 3), (.changeQuantity, 2), (subscription.cancelAtPeriodEnd ? .resume : .cancelAtPeriodEnd, 1.5), (.cancelNow, 1),
            (.changeEmail, 1), (.deleteCustomer, 0.7), (.declineCard, customer.cardDeclines ? 0 : 1),
            (.fixCardAndPay, subscription.status == "past_due" ? 2 : customer.cardDeclines ? 0.3 : 0),
            (.tollgateChangeQuantity, tollgate == nil ? 0 : 1),
            (subscription.cancelAtPeriodEnd ? .tollgateResume : .tollgateCancelAtPeriodEnd, tollgate == nil ? 0 : 0.5),
            (.tollgateCancelNow, tollgate == nil ? 0 : 0.5),
        ]
    }

    // MARK: Performing

    /// Performs the operation against localstripe; returns the events it caused, oldest first.
    func perform(_ operation: inout ScenarioOperation) throws -> [StripeObject] {
        let since = Int(Date().timeIntervalSince1970)
        var changed: [String] = []
        var declined: [String] = []
        let owner = operation.owner
        switch operation.kind {
        case .signUp:
            let placement = ScenarioAccount.MetadataPlacement.allCases.randomElement(using: &generator) ?? .both
            let declines = Double.random(in: 0..<1, using: &generator) < 0.08
            let customer = try createCustomer(owner, metadata: placement != .subscriptionOnly, declines: declines, operation: &operation)
            operation.detail = "metadata \(placement.rawValue)" + (declines ? ", declining card" : "")
            try subscribe(customer, metadata: placement != .customerOnly, operation: &operation, declined: &declined)
        case .subscribe:
            guard let customer = account.liveCustomer(of: owner) else { break }
            // Stripe must be able to tell the owner: metadata on the subscription when its customer has none.
            let metadata = !customer.hasMetadata || Bool.random(using: &generator)
            operation.detail = metadata ? "metadata on the subscription" : "no metadata on the subscription"
            try subscribe(customer, metadata: metadata, operation: &operation, declined: &declined)
        case .changePlan:
            guard let subscription = account.liveSubscription(of: owner) else { break }
            let others = plans.filter { $0.id != subscription.plan }
            let plan = others[Int.random(in: 0..<others.count, using: &generator)]
            operation.detail = "\(subscription.plan) → \(plan.id), quantity \(subscription.quantity) kept"
            // localstripe resets the quantity to 1 when an update names no quantity: name it.
            try updateSubscription(subscription, ["items": [["plan": .string(plan.id), "quantity": .integer(subscription.quantity)]]],
                                   operation: &operation, declined: &declined)
            changed.append(subscription.id)
        case .changeQuantity:
            guard let subscription = account.liveSubscription(of: owner) else { break }
            var quantity = Int.random(in: 1...12, using: &generator)
            if quantity == subscription.quantity { quantity = quantity % 12 + 1 }
            operation.detail = "quantity \(subscription.quantity) → \(quantity)"
            try updateSubscription(subscription, ["items": [["plan": .string(subscription.plan), "quantity": .integer(quantity)]]],
                                   operation: &operation, declined: &declined)
            changed.append(subscription.id)
        case .cancelAtPeriodEnd, .resume:
            guard let subscription = account.liveSubscription(of: owner) else { break }
            try updateSubscription(subscription, ["cancel_at_period_end": .bool(operation.kind == .cancelAtPeriodEnd)],
                                   operation: &operation, declined: &declined)
            changed.append(subscription.id)
        case .cancelNow:
            guard let subscription = account.liveSubscription(of: owner) else { break }
            try cancel(subscription, operation: &operation)
        case .changeEmail:
            guard let customer = account.liveCustomer(of: owner) else { break }
            let email = "\(owner).\(operation.index)@example.com"
            operation.detail = "\(customer.email) → \(email)"
            operation.stripeIDs.append(customer.id)
            _ = try post("/v1/customers/\(customer.id)", ["email": .string(email)])
            account.update(customer: customer.id) { $0.email = email }
        case .deleteCustomer:
            guard let customer = account.liveCustomer(of: owner) else { break }
            for subscription in account.subscriptions(of: owner) where subscription.customer == customer.id && !subscription.hasEnded {
                try cancel(subscription, operation: &operation)
            }
            operation.stripeIDs.append(customer.id)
            _ = try stripe.delete("/v1/customers/" + customer.id)
            account.update(customer: customer.id) { $0.deleted = true }
        case .declineCard:
            guard let customer = account.liveCustomer(of: owner) else { break }
            operation.stripeIDs.append(customer.id)
            try setCard(Self.decliningCard, on: customer.id)
            account.update(customer: customer.id) { $0.cardDeclines = true }
        case .fixCardAndPay:
            guard let customer = account.liveCustomer(of: owner) else { break }
            operation.stripeIDs.append(customer.id)
            try setCard(Self.goodCard, on: customer.id)
            account.update(customer: customer.id) { $0.cardDeclines = false }
            if let subscription = account.liveSubscription(of: owner), let invoice = try openInvoice(of: subscription) {
                operation.detail = "paid \(invoice)"
                operation.stripeIDs += [subscription.id, invoice]
                _ = try post("/v1/invoices/\(invoice)/pay", [:])
                try refresh(subscription.id)
                changed.append(subscription.id)
            }
        case .expireIncomplete:
            guard let subscription = account.liveSubscription(of: owner), let invoice = try openInvoice(of: subscription) else { break }
            operation.detail = "voided \(invoice)"
            operation.stripeIDs += [subscription.id, invoice]
            _ = try post("/v1/invoices/\(invoice)/void", [:])
            try refresh(subscription.id)
            changed.append(subscription.id)
        case .tollgateChangeQuantity, .tollgateCancelAtPeriodEnd, .tollgateResume, .tollgateCancelNow:
            changed += try throughTollgate(&operation)
        }
        return try events(since: since, changedSubscriptions: changed, declinedInvoices: declined)
    }

    /// Keeps the account's copy of a subscription as Stripe holds it now.
    func refresh(_ subscription: String) throws {
        try record(try peer.get("/v1/subscriptions/" + subscription))
    }

    private func createCustomer(_ owner: String, metadata: Bool, declines: Bool, operation: inout ScenarioOperation) throws -> ScenarioAccount.Customer {
        let email = "\(owner).\(operation.index)@example.com"
        var form: StripeForm = ["email": .string(email)]
        if metadata { form["metadata"] = ["tollgate_customer": .string(owner)] }
        let id = try Self.id(try post("/v1/customers", form))
        operation.stripeIDs.append(id)
        try setCard(declines ? Self.decliningCard : Self.goodCard, on: id)
        let customer = ScenarioAccount.Customer(id: id, owner: owner, hasMetadata: metadata, email: email, cardDeclines: declines)
        account.add(customer)
        return customer
    }

    /// A card (as ``LocalStripePeer/customerWithCard(externalID:planID:tollgatePlan:marker:)``
    /// makes one), attached and made the customer's default payment method.
    private func setCard(_ number: String, on customer: String) throws {
        let card = try post("/v1/payment_methods", [
            "type": "card", "card": ["number": .string(number), "exp_month": 12, "exp_year": 2034, "cvc": "123"],
        ])
        let cardID = try Self.id(card)
        _ = try post("/v1/payment_methods/\(cardID)/attach", ["customer": .string(customer)])
        _ = try post("/v1/customers/\(customer)", ["invoice_settings": ["default_payment_method": .string(cardID)]])
    }

    private func subscribe(
        _ customer: ScenarioAccount.Customer, metadata: Bool, operation: inout ScenarioOperation, declined: inout [String]
    ) throws {
        let plan = plans[Int.random(in: 0..<plans.count, using: &generator)]
        let quantity = Int.random(in: 1...12, using: &generator)
        var form: StripeForm = ["customer": .string(customer.id), "items": [["plan": .string(plan.id), "quantity": .integer(quantity)]]]
        if metadata { form["metadata"] = ["tollgate_customer": .string(operation.owner)] }
        let object = try post("/v1/subscriptions", form)
        let id = try Self.id(object)
        operation.stripeIDs.append(id)
        operation.detail += (operation.detail.isEmpty ? "" : "; ") + "\(plan.id) × \(quantity)"
        let status = object["status"]?.string ?? "?"
        account.add(ScenarioAccount.Subscription(
            id: id, owner: operation.owner, customer: customer.id, hasMetadata: metadata, plan: plan.id, quantity: quantity, status: status,
            latestInvoice: object["latest_invoice"]?.id))
        if status == "incomplete", let invoice = object["latest_invoice"]?.id { declined.append(invoice) }
        if status != "active" { operation.detail += ", \(status)" }
    }

    private func updateSubscription(
        _ subscription: ScenarioAccount.Subscription, _ form: StripeForm, operation: inout ScenarioOperation, declined: inout [String]
    ) throws {
        operation.stripeIDs.append(subscription.id)
        let object = try post("/v1/subscriptions/\(subscription.id)", form)
        let invoice = object["latest_invoice"]?.id
        try record(object)
        if let invoice, invoice != subscription.latestInvoice, try isOpen(invoice) {
            declined.append(invoice)
            operation.detail += ", charge declined: \(object["status"]?.string ?? "?")"
        }
    }

    private func cancel(_ subscription: ScenarioAccount.Subscription, operation: inout ScenarioOperation) throws {
        operation.stripeIDs.append(subscription.id)
        try record(try stripe.delete("/v1/subscriptions/" + subscription.id))
    }

    /// The subscription's latest invoice when it is still open (its charge was declined).
    private func openInvoice(of subscription: ScenarioAccount.Subscription) throws -> String? {
        guard let invoice = subscription.latestInvoice, try isOpen(invoice) else { return nil }
        return invoice
    }

    private func isOpen(_ invoice: String) throws -> Bool {
        try peer.get("/v1/invoices/" + invoice)["status"]?.string == "open"
    }

    /// Keeps the account's copy of a subscription as Stripe answered it.
    func record(_ object: StripeObject) throws {
        let id = try Self.id(object)
        account.update(subscription: id) { subscription in
            subscription.status = object["status"]?.string ?? subscription.status
            subscription.cancelAtPeriodEnd = object["cancel_at_period_end"]?.bool ?? subscription.cancelAtPeriodEnd
            subscription.quantity = object["items"]?["data"]?[0]?["quantity"]?.int ?? object["quantity"]?.int ?? subscription.quantity
            subscription.plan = object["items"]?["data"]?[0]?["plan"]?["id"]?.string ?? subscription.plan
            subscription.latestInvoice = object["latest_invoice"]?.id ?? subscription.latestInvoice
        }
    }

    // MARK: Events

    /// The types delivered to Tollgate's endpoint (others are of no use to it and would only be stored).
    static func isDelivered(_ type: String) -> Bool {
        type.hasPrefix("customer.") || type.hasPrefix("invoice.")
    }

    /// localstripe's events since the second the operation started (oldest first, each once), then
    /// the fake's: `invoice.payment_failed` per declined invoice, `customer.subscription.updated`
    /// per changed subscription, each with the object as Stripe holds it now.
    private func events(since second: Int, changedSubscriptions: [String], declinedInvoices: [String]) throws -> [StripeObject] {
        var events: [StripeObject] = []
        // Only the events after the last one seen (localstripe lists oldest first; Stripe's order is
        // the reverse, so a Stripe client would page backwards from the newest instead).
        var listing: StripeForm = ["created": ["gte": .integer(second)]]
        if let lastEvent { listing["starting_after"] = .string(lastEvent) }
        let listed = try peer.list("/v1/events", listing)
        lastEvent = listed.last?.id ?? lastEvent
        for event in listed {
            guard let id = event.id, seenEvents.insert(id).inserted, let type = event["type"]?.string, Self.isDelivered(type) else { continue }
            events.append(event)
        }
        for invoice in declinedInvoices {
            events.append(addedEvent("invoice.payment_failed", object: try peer.get("/v1/invoices/" + invoice)))
        }
        for subscription in changedSubscriptions {
            events.append(addedEvent("customer.subscription.updated", object: try peer.get("/v1/subscriptions/" + subscription)))
        }
        return events
    }

    private func addedEvent(_ type: String, object: StripeObject) -> StripeObject {
        addedEvents += 1
        return .object([
            "id": .string("evt_scenario\(seed)x\(addedEvents)"), "object": .string("event"), "api_version": .string("2017-08-15"),
            "created": .integer(Int(Date().timeIntervalSince1970)), "type": .string(type), "livemode": .bool(false),
            "pending_webhooks": .integer(1), "data": .object(["object": object]),
        ])
    }

    // MARK: Calls

    private func post(_ path: String, _ form: StripeForm) throws -> StripeObject {
        calls += 1
        return try stripe.post(path, form, operation: "scenario:\(seed):\(calls)")
    }

    static func id(_ object: StripeObject) throws -> String {
        guard let id = object["id"]?.string else { throw HTTPTestClientError("a Stripe answer without an id: \(object)") }
        return id
    }
}
