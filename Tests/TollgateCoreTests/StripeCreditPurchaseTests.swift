import Foundation
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
    static let pool = "ai_credits"

    /// The example catalog with a credit pool selling a 1,000-credit pack (365 days) and a
    /// 100-credit pack (never expiring).
    func withCreditPool() throws {
        try applyCatalog { catalog in
            catalog.creditPools = [CreditPool(key: Self.pool, name: "AI credits", packs: [
                CreditPack(key: "pack_1000", credits: 1000, unitAmount: 1000, currency: "usd", expiresAfterDays: 365),
                CreditPack(key: "pack_100", credits: 100, unitAmount: 200, currency: "usd"),
            ])]
        }
    }

    /// Signs `payload` as Stripe would (the fake's signer), hands it to the inbox and applies what is pending.
    @discardableResult
    func deliver(_ payload: [UInt8]) throws -> (WebhookReceipt, StripeEventApplier.Report) {
        let receipt = try services.webhooks.receive(payload: payload, signatureHeader: FakeStripeBilling.signed(payload, secret: Self.webhookSecret))
        return (receipt, try StripeEventApplier(services: services).applyPending())
    }

    func account(_ customer: String = "org_acme") throws -> CreditAccount? {
        try services.entitlements.credits.accounts(customer: customer).first { $0.pool == Self.pool }
    }

    func event(_ name: String) -> (id: String, created: Int) {
        let sequence = EventSequence.next()
        return ("evt_credit_\(name)_\(sequence)_\(UUID().uuidString.prefix(8))", 1_800_000_000 + sequence)
    }

    /// A pack bought through checkout and its `checkout.session.completed` applied: the session and PaymentIntent ids.
    func boughtPack(_ pack: String = "pack_1000", paid: Bool = true) throws -> (session: String, intent: String) {
        let session = try services.billing.creditCheckout(
            customer: "org_acme", CreditCheckoutRequest(pool: Self.pool, pack: pack, successURL: StripeBillingTests.success, cancelURL: StripeBillingTests.cancel))
        let intent = try fake.completeCheckout(session.id, paid: paid)
        let (id, created) = event("completed")
        try deliver(try fake.checkoutSessionEvent(session.id, eventID: id, created: created))
        return (session.id, intent)
    }

    func ledger(cause: CreditCause) throws -> [CreditLedgerEntry] {
        try services.entitlements.credits.ledger(customer: "org_acme", pool: Self.pool, cause: cause, limit: 100)
    }
}

