import Foundation
import Testing
import Tollgate
import TollgateBilling
import TollgateEntitlements
import TollgateStore
import TollgateTestSupport
@testable import TollgateCore

/// Late and reordered deliveries across a customer's Stripe subscriptions and invoices: which
/// subscription is current is a rule over all of them (``StripeSubscriptionPrecedence``), and an
/// older invoice event never undoes a newer one's effect on the grace clock.
@Suite struct StripeEventOrderingTests {
    /// The recorded subscription (`sub_1TgAcme0000001`, created and started at t0, deleted at
    /// t0 + 1200) is the customer's old one; `sub_TgNewer` is created and started at t0 + 5000.
    static let newer = "sub_TgNewer"

    static func deliverNewerCreated(_ fixture: WebhookFixture) throws {
        try fixture.deliver("customer.subscription.created.new-shape", id: "evt_TgNewerCreated", created: WebhookFixture.t0 + 5000, [
            "data.object.id": newer, "data.object.created": WebhookFixture.t0 + 5000, "data.object.start_date": WebhookFixture.t0 + 5000,
            "data.object.items.data.0.quantity": 4,
        ])
    }

    @Test(arguments: Backend.allCases, [true, false])
    func aLateCreatedOfAnOldSubscriptionDoesNotDisplaceTheLiveOne(backend: Backend, createdBeforeDeleted: Bool) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        try Self.deliverNewerCreated(fixture)
        #expect(try applier.applyPending().applied == 1)

        let late = ["customer.subscription.created.new-shape", "customer.subscription.deleted.new-shape"]
        for name in createdBeforeDeleted ? late : late.reversed() {
            try fixture.deliver(name)
            #expect(try applier.applyPending().total == 1)
            let current = try #require(try fixture.subscription)
            #expect(current.stripeSubscriptionID == Self.newer, "after \(name)")
            #expect(current.state.status == .active, "after \(name)")
            #expect(current.state.quantity == 4, "after \(name)")
        }
    }

    @Test(arguments: Backend.allCases)
    func aNewerSubscriptionReplacesTheCurrentOneAndTheOldOneEndingChangesNothing(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        try fixture.deliver("customer.subscription.created.new-shape")
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.subscription?.stripeSubscriptionID == WebhookFixture.stripeSubscription)
        try Self.deliverNewerCreated(fixture)
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.subscription?.stripeSubscriptionID == Self.newer)
        try fixture.deliver("customer.subscription.deleted.new-shape")
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.subscription?.stripeSubscriptionID == Self.newer)
        #expect(try fixture.subscription?.state.status == .active)
        // The newer one ending hands access back to nothing else live: the customer is canceled.
        try fixture.deliver("customer.subscription.deleted.new-shape", id: "evt_TgNewerDeleted", created: WebhookFixture.t0 + 7000, [
            "data.object.id": Self.newer, "data.object.created": WebhookFixture.t0 + 5000, "data.object.start_date": WebhookFixture.t0 + 5000,
        ])
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.subscription?.stripeSubscriptionID == Self.newer)
        #expect(try fixture.subscription?.state.status == .canceled)
    }

    /// A fixed history of two subscriptions of one customer, delivered in random orders with
    /// duplicates, each delivery applied on its own: the current subscription at the end is always
    /// the one the rule picks (the newer, live one, in its last state).
    @Test(arguments: Backend.allCases)
    func anyArrivalOrderOfTwoSubscriptionsEndsOnTheSameCurrentOne(backend: Backend) throws {
        let t0 = WebhookFixture.t0
        let newer = ["data.object.id": Self.newer, "data.object.created": t0 + 5000, "data.object.start_date": t0 + 5000] as [String: Any]
        let history: [(name: String, id: String, created: Int, changes: [String: Any])] = [
            ("customer.subscription.created.new-shape", "evt_OldCreated", t0, [:]),
            ("customer.subscription.updated.new-shape", "evt_OldUpdated", t0 + 100, ["data.object.items.data.0.quantity": 2]),
            ("customer.subscription.deleted.new-shape", "evt_OldDeleted", t0 + 1200, [:]),
            ("customer.subscription.created.new-shape", "evt_NewCreated", t0 + 5000, newer),
            ("customer.subscription.updated.new-shape", "evt_NewUpdated", t0 + 6000,
             newer.merging(["data.object.items.data.0.quantity": 7, "data.object.status": "active"]) { _, new in new }),
        ]
        var generator = SeededGenerator(seed: 0x7011_6A7E_0012)
        for round in 0..<8 {
            var deliveries = history.shuffled(using: &generator)
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                let duplicate = try #require(history.randomElement(using: &generator))
                deliveries.insert(duplicate, at: Int.random(in: 0...deliveries.count, using: &generator))
            }
            let fixture = try WebhookFixture(backend)
            let applier = fixture.applier()
            for delivery in deliveries {
                try fixture.deliver(delivery.name, id: delivery.id, created: delivery.created, delivery.changes)
                try applier.applyPending()
            }
            let order = deliveries.map(\.id).joined(separator: " ")
            let current = try #require(try fixture.subscription)
            #expect(current.stripeSubscriptionID == Self.newer, "round \(round): \(order)")
            #expect(current.state.status == .active, "round \(round): \(order)")
            #expect(current.state.quantity == 7, "round \(round): \(order)")
        }
    }

    // MARK: Invoice events and the grace clock

    /// `invoice.payment_failed` (recorded at t2 = 1769907600) applied, then an older
    /// `invoice.paid` (t1 = t2 − 600) delivered late: the grace clock keeps running.
    @Test(arguments: Backend.allCases)
    func aLateOlderInvoicePaidDoesNotStopTheGraceClockOfANewerFailure(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        let failedAt = 1_769_907_600
        try fixture.deliver("customer.subscription.created.new-shape")
        try fixture.deliver("invoice.payment_failed.new-shape")
        #expect(try applier.applyPending().applied == 2)
        #expect(try fixture.subscription?.state.pastDueSince == Date(timeIntervalSince1970: TimeInterval(failedAt)))

        try fixture.deliver("invoice.paid.new-shape", created: failedAt - 600)
        #expect(try applier.applyPending().stale == 1)
        #expect(try fixture.subscription?.state.pastDueSince == Date(timeIntervalSince1970: TimeInterval(failedAt)))
        #expect(try fixture.event("evt_TgInvoicePaidNew").note?.hasPrefix("stale") == true)
    }

    /// The normal orders: paid then a newer failure starts the clock; a failure then a newer paid
    /// stops it.
    @Test(arguments: Backend.allCases)
    func invoiceEventsInOrderStillStartAndStopTheGraceClock(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        let failedAt = 1_769_907_600
        try fixture.deliver("customer.subscription.created.new-shape")
        try fixture.deliver("invoice.paid.new-shape", created: failedAt - 600)
        #expect(try applier.applyPending().applied == 2)
        try fixture.deliver("invoice.payment_failed.new-shape")
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.subscription?.state.pastDueSince == Date(timeIntervalSince1970: TimeInterval(failedAt)))
        try fixture.deliver("invoice.paid.new-shape", id: "evt_TgInvoicePaidLater", created: failedAt + 600)
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.subscription?.state.pastDueSince == nil)
    }
}
