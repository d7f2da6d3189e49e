import Foundation
import Synchronization
import Testing
import Tollgate
@testable import TollgateBilling
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateStripe
import TollgateTestSupport
import TollgateBase

extension BillingFixture {
    static let stripeCustomer = "cus_FakeAcme"

    /// Links `org_acme` to ``stripeCustomer`` (what `checkout.session.completed` does).
    func linkCustomer() throws {
        let customer = try services.customers.get(externalID: "org_acme")
        try services.database.transaction { connection in
            try CustomerRepository.link(customer, stripeCustomerID: Self.stripeCustomer, on: connection, now: Date())
        }
    }

    /// Pushes the catalog, links the customer, makes a Stripe subscription on `lookupKey` in the
    /// fake and lets its `customer.subscription.created` webhook create the local one.
    func subscribed(lookupKey: String = "tollgate:pro:month:usd", quantity: Int = 2) throws -> String {
        _ = try push()
        try linkCustomer()
        let id = try fake.addSubscription(customer: Self.stripeCustomer, lookupKey: lookupKey, quantity: quantity)
        try deliverWebhook(for: id, type: "customer.subscription.created")
        return id
    }

    /// Stripe's webhook for the subscription as the fake now holds it, signed, received and applied.
    func deliverWebhook(for subscription: String, type: String = "customer.subscription.updated") throws {
        let sequence = EventSequence.next()
        let payload = try fake.subscriptionEvent(subscription, type: type, eventID: "evt_billing_\(sequence)", created: 1_800_000_000 + sequence)
        let header = WebhookSignature.header(payload: payload, timestamp: Int64(Date().timeIntervalSince1970), secrets: [Self.webhookSecret])
        _ = try services.webhooks.receive(payload: payload, signatureHeader: header)
        let report = try StripeEventApplier(services: services).applyPending()
        #expect(report.applied == 1, "the webhook was applied: \(report)")
    }

    var local: Subscription? { get throws { try services.subscriptions.current(customer: "org_acme") } }
}

/// Increasing event numbers across tests (each event's `created` must be newer than the last).
enum EventSequence {
    private static let counter = Mutex(0)
    static func next() -> Int { counter.withLock { $0 += 1; return $0 } }
}

@Suite struct StripeBillingTests {
    static let success = "https://app.example/billing/done"
    static let cancel = "https://app.example/billing"

    @Test(arguments: Backend.allCases)
    func checkoutCarriesTheCustomerTheTrialAndThePlansPrice(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        _ = try fixture.push()
        let stripe = try #require(fixture.services.stripe)
        let monthlyID = try #require(try stripe.get("/v1/prices", ["lookup_keys": ["tollgate:pro:month:usd"]])["data"]?[0]?.id)
        let yearlyID = try #require(try stripe.get("/v1/prices", ["lookup_keys": ["tollgate:pro:year:usd"]])["data"]?[0]?.id)
        fixture.fake.clearRequests()

        let session = try fixture.services.billing.checkout(customer: "org_acme", CheckoutRequest(plan: "pro", successURL: Self.success, cancelURL: Self.cancel))
        #expect(session.id.hasPrefix("cs_test"))
        #expect(session.url.hasPrefix("https://checkout.stripe.com/"))
        let request = try #require(fixture.writes("POST", "/v1/checkout/sessions").first)
        #expect(request["mode"] == "subscription")
        #expect(request["client_reference_id"] == "org_acme")
        #expect(request["customer_email"] == "billing@acme.example")
        #expect(request["customer"] == nil)
        #expect(request["line_items[0][price]"] == monthlyID)
        #expect(request["line_items[0][quantity]"] == "1")
        #expect(request["subscription_data[trial_period_days]"] == "14")
        #expect(request["subscription_data[metadata][tollgate_customer]"] == "org_acme")
        #expect(request["metadata[tollgate_customer]"] == "org_acme")
        #expect(request["success_url"] == Self.success)
        #expect(request["cancel_url"] == Self.cancel)
        #expect(request.idempotencyKey?.hasPrefix("tollgate-") == true)

        // Linked: the Stripe customer instead of the email; the yearly price; a plan without a trial sends none.
        try fixture.linkCustomer()
        _ = try fixture.services.billing.checkout(
            customer: "org_acme", CheckoutRequest(plan: "pro", interval: .year, quantity: 3, successURL: Self.success, cancelURL: Self.cancel))
        let linked = try #require(fixture.writes("POST", "/v1/checkout/sessions").last)
        #expect(linked["customer"] == BillingFixture.stripeCustomer)
        #expect(linked["customer_email"] == nil)
        #expect(linked["line_items[0][price]"] == yearlyID)
        #expect(linked["line_items[0][quantity]"] == "3")
        _ = try fixture.services.billing.checkout(customer: "org_acme", CheckoutRequest(plan: "enterprise", successURL: Self.success, cancelURL: Self.cancel))
        #expect(fixture.writes("POST", "/v1/checkout/sessions").last?["subscription_data[trial_period_days]"] == nil)
        #expect(try fixture.local == nil, "checkout writes nothing locally")
    }