@Suite struct StripeCreditPurchaseTests {
    @Test(arguments: Backend.allCases)
    func packCheckoutIsAPaymentSessionThatSavesTheCard(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        try fixture.withCreditPool()
        let request = CreditCheckoutRequest(pool: BillingFixture.pool, pack: "pack_1000", successURL: StripeBillingTests.success, cancelURL: StripeBillingTests.cancel)

        let session = try fixture.services.billing.creditCheckout(customer: "org_acme", request, idempotencyKey: "api:key_1:req-1")
        let again = try fixture.services.billing.creditCheckout(customer: "org_acme", request, idempotencyKey: "api:key_1:req-1")
        #expect(again.id == session.id, "one caller key, one Stripe operation")
        #expect(session.url.hasPrefix("https://checkout.stripe.com/"))
        let sent = fixture.writes("POST", "/v1/checkout/sessions")
        #expect(sent.count == 2 && sent[0].idempotencyKey != nil && sent[0].idempotencyKey == sent[1].idempotencyKey)
        #expect(fixture.fake.appliedWrites.count == 1)
        let form = try #require(sent.first)
        #expect(form["mode"] == "payment")
        #expect(form["line_items[0][price_data][currency]"] == "usd")
        #expect(form["line_items[0][price_data][unit_amount]"] == "1000")
        #expect(form["line_items[0][price_data][product_data][name]"] == "AI credits: 1000 credits (pack_1000)")
        #expect(form["line_items[0][quantity]"] == "1")
        #expect(form["metadata[tollgate_customer]"] == "org_acme")
        #expect(form["metadata[tollgate_credit_pool]"] == "ai_credits")
        #expect(form["metadata[tollgate_credit_pack]"] == "pack_1000")
        #expect(form["payment_intent_data[setup_future_usage]"] == "off_session")
        #expect(form["payment_intent_data[metadata][tollgate_credit_source]"] == "purchase")
        #expect(form["client_reference_id"] == "org_acme")
        #expect(form["customer_creation"] == "always")
        #expect(form["customer_email"] == "billing@acme.example")
        #expect(form["customer"] == nil)

        try fixture.linkCustomer()
        fixture.fake.clearRequests()
        _ = try fixture.services.billing.creditCheckout(customer: "org_acme", request)
        let linked = try #require(fixture.writes("POST", "/v1/checkout/sessions").first)
        #expect(linked["customer"] == BillingFixture.stripeCustomer)
        #expect(linked["customer_creation"] == nil && linked["customer_email"] == nil)

        #expect(throws: DomainError.self) {
            try fixture.services.billing.creditCheckout(
                customer: "org_acme", CreditCheckoutRequest(pool: BillingFixture.pool, pack: "pack_none", successURL: StripeBillingTests.success, cancelURL: StripeBillingTests.cancel))
        }
        #expect(fixture.writes("POST", "/v1/checkout/sessions").count == 1, "an unknown pack reaches no Stripe")
    }

    @Test(arguments: Backend.allCases)
    func paidSessionAddsThePackOnceWhateverTheDeliveries(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        try fixture.withCreditPool()
        let session = try fixture.services.billing.creditCheckout(
            customer: "org_acme", CreditCheckoutRequest(pool: BillingFixture.pool, pack: "pack_1000", successURL: StripeBillingTests.success, cancelURL: StripeBillingTests.cancel))
        try fixture.fake.completeCheckout(session.id)
        // Two events for the one session (Stripe's retry with a new id, a replay), delivered newest first, each twice.
        let first = fixture.event("completed")
        let second = fixture.event("completed")
        let older = try fixture.fake.checkoutSessionEvent(session.id, eventID: first.id, created: first.created)
        let newer = try fixture.fake.checkoutSessionEvent(session.id, eventID: second.id, created: second.created)
        let (_, applied) = try fixture.deliver(newer)
        #expect(applied.applied == 1)
        let (duplicate, _) = try fixture.deliver(newer)
        #expect(duplicate.duplicate)
        try fixture.deliver(older)
        try fixture.deliver(older)
        try fixture.deliver(Array(try fixture.fake.checkoutSessionEvent(
            session.id, type: "checkout.session.async_payment_succeeded", eventID: fixture.event("async").id, created: second.created + 1)))

        let account = try #require(try fixture.account())
        #expect(account.balance == 1000)
        #expect(account.blocks.count == 1)
        let block = try #require(account.blocks.first)
        #expect(block.source == .purchase && block.reference == session.id && block.amount == 1000)
        // The session's `created` (the fake's) plus the pack's 365 days.
        let created = try #require(try fixture.services.stripe?.get("/v1/checkout/sessions/\(session.id)")["created"]?.date)
        #expect(block.expiresAt == created.addingTimeInterval(365 * 86_400))
        #expect(try fixture.ledger(cause: .added).count == 1)
        // Checkout made the Stripe customer; the session linked it.
        #expect(try fixture.services.customers.get(externalID: "org_acme").stripeCustomerID?.hasPrefix("cus_Fake") == true)
    }

    @Test(arguments: Backend.allCases)
    func unpaidSessionWaitsForTheAsyncPayment(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        try fixture.withCreditPool()
        let (session, _) = try fixture.boughtPack(paid: false)
        #expect(try fixture.account()?.balance == 0, "a completed session whose payment is pending adds nothing")

        try fixture.fake.settleAsyncPayment(session)
        let paid = fixture.event("async")
        let payload = try fixture.fake.checkoutSessionEvent(session, type: "checkout.session.async_payment_succeeded", eventID: paid.id, created: paid.created)
        try fixture.deliver(payload)
        #expect(try fixture.account()?.balance == 1000)
        let replay = fixture.event("async")
        try fixture.deliver(try fixture.fake.checkoutSessionEvent(session, type: "checkout.session.async_payment_succeeded", eventID: replay.id, created: replay.created))
        #expect(try fixture.account()?.balance == 1000)
        #expect(try fixture.account()?.blocks.count == 1)
    }

    @Test(arguments: Backend.allCases)
    func fullRefundTakesBackWhatIsLeftOncePartialTakesNothing(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        try fixture.withCreditPool()
        let (_, intent) = try fixture.boughtPack()
        let credits = fixture.services.entitlements.credits
        let hold = try credits.placeHold(customer: "org_acme", pool: BillingFixture.pool, amount: 300)
        _ = try credits.settleHold(customer: "org_acme", id: hold.hold.id, commit: 300)
        #expect(try fixture.account()?.balance == 700)

        try fixture.fake.refund(paymentIntent: intent, amount: 400)
        let partial = fixture.event("refund")
        try fixture.deliver(try fixture.fake.chargeEvent(paymentIntent: intent, eventID: partial.id, created: partial.created))
        #expect(try fixture.account()?.balance == 700, "a partial refund takes nothing back")

        try fixture.fake.refund(paymentIntent: intent)
        let full = fixture.event("refund")
        let fullPayload = try fixture.fake.chargeEvent(paymentIntent: intent, eventID: full.id, created: full.created)
        try fixture.deliver(fullPayload)
        try fixture.deliver(fullPayload)
        let again = fixture.event("refund")
        try fixture.deliver(try fixture.fake.chargeEvent(paymentIntent: intent, eventID: again.id, created: again.created))
        let dispute = fixture.event("dispute")
        try fixture.deliver(try fixture.fake.disputeEvent(paymentIntent: intent, eventID: dispute.id, created: dispute.created))

        #expect(try fixture.account()?.balance == 0)
        let reversals = try fixture.ledger(cause: .reversal)
        #expect(reversals.map(\.amount) == [-700])
        #expect(reversals.first?.reference == "refund:\(intent)")
    }

    @Test(arguments: Backend.allCases)
    func disputeTakesBackTheRestOnce(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        try fixture.withCreditPool()
        let (_, intent) = try fixture.boughtPack()
        _ = try fixture.services.entitlements.credits.grant(customer: "org_acme", pool: BillingFixture.pool, amount: 50, reason: "goodwill", expiresAt: nil)
        let dispute = fixture.event("dispute")
        let payload = try fixture.fake.disputeEvent(paymentIntent: intent, eventID: dispute.id, created: dispute.created)
        try fixture.deliver(payload)
        let replay = fixture.event("dispute")
        try fixture.deliver(try fixture.fake.disputeEvent(paymentIntent: intent, eventID: replay.id, created: replay.created))
        #expect(try fixture.account()?.balance == 50, "only the pack's block is taken back")
        #expect(try fixture.ledger(cause: .reversal).map(\.amount) == [-1000])
    }

    @Test(arguments: Backend.allCases)
    func disputeDeliveredBeforeThePaymentTakesThePackBackWhenItLands(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        try fixture.withCreditPool()
        let session = try fixture.services.billing.creditCheckout(
            customer: "org_acme", CreditCheckoutRequest(pool: BillingFixture.pool, pack: "pack_100", successURL: StripeBillingTests.success, cancelURL: StripeBillingTests.cancel))
        let intent = try fixture.fake.completeCheckout(session.id)
        let dispute = fixture.event("dispute")
        try fixture.deliver(try fixture.fake.disputeEvent(paymentIntent: intent, eventID: dispute.id, created: dispute.created))
        let completed = fixture.event("completed")
        try fixture.deliver(try fixture.fake.checkoutSessionEvent(session.id, eventID: completed.id, created: completed.created))
        let replay = fixture.event("completed")
        try fixture.deliver(try fixture.fake.checkoutSessionEvent(session.id, eventID: replay.id, created: replay.created))

        #expect(try fixture.account()?.balance == 0)
        #expect(try fixture.ledger(cause: .added).map(\.amount) == [100])
        #expect(try fixture.ledger(cause: .reversal).map(\.amount) == [-100])
    }
}

