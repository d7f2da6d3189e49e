import Foundation
import Testing
import Tollgate
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// One directed test per class of disagreement with Stripe found by the scenario runner (issue 12),
/// against the scripted Stripe account: each fails on the code before the fix.
@Suite struct StripeTruthTests {
    /// Stores one event (as the inbox would after verifying it) and applies what is due, with the
    /// fixture's Stripe configured.
    static func deliver(_ fixture: SyncFixture, id: String, type: String, created: Int, object: String) throws -> StripeEventApplier.Report {
        let payload = Array(#"{"id":"\#(id)","object":"event","type":"\#(type)","created":\#(created),"data":{"object":\#(object)}}"#.utf8)
        #expect(try StripeEventStore(database: fixture.store.database).insert(try WebhookEvent.Envelope(json: payload), payload: payload))
        return try StripeEventApplier(services: fixture.services).applyPending()
    }

    static func note(_ fixture: SyncFixture, _ id: String) throws -> String? {
        try StripeEventStore(database: fixture.store.database).find(id: id)?.record.note
    }

    // MARK: Before sync

    /// Two events of one subscription in the same second cannot be ordered by `created`: whichever
    /// is applied second is applied with Stripe's current object, so the order of arrival does not
    /// decide the outcome.
    @Test(arguments: Backend.allCases, [false, true])
    func sameSecondEventsEndOnStripesCurrentState(backend: Backend, olderArrivesLast: Bool) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_A", external: "org_a")
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "pro", quantity: 7)
        #expect(fixture.sync().report.succeeded)
        let second = Int(Date().timeIntervalSince1970) + 100
        let older = ScriptedStripeAccount.subscriptionJSON("sub_A", customer: "cus_A", plan: "pro", quantity: 4)
        let newer = ScriptedStripeAccount.subscriptionJSON("sub_A", customer: "cus_A", plan: "pro", quantity: 7)
        let deliveries = [("evt_tie_older", older), ("evt_tie_newer", newer)]
        for (id, object) in olderArrivesLast ? deliveries.reversed() : deliveries {
            #expect(try Self.deliver(fixture, id: id, type: "customer.subscription.updated", created: second, object: object).applied == 1)
        }
        #expect(try fixture.subscription("org_a")?.state.quantity == 7, "Stripe holds 7; the payload applied last must not decide")
    }

    /// A subscription whose Stripe customer is not linked yet and that carries no metadata is
    /// resolved through its Stripe customer's metadata, fetched from Stripe, at the first attempt.
    @Test(arguments: Backend.allCases)
    func anUnresolvableSubscriptionIsResolvedThroughStripesCustomer(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_A", external: "org_a")
        let object = ScriptedStripeAccount.subscriptionJSON("sub_A", customer: "cus_A", plan: "pro", quantity: 2)
        let report = try Self.deliver(fixture, id: "evt_resolve", type: "customer.subscription.created", created: 1_767_225_700, object: object)
        #expect(report.applied == 1 && report.retried == 0, "\(report)")
        #expect(try fixture.stripeCustomer("org_a") == "cus_A")
        #expect(try fixture.subscription("org_a")?.state.quantity == 2)
    }

    /// After `customer.deleted`, a late event of the deleted customer's subscription still finds
    /// the Tollgate customer (metadata) but never links the deleted Stripe customer again.
    @Test(arguments: Backend.allCases)
    func aDeletedStripeCustomerIsNeverLinkedAgain(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_A", external: "org_a")
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "pro", external: "org_a")
        #expect(fixture.sync().report.succeeded)
        #expect(try fixture.stripeCustomer("org_a") == "cus_A")
        fixture.stripe.removeCustomer("cus_A")
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "pro", status: "canceled", external: "org_a")
        let deleted = #"{"id":"cus_A","object":"customer","metadata":{"tollgate_customer":"org_a"}}"#
        let later = Int(Date().timeIntervalSince1970) + 100  // after the sync's fetch, which the ordering guard recorded
        #expect(try Self.deliver(fixture, id: "evt_cus_deleted", type: "customer.deleted", created: later, object: deleted).applied == 1)
        #expect(try fixture.stripeCustomer("org_a") == nil)

        let late = try #require(fixture.stripe.subscription("sub_A"))
        #expect(try Self.deliver(fixture, id: "evt_late_sub", type: "customer.subscription.deleted", created: later, object: late).applied == 1)
        #expect(try fixture.stripeCustomer("org_a") == nil, "the deleted Stripe customer was linked again")
        #expect(try fixture.subscription("org_a")?.state.status == .canceled)
        let customerEvent = #"{"id":"cus_A","object":"customer","email":"old@example.com","metadata":{"tollgate_customer":"org_a"}}"#
        _ = try Self.deliver(fixture, id: "evt_late_customer", type: "customer.updated", created: 1_767_200_000, object: customerEvent)
        #expect(try fixture.stripeCustomer("org_a") == nil)
    }

    /// Current Stripe shapes: an Accounts v2 customer (`customer_account`, no `customer`) is
    /// linked like a customer, and under flexible billing the period spans every item's.
    @Test(arguments: Backend.allCases)
    func anAccountCustomerAndItemsWithTheirOwnPeriodsAreRead(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        let object = """
            {"id":"sub_acct","object":"subscription","customer":null,"customer_account":"acct_A","status":"active","created":1767225600,\
            "cancel_at_period_end":false,"trial_end":null,"metadata":{"tollgate_customer":"org_a"},"items":{"object":"list","data":[\
            {"id":"si_1","quantity":2,"current_period_start":1767225600,"current_period_end":1769904000,"price":{"lookup_key":"pro"}},\
            {"id":"si_2","quantity":1,"current_period_start":1767139200,"current_period_end":1769990400,"price":{"lookup_key":"pro"}}]}}
            """
        let later = Int(Date().timeIntervalSince1970)
        #expect(try Self.deliver(fixture, id: "evt_acct", type: "customer.subscription.created", created: later, object: object).applied == 1)
        #expect(try fixture.stripeCustomer("org_a") == "acct_A")
        let state = try #require(try fixture.subscription("org_a")).state
        #expect(state.quantity == 2)
        #expect(state.currentPeriodStart == Date(timeIntervalSince1970: 1_767_139_200))
        #expect(state.currentPeriodEnd == Date(timeIntervalSince1970: 1_769_990_400))
        // `GET /v1/customers` does not list an Account: sync keeps the link (and does not take it for deleted).
        fixture.stripe.setSubscription("sub_acct", customer: "acct_A", plan: "pro", quantity: 2, external: "org_a")
        let (report, _) = fixture.sync()
        #expect(report.succeeded, "\(report)")
        #expect(try fixture.stripeCustomer("org_a") == "acct_A")
    }

    // MARK: After sync

    /// `customer.deleted` was dropped and the customer signed up again as a new Stripe customer whose
    /// subscription has no metadata: sync moves the link from the deleted customer to the new one
    /// and mirrors its subscription.
    @Test(arguments: Backend.allCases)
    func syncMovesTheLinkFromADeletedStripeCustomerToTheNewOne(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_old", external: "org_a")
        fixture.stripe.setSubscription("sub_old", customer: "cus_old", plan: "pro")
        #expect(fixture.sync().report.succeeded)
        fixture.stripe.removeCustomer("cus_old")
        fixture.stripe.setSubscription("sub_old", customer: "cus_old", plan: "pro", status: "canceled")
        fixture.stripe.setCustomer("cus_new", external: "org_a", created: 1_767_400_000)
        fixture.stripe.setSubscription("sub_new", customer: "cus_new", plan: "enterprise", created: 1_767_400_000)

        let (report, _) = fixture.sync()
        #expect(report.succeeded, "\(report)")
        #expect(report.changes.map(\.kind) == [.customerLinked, .subscriptionUpdated], "\(report.changes)")
        #expect(report.changes.first?.reason == "cus_old was deleted in Stripe")
        #expect(try fixture.stripeCustomer("org_a") == "cus_new")
        let current = try #require(try fixture.subscription("org_a"))
        #expect(current.stripeSubscriptionID == "sub_new" && current.state.planKey == "enterprise" && current.state.status == .active)
        #expect(try fixture.entitlementAllowed("org_a", "sso"), "enterprise grants sso")
        #expect(fixture.sync().report.changes.isEmpty)
    }

    /// The customer was unlinked (its Stripe customer deleted) and the cancellation's webhook has no
    /// metadata: both the webhook and sync find the subscription through Tollgate's own record.
    @Test(arguments: Backend.allCases, [true, false])
    func aCancellationAfterTheUnlinkApplies(backend: Backend, throughSync: Bool) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_A", external: "org_a")
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "enterprise")
        #expect(fixture.sync().report.succeeded)
        let deleted = #"{"id":"cus_A","object":"customer","metadata":{}}"#
        let later = Int(Date().timeIntervalSince1970) + 100  // after the sync's fetch, which the ordering guard recorded
        #expect(try Self.deliver(fixture, id: "evt_unlink", type: "customer.deleted", created: later, object: deleted).applied == 1)
        fixture.stripe.removeCustomer("cus_A")
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "enterprise", status: "canceled")

        if throughSync {
            let (report, _) = fixture.sync()
            #expect(report.succeeded && report.changes.map(\.kind) == [.subscriptionCanceled], "\(report)")
        } else {
            let object = try #require(fixture.stripe.subscription("sub_A"))
            let report = try Self.deliver(fixture, id: "evt_cancel", type: "customer.subscription.deleted", created: later + 1, object: object)
            #expect(report.applied == 1, "\(report)")
        }
        #expect(try fixture.subscription("org_a")?.state.status == .canceled)
        #expect(try !fixture.entitlementAllowed("org_a", "sso"))
    }

    /// Email drifted while `customer.updated` was lost: sync repairs it.
    @Test(arguments: Backend.allCases)
    func syncRepairsEmailDrift(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_A", external: "org_a", email: "first@example.com")
        #expect(fixture.sync().report.succeeded)
        #expect(try fixture.services.customers.get(externalID: "org_a").email == "first@example.com")
        fixture.stripe.setCustomer("cus_A", external: "org_a", email: "second@example.com")
        let (report, _) = fixture.sync()
        #expect(report.changes.map(\.summary) == ["customer_updated org_a (cus_A): email first@example.com → second@example.com"])
        #expect(try fixture.services.customers.get(externalID: "org_a").email == "second@example.com")
        #expect(fixture.sync().report.changes.isEmpty)
    }

    /// Two subscriptions of one customer change in one run: the dry run reports exactly what the
    /// real run then does.
    @Test(arguments: Backend.allCases)
    func dryRunEqualsTheRealRunWhenTwoSubscriptionsOfOneCustomerChange(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_A", external: "org_a")
        fixture.stripe.setSubscription("sub_1", customer: "cus_A", plan: "pro")
        #expect(fixture.sync().report.succeeded)
        fixture.stripe.setSubscription("sub_1", customer: "cus_A", plan: "pro", status: "canceled")
        fixture.stripe.setSubscription("sub_2", customer: "cus_A", plan: "enterprise", quantity: 3, created: 1_767_500_000)

        let before = try fixture.snapshot()
        let (dry, _) = fixture.sync(dryRun: true)
        #expect(try fixture.snapshot() == before)
        let (real, _) = fixture.sync()
        #expect(real.succeeded && dry.changes == real.changes, "dry \(dry.changes)\nreal \(real.changes)")
        #expect(real.changes.map(\.summary) == [
            "subscription_updated org_a (sub_2): plan pro → enterprise, quantity 1 → 3, stripe_subscription_id sub_1 → sub_2",
        ])
    }
}
