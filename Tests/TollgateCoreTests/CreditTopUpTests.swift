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
import TollgateWire

/// Automatic top-ups against localstripe (started by `scripts/test`, named in
/// `TOLLGATE_TEST_STRIPE_URL`): its PaymentIntents confirm off-session with a saved card
/// (`4242…` succeeds at once, `4000000000000341` attaches but its charges are declined).
@Suite struct CreditTopUpTests {
    static func localstripe() -> String? {
        guard let url = ProcessInfo.processInfo.environment["TOLLGATE_TEST_STRIPE_URL"], !url.isEmpty else {
            Issue.record("TOLLGATE_TEST_STRIPE_URL is not set: run scripts/test, or scripts/peers/localstripe start DIR and export the URL it prints")
            return nil
        }
        return url
    }

    /// A fixture whose Stripe is localstripe, its `org_acme` linked to a localstripe customer whose
    /// default card is `card`, with the credit pool and a top-up of `pack_100` below 100 credits.
    static func fixture(_ backend: Backend, url: String, card: String) throws -> (BillingFixture, stripeCustomer: String, card: String) {
        let fixture = try BillingFixture(backend, environment: ["TOLLGATE_STRIPE_API_BASE": url])
        try fixture.withCreditPool()
        let stripe = try #require(fixture.services.stripe)
        let marker = UUID().uuidString.lowercased().prefix(12)
        let customer = try #require(try stripe.post("/v1/customers", ["email": "\(marker)@example.com"], operation: "test.customer:\(marker)").id)
        let method = try #require(try stripe.post(
            "/v1/payment_methods", ["type": "card", "card": ["number": .string(card), "exp_month": 12, "exp_year": 2030, "cvc": "123"]],
            operation: "test.pm:\(marker)").id)
        _ = try stripe.post("/v1/payment_methods/\(method)/attach", ["customer": .string(customer)], operation: "test.attach:\(marker)")
        _ = try stripe.post("/v1/customers/\(customer)", ["invoice_settings": ["default_payment_method": .string(method)]], operation: "test.default:\(marker)")
        let local = try fixture.services.customers.get(externalID: "org_acme")
        try fixture.services.database.transaction { connection in
            try CustomerRepository.link(local, stripeCustomerID: customer, on: connection, now: Date())
        }
        let settings = try fixture.topUps.set(customer: "org_acme", CreditTopUpRequest(pool: BillingFixture.pool, threshold: 100, pack: "pack_100", enabled: true))
        #expect(settings.armed && settings.enabled && settings.lastStatus == nil)
        return (fixture, customer, method)
    }

    @Test(arguments: Backend.allCases)
    func topUpChargesTheSavedCardOncePerCrossing(backend: Backend) throws {
        guard let url = Self.localstripe() else { return }
        let (fixture, stripeCustomer, card) = try Self.fixture(backend, url: url, card: "4242424242424242")
        let credits = fixture.services.entitlements.credits
        let worker = CreditTopUpWorker(services: fixture.services)
        // A new setting is armed, and an empty balance is below 100: the first pass charges pack_100.
        let first = try worker.runOnce()
        #expect(first.count == 1 && first.first?.status == "succeeded" && first.first?.crossing == 1, "\(first)")
        #expect(try fixture.account()?.balance == 100)
        _ = try credits.grant(customer: "org_acme", pool: BillingFixture.pool, amount: 50, reason: "start", expiresAt: nil)
        #expect(try fixture.account()?.balance == 150)

        #expect(try worker.runOnce().isEmpty, "at or above the threshold: re-armed, nothing charged")
        #expect(try fixture.topUps.list(customer: "org_acme").first?.armed == true)

        let hold = try credits.placeHold(customer: "org_acme", pool: BillingFixture.pool, amount: 100)
        _ = try credits.settleHold(customer: "org_acme", id: hold.hold.id, commit: 100)
        let attempts = try worker.runOnce()
        #expect(attempts.count == 1)
        let attempt = try #require(attempts.first)
        #expect(attempt.status == "succeeded" && attempt.crossing == 2 && attempt.error == nil, "\(attempt)")
        #expect(try worker.runOnce().isEmpty)
        #expect(try fixture.account()?.balance == 150)

        let intentID = try #require(attempt.paymentIntent)
        let stripe = try #require(fixture.services.stripe)
        let intent = try stripe.get("/v1/payment_intents/\(intentID)")
        #expect(intent["status"]?.string == "succeeded")
        #expect(intent["amount"]?.int == 200 && intent["currency"]?.string == "usd")
        #expect(intent["customer"]?.id == stripeCustomer && intent["payment_method"]?.id == card)
        #expect(intent["metadata"]?["tollgate_credit_source"]?.string == "top_up")
        #expect(intent["metadata"]?["tollgate_credit_pack"]?.string == "pack_100")

        // Stripe's payment_intent.succeeded for the same charge adds nothing more.
        let event: [String: Any] = [
            "id": "evt_topup_\(UUID().uuidString.prefix(8))", "object": "event", "type": "payment_intent.succeeded",
            "created": 1_800_000_000 + EventSequence.next(), "api_version": "2025-03-31.basil", "livemode": false,
            "data": ["object": try JSONSerialization.jsonObject(with: Data(WireJSON.encoder(keys: .verbatim).encode(intent)))],
        ]
        let (_, report) = try fixture.deliver(Array(try JSONSerialization.data(withJSONObject: event)))
        #expect(report.applied == 1)
        let blocks = try #require(try fixture.account()).blocks.filter { $0.source == .topUp }
        #expect(blocks.count == 2)
        #expect(blocks.contains { $0.reference == intentID && $0.amount == 100 })
        let settings = try #require(try fixture.topUps.list(customer: "org_acme").first)
        #expect(settings.lastStatus == "succeeded" && settings.lastPaymentIntent == intentID)
    }

    @Test(arguments: Backend.allCases)
    func declinedTopUpIsRecordedNotRetriedAndReArmedAfterRecovery(backend: Backend) throws {
        guard let url = Self.localstripe() else { return }
        let (fixture, _, _) = try Self.fixture(backend, url: url, card: "4000000000000341")
        let credits = fixture.services.entitlements.credits
        _ = try credits.grant(customer: "org_acme", pool: BillingFixture.pool, amount: 50, reason: "start", expiresAt: nil)
        let worker = CreditTopUpWorker(services: fixture.services)

        let attempts = try worker.runOnce()
        let attempt = try #require(attempts.first)
        #expect(attempts.count == 1 && attempt.status == "failed", "\(attempts)")
        #expect(attempt.error?.contains("declined") == true, "\(attempt)")
        var settings = try #require(try fixture.topUps.list(customer: "org_acme").first)
        #expect(settings.lastStatus == "failed" && !settings.armed && settings.lastError == attempt.error)
        #expect(try fixture.account()?.balance == 50)

        #expect(try worker.runOnce().isEmpty, "a failed charge is not retried while the balance stays below")
        #expect(try worker.runOnce().isEmpty)

        let logs = fixture.logs.lines.joined(separator: "\n")
        #expect(logs.contains("credit top-up not charged"))
        #expect(!logs.contains(BillingFixture.apiKey))

        _ = try credits.grant(customer: "org_acme", pool: BillingFixture.pool, amount: 100, reason: "bought by hand", expiresAt: nil)
        #expect(try worker.runOnce().isEmpty)
        settings = try #require(try fixture.topUps.list(customer: "org_acme").first)
        #expect(settings.armed, "seen at or above the threshold again: re-armed")
        #expect(settings.lastStatus == "failed", "the last attempt stays on record")
    }
}