@Suite struct RecordedCreditPaymentTests {
    /// The recorded payloads (`webhooks/events/*credit-pack*`, `charge.*`, `payment_intent.succeeded.top-up`),
    /// as Stripe sends them, each delivered twice: the pack once, taken back once by the refund
    /// (the dispute after it takes nothing), the top-up once.
    @Test(arguments: Backend.allCases)
    func recordedPaymentsApplyExactlyOnce(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        try fixture.withCreditPool()
        let now = Int(Date().timeIntervalSince1970)
        func deliverTwice(_ name: String) throws {
            // `created` moved to now, so the pack's 365 days have not run out when the test runs.
            let payload = try WebhookPayloads.event(name, created: now, ["data.object.created": now - 60])
            try fixture.deliver(payload)
            try fixture.deliver(payload)
        }
        try deliverTwice("checkout.session.completed.credit-pack")
        try deliverTwice("checkout.session.async_payment_succeeded.credit-pack")
        let account = try #require(try fixture.account())
        #expect(account.balance == 1000 && account.blocks.first?.reference == "cs_test_TgAcmeCredits01")
        #expect(account.blocks.first?.expiresAt == Date(timeIntervalSince1970: TimeInterval(now - 60 + 365 * 86_400)))
        #expect(try fixture.services.customers.get(externalID: "org_acme").stripeCustomerID == "cus_TgAcme0001")

        try deliverTwice("charge.refunded")
        try deliverTwice("charge.dispute.created")
        #expect(try fixture.account()?.balance == 0)
        #expect(try fixture.ledger(cause: .reversal).map(\.amount) == [-1000])

        try deliverTwice("payment_intent.succeeded.top-up")
        let topUp = try #require(try fixture.account())
        #expect(topUp.balance == 100 && topUp.blocks.map(\.source) == [.topUp] && topUp.blocks.first?.expiresAt == nil)
        let events = try fixture.services.stripeEvents.list(page: PageRequest(limit: 100)).items
        #expect(events.count == 5 && events.allSatisfy { $0.status == .applied }, "\(events.map { ($0.type, $0.status, $0.note) })")
    }
}