    @Test(arguments: Backend.allCases)
    func checkoutRefusesWhatStripeCannotSell(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let request = CheckoutRequest(plan: "pro", successURL: Self.success, cancelURL: Self.cancel)
        #expect(throws: BillingError.self) { try fixture.services.billing.checkout(customer: "org_acme", request) }  // not pushed
        _ = try fixture.push()
        #expect(throws: DomainError.unknownCustomer("ghost")) { try fixture.services.billing.checkout(customer: "ghost", request) }
        #expect(throws: DomainError.self) { try fixture.services.billing.checkout(customer: "org_acme", CheckoutRequest(plan: "free", successURL: Self.success, cancelURL: Self.cancel)) }
        #expect(throws: DomainError.self) { try fixture.services.billing.checkout(customer: "org_acme", CheckoutRequest(plan: "pro", successURL: "javascript:alert(1)", cancelURL: Self.cancel)) }
        // The catalog changed and was not pushed: Stripe's price is not the catalog's.
        try fixture.applyCatalog { catalog in
            let pro = catalog.planIndex("pro")
            catalog.plans[pro].prices[catalog.plans[pro].prices.firstIndex { $0.interval == .month } ?? 0].unitAmount = 5900
        }
        let error = #expect(throws: BillingError.self) { try fixture.services.billing.checkout(customer: "org_acme", request) }
        #expect(error?.code == .priceNotInStripe)
        #expect(fixture.writes("POST", "/v1/checkout/sessions").isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func portalRequiresALinkedCustomer(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let error = #expect(throws: BillingError.self) { try fixture.services.billing.portal(customer: "org_acme", returnURL: Self.cancel) }
        #expect(error?.code == .noStripeCustomer)
        #expect(fixture.fake.requests.isEmpty)

        try fixture.linkCustomer()
        let session = try fixture.services.billing.portal(customer: "org_acme", returnURL: Self.cancel)
        #expect(session.url.hasPrefix("https://billing.stripe.com/"))
        let request = try #require(fixture.writes("POST", "/v1/billing_portal/sessions").first)
        #expect(request["customer"] == BillingFixture.stripeCustomer)
        #expect(request["return_url"] == Self.cancel)
    }

    @Test(arguments: Backend.allCases)
    func planChangeSendsTheItemThePriceAndTheProrationAndChangesNothingLocallyUntilTheWebhook(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let subscription = try fixture.subscribed()
        let before = try #require(try fixture.local)
        #expect(before.state.planKey == "pro")
        #expect(before.state.quantity == 2)
        #expect(before.stripeSubscriptionID == subscription)
        let yearlyEnterprise = try #require(try fixture.services.stripe?.get("/v1/prices", ["lookup_keys": ["tollgate:enterprise:year:usd"]])["data"]?[0]?.id)
        fixture.fake.clearRequests()

        let update = try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(plan: "enterprise", prorationBehavior: .alwaysInvoice))
        #expect(update.lookupKey == "tollgate:enterprise:year:usd")
        #expect(update.localState == "pending_webhook")
        let request = try #require(fixture.writes("POST", "/v1/subscriptions/\(subscription)").first)
        #expect(request["items[0][id]"]?.hasPrefix("si_") == true)
        #expect(request["items[0][price]"] == yearlyEnterprise)
        #expect(request["items[0][quantity]"] == nil)
        #expect(request["proration_behavior"] == "always_invoice")
        #expect(request["metadata[tollgate_plan]"] == "enterprise")
        #expect(try fixture.local == before, "nothing changes locally before Stripe's webhook")