@Suite struct CreditTopUpSettingsTests {
    @Test(arguments: Backend.allCases)
    func settingsAreCheckedAndSavingAgainDoesNotReArm(backend: Backend) throws {
        let fixture = try BillingFixture(backend, stripeConfigured: false)
        try fixture.withCreditPool()
        #expect(throws: DomainError.self) {
            try fixture.topUps.set(customer: "org_acme", CreditTopUpRequest(pool: BillingFixture.pool, threshold: 100, pack: "pack_none", enabled: true))
        }
        #expect(throws: DomainError.self) {
            try fixture.topUps.set(customer: "org_acme", CreditTopUpRequest(pool: "no_pool", threshold: 100, pack: "pack_100", enabled: true))
        }
        #expect(throws: DomainError.self) {
            try fixture.topUps.set(customer: "org_acme", CreditTopUpRequest(pool: BillingFixture.pool, threshold: -1, pack: "pack_100", enabled: true))
        }
        let request = CreditTopUpRequest(pool: BillingFixture.pool, threshold: 100, pack: "pack_100", enabled: true)
        _ = try fixture.topUps.set(customer: "org_acme", request)
        let worker = CreditTopUpWorker(services: fixture.services)
        let attempts = try worker.runOnce()
        #expect(attempts.count == 1 && attempts.first?.status == "failed", "no Stripe: recorded as failed")
        let saved = try fixture.topUps.set(customer: "org_acme", request)
        #expect(!saved.armed, "saving the same settings again is no new crossing")
        #expect(try worker.runOnce().isEmpty)

        // An instance that stopped between disarming and recording Stripe's answer leaves `pending`:
        // after ten minutes that crossing is claimed again, with the same crossing (the same Stripe key), once.
        let stopped = Date().addingTimeInterval(-601)
        try fixture.services.database.transaction { connection in
            _ = try connection.execute("UPDATE credit_top_ups SET last_status = 'pending', last_attempt_at = \(stopped)")
        }
        let reclaimed = try worker.runOnce()
        #expect(reclaimed.map(\.crossing) == [1], "\(reclaimed)")
        #expect(try worker.runOnce().isEmpty)

        _ = try fixture.topUps.set(customer: "org_acme", CreditTopUpRequest(pool: BillingFixture.pool, threshold: 100, pack: "pack_100", enabled: false))
        _ = try fixture.services.entitlements.credits.grant(customer: "org_acme", pool: BillingFixture.pool, amount: 500, reason: nil, expiresAt: nil)
        #expect(try worker.runOnce().isEmpty)
        #expect(try fixture.topUps.list(customer: "org_acme").first?.armed == false, "a disabled top-up is left alone")
    }
}

extension CreditTopUpSettingsTests {
    @Test(arguments: Backend.allCases)
    func concurrentPassesChargeOneCrossingOnce(backend: Backend) throws {
        let fixture = try BillingFixture(backend, stripeConfigured: false)
        try fixture.withCreditPool()
        _ = try fixture.topUps.set(customer: "org_acme", CreditTopUpRequest(pool: BillingFixture.pool, threshold: 100, pack: "pack_100", enabled: true))
        let workers = (0..<4).map { _ in CreditTopUpWorker(services: fixture.services) }
        let attempts = Mutex(0)
        let failures = Mutex([String]())
        DispatchQueue.concurrentPerform(iterations: workers.count) { index in
            do {
                let made = try workers[index].runOnce().count
                attempts.withLock { $0 += made }
            } catch {
                failures.withLock { $0.append(String(describing: error)) }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        #expect(attempts.withLock { $0 } == 1, "one crossing, one charge, however many instances look")
    }
}

extension CreditTopUpSettingsTests {
    @Test(arguments: Backend.allCases)
    func aProcessingChargeThatFailsLaterIsRecordedFromTheWebhook(backend: Backend) throws {
        let fixture = try BillingFixture(backend, stripeConfigured: false)
        try fixture.withCreditPool()
        _ = try fixture.topUps.set(customer: "org_acme", CreditTopUpRequest(pool: BillingFixture.pool, threshold: 100, pack: "pack_100", enabled: true))
        _ = try CreditTopUpWorker(services: fixture.services).runOnce()
        try fixture.services.database.transaction { connection in
            _ = try connection.execute("UPDATE credit_top_ups SET last_status = 'processing', last_error = NULL, last_payment_intent = 'pi_3TgAcmeTopUp01'")
        }
        let failed = try WebhookPayloads.event("payment_intent.succeeded.top-up", id: "evt_TgTopUpFailed_\(UUID().uuidString.prefix(8))", [
            "type": "payment_intent.payment_failed", "data.object.status": "requires_payment_method", "data.object.amount_received": 0,
            "data.object.last_payment_error": ["code": "card_declined", "message": "Your card was declined."],
        ])
        let (_, report) = try fixture.deliver(failed)
        #expect(report.applied == 1)
        let settings = try #require(try fixture.topUps.list(customer: "org_acme").first)
        #expect(settings.lastStatus == "failed" && settings.lastError == "card_declined: Your card was declined." && !settings.armed)
        #expect(try fixture.account()?.balance == 0)
    }
}

extension BillingFixture {
    var topUps: CreditTopUps { CreditTopUps(credits: services.entitlements.credits) }
}