        try fixture.deliverWebhook(for: subscription)
        let after = try #require(try fixture.local)
        #expect(after.state.planKey == "enterprise")
        #expect(after.state.quantity == 2)
        #expect(try fixture.services.subscriptions.history(customer: "org_acme").map(\.source) == ["stripe", "stripe"])
    }

    @Test(arguments: Backend.allCases)
    func quantityChangeSendsOnlyTheItemQuantity(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let subscription = try fixture.subscribed()
        fixture.fake.clearRequests()

        let update = try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(quantity: 7, prorationBehavior: .noProration))
        #expect(update.quantity == 7)
        let request = try #require(fixture.writes("POST", "/v1/subscriptions/\(subscription)").first)
        #expect(request["items[0][quantity]"] == "7")
        #expect(request["items[0][price]"] == nil)
        #expect(request["proration_behavior"] == "none")
        // Without a behaviour none is sent: Stripe's default (create_prorations) applies.
        _ = try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(quantity: 8))
        #expect(fixture.writes("POST", "/v1/subscriptions/\(subscription)").last?["proration_behavior"] == nil)
        #expect(try fixture.local?.state.quantity == 2)
        try fixture.deliverWebhook(for: subscription)
        #expect(try fixture.local?.state.quantity == 8)
        #expect(throws: DomainError.self) { try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest()) }
    }

    @Test(arguments: Backend.allCases)
    func cancelAtPeriodEndResumeAndCancelNowFollowStripe(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let subscription = try fixture.subscribed()
        fixture.fake.clearRequests()

        let ending = try fixture.services.billing.cancel(customer: "org_acme", atPeriodEnd: true, idempotencyKey: "client-key-1")
        #expect(ending.cancelAtPeriodEnd)
        // A repeat with the caller's key is the same operation: the same idempotency key.
        _ = try fixture.services.billing.cancel(customer: "org_acme", atPeriodEnd: true, idempotencyKey: "client-key-1")
        let cancels = fixture.writes("POST", "/v1/subscriptions/\(subscription)")
        #expect(cancels.map { $0["cancel_at_period_end"] } == ["true", "true"])
        #expect(cancels[0].idempotencyKey == cancels[1].idempotencyKey)
        #expect(fixture.fake.appliedWrites.count == 1, "the repeat was replayed by Stripe")
        #expect(try fixture.local?.state.cancelAtPeriodEnd == false)
        try fixture.deliverWebhook(for: subscription)
        #expect(try fixture.local?.state.cancelAtPeriodEnd == true)

        let resumed = try fixture.services.billing.resume(customer: "org_acme")
        #expect(!resumed.cancelAtPeriodEnd)
        #expect(fixture.writes("POST", "/v1/subscriptions/\(subscription)").last?["cancel_at_period_end"] == "false")
        try fixture.deliverWebhook(for: subscription)
        #expect(try fixture.local?.state.cancelAtPeriodEnd == false)

        // Without the caller's key, cancelling at period end again is a new operation with a new key.
        _ = try fixture.services.billing.cancel(customer: "org_acme", atPeriodEnd: true)
        #expect(fixture.writes("POST", "/v1/subscriptions/\(subscription)").last?.idempotencyKey != cancels[0].idempotencyKey)

        let canceled = try fixture.services.billing.cancel(customer: "org_acme", atPeriodEnd: false)
        #expect(canceled.status == "canceled")
        let delete = try #require(fixture.writes("DELETE", "/v1/subscriptions/\(subscription)").first)
        #expect(delete.idempotencyKey?.hasPrefix("tollgate-") == true)
        #expect(try fixture.local?.state.status == .active)
        try fixture.deliverWebhook(for: subscription, type: "customer.subscription.deleted")
        #expect(try fixture.local?.state.status == .canceled)
    }

    /// A change, its reverse and the change again, with no webhook in between, are three Stripe
    /// operations. The fake keeps each `Idempotency-Key`'s first answer as Stripe does, so a key
    /// derived from the local subscription (unchanged until a webhook lands) would make the third
    /// change a replay of the first: Stripe left on the second plan while Tollgate answered 202.
    @Test(arguments: Backend.allCases)
    func aChangeItsReverseAndTheChangeAgainBeforeAnyWebhookAreThreeStripeOperations(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let subscription = try fixture.subscribed(lookupKey: "tollgate:enterprise:year:usd", quantity: 3)
        fixture.fake.clearRequests()

        for plan in ["pro", "enterprise", "pro"] {
            let update = try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(plan: plan))
            #expect(update.lookupKey == "tollgate:\(plan):year:usd")
        }
        let changes = fixture.writes("POST", "/v1/subscriptions/\(subscription)")
        #expect(changes.count == 3)
        #expect(Set(changes.compactMap(\.idempotencyKey)).count == 3, "three operations, three keys")
        #expect(fixture.fake.appliedWrites.count == 3, "none was a replay")
        #expect(fixture.fake.subscriptionState(subscription)?.lookupKey == "tollgate:pro:year:usd", "Stripe ends on the last change")
        #expect(try fixture.local?.state.planKey == "enterprise", "nothing local before the webhook")
        try fixture.deliverWebhook(for: subscription)
        #expect(try fixture.local?.state.planKey == "pro")
    }

    /// The caller's own key, scoped to the operation and the customer: one key per request, the
    /// same on a repeat, and never shared by two operations or two customers.
    @Test(arguments: Backend.allCases)
    func theCallersKeyMakesARepeatOneStripeOperation(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let subscription = try fixture.subscribed()
        fixture.fake.clearRequests()

        _ = try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(quantity: 5), idempotencyKey: "k-1")
        _ = try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(quantity: 5), idempotencyKey: "k-1")
        _ = try fixture.services.billing.cancel(customer: "org_acme", atPeriodEnd: true, idempotencyKey: "k-1")
        let writes = fixture.writes("POST", "/v1/subscriptions/\(subscription)")
        #expect(writes.count == 3)
        #expect(writes[0].idempotencyKey == writes[1].idempotencyKey)
        #expect(writes[2].idempotencyKey != writes[0].idempotencyKey, "another operation with the same caller key")
        #expect(fixture.fake.appliedWrites.count == 2, "the repeated change was replayed")
        #expect(fixture.fake.subscriptionState(subscription)?.quantity == 5)
        #expect(fixture.fake.subscriptionState(subscription)?.cancelAtPeriodEnd == true)

        let a = try StripeBilling.operation("subscription.change", customer: "org_a", callerKey: "k")
        #expect(a == (try StripeBilling.operation("subscription.change", customer: "org_a", callerKey: "k")))
        #expect(a != (try StripeBilling.operation("subscription.change", customer: "org_b", callerKey: "k")))
        #expect(a != (try StripeBilling.operation("subscription.resume", customer: "org_a", callerKey: "k")))
        // Separators in ids and keys cannot make two identities equal.
        #expect((try StripeBilling.operation("x", customer: "a|1:b", callerKey: "c"))
                != (try StripeBilling.operation("x", customer: "a", callerKey: "b|1:c")))
        #expect((try StripeBilling.operation("x", customer: "a", callerKey: nil)) != (try StripeBilling.operation("x", customer: "a", callerKey: nil)))
    }

    /// Webhooks lag: the local row still names the old subscription, which Stripe has canceled,
    /// while the customer's new one is active in Stripe. The change goes to the new one.
    @Test(arguments: Backend.allCases)
    func aChangeActsOnStripesCurrentSubscriptionWhenTheLocalOneIsStale(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let old = try fixture.subscribed()
        try fixture.fake.setStatus("canceled", of: old)
        let new = try fixture.fake.addSubscription(customer: BillingFixture.stripeCustomer, lookupKey: "tollgate:pro:month:usd", quantity: 2)
        #expect(try fixture.local?.stripeSubscriptionID == old, "no webhook has said so")
        fixture.fake.clearRequests()

        let update = try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(quantity: 4))
        #expect(update.stripeSubscriptionID == new)
        #expect(fixture.writes("POST", "/v1/subscriptions/\(new)").count == 1)
        #expect(fixture.writes("POST", "/v1/subscriptions/\(old)").isEmpty)
        let listing = try #require(fixture.fake.requests.first { $0.method == "GET" && $0.path == "/v1/subscriptions" })
        #expect(listing["customer"] == BillingFixture.stripeCustomer)
        #expect(listing["status"] == "all")
        _ = try fixture.services.billing.cancel(customer: "org_acme", atPeriodEnd: true)
        _ = try fixture.services.billing.resume(customer: "org_acme")
        #expect(fixture.writes("POST", "/v1/subscriptions/\(new)").count == 3)
        #expect(fixture.writes("POST", "/v1/subscriptions/\(old)").isEmpty)
    }

    /// Checkout linked the customer, Stripe made the subscription, its webhook has not arrived:
    /// the change works (before, 409 no_stripe_subscription).
    @Test(arguments: Backend.allCases)
    func aChangeWorksBeforeTheSubscriptionsWebhookArrives(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        _ = try fixture.push()
        try fixture.linkCustomer()
        let subscription = try fixture.fake.addSubscription(customer: BillingFixture.stripeCustomer, lookupKey: "tollgate:pro:month:usd", quantity: 2)
        #expect(try fixture.local == nil)

        let update = try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(quantity: 3))
        #expect(update.stripeSubscriptionID == subscription)
        #expect(fixture.fake.subscriptionState(subscription)?.quantity == 3)
    }

    /// Linked: Stripe decides. Only ended subscriptions → nothing to change (409) and checkout is
    /// open, whatever the local row says; a live one in Stripe → checkout refused even before its
    /// webhook.
    @Test(arguments: Backend.allCases)
    func forALinkedCustomerStripeSaysWhetherThereIsASubscription(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let old = try fixture.subscribed()
        try fixture.fake.setStatus("canceled", of: old)
        #expect(try fixture.local?.state.status == .active, "the deletion's webhook is late")

        let error = #expect(throws: BillingError.self) { try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(quantity: 2)) }
        #expect(error?.code == .noStripeSubscription)
        #expect(fixture.fake.appliedWrites.filter { $0.path.hasPrefix("/v1/subscriptions") }.isEmpty)
        let request = CheckoutRequest(plan: "pro", successURL: Self.success, cancelURL: Self.cancel)
        _ = try fixture.services.billing.checkout(customer: "org_acme", request)

        _ = try fixture.fake.addSubscription(customer: BillingFixture.stripeCustomer, lookupKey: "tollgate:pro:month:usd", status: "trialing")
        let refused = #expect(throws: BillingError.self) { try fixture.services.billing.checkout(customer: "org_acme", request) }
        #expect(refused?.code == .alreadySubscribed)
    }

    @Test(arguments: Backend.allCases)
    func subscriptionChangesNeedAStripeSubscriptionAndAConfiguredStripe(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        _ = try fixture.services.subscriptions.set(customer: "org_acme", SubscriptionChange(plan: "pro", status: .active), source: "api")
        let error = #expect(throws: BillingError.self) { try fixture.services.billing.cancel(customer: "org_acme", atPeriodEnd: true) }
        #expect(error?.code == .noStripeSubscription)

        let unconfigured = try BillingFixture(backend, stripeConfigured: false)
        #expect(throws: BillingError.notConfigured) { try unconfigured.services.billing.resume(customer: "org_acme") }
        #expect(throws: BillingError.notConfigured) {
            try unconfigured.services.billing.checkout(customer: "org_acme", CheckoutRequest(plan: "pro", successURL: Self.success, cancelURL: Self.cancel))
        }
    }

    @Test(arguments: Backend.allCases)
    func stripeRefusalsKeepStripesDetailsAndNeverTheKey(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        _ = try fixture.subscribed()
        fixture.fake.fail("POST", "/v1/subscriptions/", status: 400, type: "invalid_request_error", code: "parameter_invalid_integer",
                          message: "bad quantity; you sent {{authorization}}")
        let error = #expect(throws: StripeError.self) { try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(quantity: 3)) }
        #expect(error?.status == 400)
        #expect(error?.code == "parameter_invalid_integer")
        #expect(error.map { !"\($0)".contains(BillingFixture.apiKey) } == true)
        #expect(!fixture.logs.lines.joined().contains(BillingFixture.apiKey))
        #expect(try fixture.local?.state.quantity == 2)
    }
}
