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

/// A migrated store with the example catalog, customer `org_acme`, and Stripe webhooks configured.
struct WebhookFixture {
    static let secret = "whsec_core_tests_9f8e7d6c5b4a"
    /// The recorded payloads' Stripe ids.
    static let stripeCustomer = "cus_TgAcme0001"
    static let stripeSubscription = "sub_1TgAcme0000001"
    /// `created` of the recorded subscription.created events (2026-01-01T00:00:00Z).
    static let t0 = 1_767_225_600

    let store: TestDatabase
    let services: Services
    let logs = MemoryLogSink()

    init(_ backend: Backend, environment: [String: String] = [:]) throws {
        store = try migratedStore(backend)
        var variables = ["TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_STRIPE_WEBHOOK_SECRET": "whsec_other_secret, \(Self.secret)"]
        variables.merge(environment) { _, new in new }
        services = Services(
            configuration: try Configuration(environment: variables), database: store.database,
            migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: Logger(label: "test", level: .trace, sink: logs))
        _ = try services.catalog.apply(try exampleCatalog())
        _ = try services.customers.upsert(.init(externalID: "org_acme", email: "billing@acme.example"))
    }

    /// Signs `payload` now and hands it to the inbox, as the endpoint does.
    @discardableResult
    func deliver(_ payload: [UInt8]) throws -> WebhookReceipt {
        let header = WebhookSignature.header(payload: payload, timestamp: Int64(Date().timeIntervalSince1970), secrets: [Self.secret])
        return try services.webhooks.receive(payload: payload, signatureHeader: header)
    }

    @discardableResult
    func deliver(_ name: String, id: String? = nil, created: Int? = nil, _ changes: [String: Any] = [:]) throws -> WebhookReceipt {
        try deliver(try WebhookPayloads.event(name, id: id, created: created, changes))
    }

    func applier(_ options: StripeEventApplier.Options? = nil, overriding: [String: StripeEventHandler] = [:]) -> StripeEventApplier {
        StripeEventApplier(services: services, options: options, overriding: overriding)
    }

    func event(_ id: String) throws -> StripeEventRecord {
        try #require(try services.stripeEvents.find(id: id)).record
    }

    var subscription: Subscription? { get throws { try services.subscriptions.current(customer: "org_acme") } }
}

@Suite struct StripeEventApplierTests {
    @Test(arguments: Backend.allCases)
    func oldShapeSubscriptionCreatedMirrorsStripeAndLinksTheCustomer(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let receipt = try fixture.deliver("customer.subscription.created.old-shape")
        #expect(receipt == WebhookReceipt(received: true, duplicate: false, id: "evt_TgSubCreatedOld"))
        #expect(try fixture.subscription == nil, "nothing is applied at intake")

        let report = try fixture.applier().applyPending()
        #expect(report.applied == 1)
        let subscription = try #require(try fixture.subscription)
        #expect(subscription.state.planKey == "pro")
        #expect(subscription.state.status == .active)
        #expect(subscription.state.quantity == 3)
        #expect(subscription.state.currentPeriodStart == Date(timeIntervalSince1970: 1_767_225_600))
        #expect(subscription.state.currentPeriodEnd == Date(timeIntervalSince1970: 1_769_904_000))
        #expect(subscription.stripeSubscriptionID == WebhookFixture.stripeSubscription)
        #expect(try fixture.services.customers.get(externalID: "org_acme").stripeCustomerID == WebhookFixture.stripeCustomer)
        #expect(try fixture.services.subscriptions.history(customer: "org_acme").map(\.source) == ["stripe"])
        let record = try fixture.event("evt_TgSubCreatedOld")
        #expect(record.status == .applied)
        #expect(record.attempts == 1)
        #expect(record.appliedAt != nil)
    }

    @Test(arguments: Backend.allCases)
    func newShapeReadsThePeriodFromTheItemsAndThePlanFromTheLookupKey(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        try fixture.deliver("customer.subscription.created.new-shape")
        try fixture.deliver("customer.subscription.updated.new-shape")
        #expect(try fixture.applier().applyPending().applied == 2)
        let state = try #require(try fixture.subscription).state
        #expect(state.planKey == "enterprise")
        #expect(state.quantity == 5)
        #expect(state.cancelAtPeriodEnd)
        #expect(state.currentPeriodStart == Date(timeIntervalSince1970: 1_767_225_600))
        #expect(state.currentPeriodEnd == Date(timeIntervalSince1970: 1_769_904_000))
        #expect(try fixture.services.subscriptions.history(customer: "org_acme").map(\.plan) == ["pro", "enterprise"])
    }

    @Test(arguments: Backend.allCases)
    func duplicateDeliveryIsStoredOnceAndAppliedOnce(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        #expect(try fixture.deliver("customer.subscription.created.new-shape").duplicate == false)
        #expect(try fixture.deliver("customer.subscription.created.new-shape").duplicate == true)
        let applier = fixture.applier()
        #expect(try applier.applyPending().applied == 1)
        #expect(try applier.applyPending().total == 0)
        #expect(try fixture.deliver("customer.subscription.created.new-shape").duplicate == true)
        #expect(try applier.applyPending().total == 0)
        #expect(try fixture.services.subscriptions.history(customer: "org_acme").count == 1)
        #expect(try fixture.services.stripeEvents.counts() == [.applied: 1])
    }

    @Test(arguments: Backend.allCases)
    func updatedDeliveredBeforeCreatedKeepsTheNewerState(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        try fixture.deliver("customer.subscription.updated.new-shape")
        #expect(try applier.applyPending().applied == 1)
        try fixture.deliver("customer.subscription.created.new-shape")
        let report = try applier.applyPending()
        #expect(report.stale == 1 && report.applied == 0)
        let state = try #require(try fixture.subscription).state
        #expect(state.planKey == "enterprise" && state.quantity == 5)
        let created = try fixture.event("evt_TgSubCreatedNew")
        #expect(created.status == .applied)
        #expect(created.note?.contains("stale") == true)
        #expect(try fixture.services.subscriptions.history(customer: "org_acme").count == 1)
    }

    /// Stripe's `created` has whole seconds, so two real changes of one object often share it: the
    /// guard lets an event with the same `created` as the object's newest apply (only an older one
    /// is stale), in either order of arrival.
    @Test(arguments: Backend.allCases)
    func eventsWithEqualCreatedBothApply(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        let created = WebhookFixture.t0 + 600
        try fixture.deliver("customer.subscription.updated.new-shape", id: "evt_same_second_a", created: created,
                            ["data.object.items.data.0.quantity": 7])
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.subscription?.state.quantity == 7)
        try fixture.deliver("customer.subscription.updated.new-shape", id: "evt_same_second_b", created: created,
                            ["data.object.items.data.0.quantity": 9])
        let report = try applier.applyPending()
        #expect(report.applied == 1 && report.stale == 0)
        #expect(try fixture.subscription?.state.quantity == 9)
        #expect(try fixture.event("evt_same_second_b").note?.contains("stale") != true)
        // One second older than what the object saw: stale.
        try fixture.deliver("customer.subscription.updated.new-shape", id: "evt_second_before", created: created - 1,
                            ["data.object.items.data.0.quantity": 3])
        #expect(try applier.applyPending().stale == 1)
        #expect(try fixture.subscription?.state.quantity == 9)
    }

    @Test(arguments: Backend.allCases)
    func pendingEventsAreAppliedOldestCreatedFirst(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        try fixture.deliver("customer.subscription.updated.new-shape")
        try fixture.deliver("customer.subscription.created.new-shape")
        let report = try fixture.applier().applyPending()
        #expect(report.applied == 2 && report.stale == 0)
        #expect(try fixture.services.subscriptions.history(customer: "org_acme").map(\.plan) == ["pro", "enterprise"])
        #expect(try fixture.subscription?.state.planKey == "enterprise")
    }

    @Test(arguments: Backend.allCases)
    func staleUpdateAfterTheDeletionChangesNothing(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        try fixture.deliver("customer.subscription.created.old-shape")
        try fixture.deliver("customer.subscription.deleted.old-shape")
        #expect(try applier.applyPending().applied == 2)
        #expect(try fixture.subscription?.state.status == .canceled)
        try fixture.deliver("customer.subscription.updated.old-shape")  // created between the two
        #expect(try applier.applyPending().stale == 1)
        #expect(try fixture.subscription?.state.status == .canceled)
    }

    @Test(arguments: Backend.allCases)
    func failingHandlerIsRetriedWithBackoffThenMarkedFailedAndCanBeReplayed(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let failing = StripeEventHandler { _, _ in throw DomainError.conflict("the handler refuses") }
        let options = StripeEventApplier.Options(maxAttempts: 3, retryBase: 60)
        let applier = fixture.applier(options, overriding: ["customer.subscription.created": failing])
        try fixture.deliver("customer.subscription.created.new-shape")
        let now = Date()
        #expect(try applier.applyPending(now: now).retried == 1)
        var record = try fixture.event("evt_TgSubCreatedNew")
        #expect(record.status == .pending && record.attempts == 1)
        #expect(record.lastError?.contains("the handler refuses") == true)
        // The backoff: 30–60 s after the first failure (jitter), not at once.
        #expect(record.nextAttemptAt >= now.addingTimeInterval(29) && record.nextAttemptAt <= now.addingTimeInterval(61))
        #expect(try applier.applyPending(now: now).total == 0)
        #expect(try applier.applyPending(now: now.addingTimeInterval(3600)).retried == 1)
        #expect(try applier.applyPending(now: now.addingTimeInterval(7200)).failed == 1)
        record = try fixture.event("evt_TgSubCreatedNew")
        #expect(record.status == .failed && record.attempts == 3)
        #expect(try fixture.subscription == nil, "a failed attempt leaves nothing behind")

        // Replayed, with the real handler this time: applied.
        let replayed = try fixture.services.stripeEvents.replay(id: "evt_TgSubCreatedNew")
        #expect(replayed.status == .pending && replayed.attempts == 0 && replayed.lastError == nil)
        #expect(try fixture.applier().applyPending().applied == 1)
        #expect(try fixture.subscription?.state.planKey == "pro")
    }

    @Test(arguments: Backend.allCases)
    func unknownTypeIsStoredAndIgnored(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        try fixture.deliver("product.created")
        #expect(try fixture.applier().applyPending().ignored == 1)
        #expect(try fixture.event("evt_TgProductCreated").status == .ignored)
    }

    @Test(arguments: Backend.allCases)
    func pendingEventsSurviveARestartAndAreAppliedByANewApplier(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        try fixture.deliver("customer.subscription.created.new-shape")
        // "Crash" after storing: this service instance never applies. A new instance (its own pool,
        // as a restarted process) finds the event pending and applies it.
        let second = try fixture.store.openAnother()
        defer { second.close() }
        let restarted = Services(
            configuration: fixture.services.configuration, database: second, migrationsRoot: TestDatabase.repositoryRoot + "/migrations",
            logger: .disabled)
        #expect(try restarted.stripeEvents.counts() == [.pending: 1])
        let applier = StripeEventApplier(services: restarted)
        applier.start()
        defer { applier.stop() }
        let deadline = ContinuousClock.now + .seconds(10)
        while try restarted.stripeEvents.counts() != [.applied: 1], ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(try restarted.stripeEvents.counts() == [.applied: 1])
        #expect(try restarted.subscriptions.current(customer: "org_acme")?.state.planKey == "pro")

        // The worker wakes when the inbox stores an event (not only on its poll).
        let woken = try restarted.webhooks.receive(
            payload: try WebhookPayloads.event("customer.subscription.updated.new-shape"),
            signatureHeader: WebhookSignature.header(
                payload: try WebhookPayloads.event("customer.subscription.updated.new-shape"), timestamp: Int64(Date().timeIntervalSince1970),
                secrets: [WebhookFixture.secret]))
        #expect(!woken.duplicate)
        while try restarted.stripeEvents.counts() != [.applied: 2], ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(try restarted.subscriptions.current(customer: "org_acme")?.state.planKey == "enterprise")
    }

    @Test(arguments: Backend.allCases)
    func subscriptionForAnUnlinkedCustomerWaitsForTheCheckoutLink(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier(.init(retryBase: 0))
        // No tollgate_customer metadata: only the Stripe customer id can find the customer.
        try fixture.deliver("customer.subscription.created.new-shape", ["data.object.metadata": [String: Any]()])
        let first = try applier.applyPending()
        #expect(first.applied == 0 && first.retried + first.failed >= 1)
        try fixture.services.stripeEvents.replay(id: "evt_TgSubCreatedNew")
        try fixture.deliver("checkout.session.completed")
        let report = try applier.applyPending()
        #expect(report.applied == 2)
        #expect(try fixture.services.customers.get(externalID: "org_acme").stripeCustomerID == WebhookFixture.stripeCustomer)
        #expect(try fixture.subscription?.stripeSubscriptionID == WebhookFixture.stripeSubscription)
    }

    @Test(arguments: Backend.allCases)
    func invoiceFailureStartsTheGraceClockInEitherShapeAndPaymentStopsIt(backend: Backend) throws {
        for shape in ["new-shape", "old-shape"] {
            let fixture = try WebhookFixture(backend)
            let applier = fixture.applier()
            try fixture.deliver("customer.subscription.created.\(shape)")
            try fixture.deliver("invoice.payment_failed.\(shape)")
            #expect(try applier.applyPending().applied == 2)
            let failedAt = Date(timeIntervalSince1970: 1_769_907_600)
            #expect(try fixture.subscription?.state.pastDueSince == failedAt, "\(shape)")
            // Stripe then marks the subscription past due: the clock keeps its start.
            try fixture.deliver("customer.subscription.updated.\(shape)", ["data.object.status": "past_due"])
            try fixture.deliver("invoice.payment_action_required")
            #expect(try applier.applyPending().applied == 2)
            #expect(try fixture.subscription?.state.pastDueSince == failedAt)
            #expect(try fixture.event("evt_TgInvoiceActionNew").note?.contains("no state change") == true)
            try fixture.deliver("invoice.paid.new-shape")
            #expect(try applier.applyPending().applied == 1)
            #expect(try fixture.subscription?.state.pastDueSince == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func checkoutLinksAndCustomerEventsUpdateThenUnlink(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        try fixture.deliver("checkout.session.completed")
        try fixture.deliver("customer.updated")
        #expect(try applier.applyPending().applied == 2)
        var customer = try fixture.services.customers.get(externalID: "org_acme")
        #expect(customer.stripeCustomerID == WebhookFixture.stripeCustomer)
        #expect(customer.email == "finance@acme.example")
        #expect(customer.name == "Acme Incorporated")
        // An older customer.updated is stale.
        try fixture.deliver("customer.updated", id: "evt_TgCustomerUpdatedOlder", created: WebhookFixture.t0, ["data.object.email": "old@acme.example"])
        #expect(try applier.applyPending().stale == 1)
        #expect(try fixture.services.customers.get(externalID: "org_acme").email == "finance@acme.example")
        try fixture.deliver("customer.deleted")
        #expect(try applier.applyPending().applied == 1)
        customer = try fixture.services.customers.get(externalID: "org_acme")
        #expect(customer.stripeCustomerID == nil)
    }

    @Test(arguments: Backend.allCases)
    func customerCreatedWithTollgateMetadataLinksTheCustomer(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        _ = try fixture.services.customers.upsert(.init(externalID: "org_taken"))
        let applier = fixture.applier()
        // Names an unknown customer: nothing linked.
        try fixture.deliver("customer.updated", id: "evt_TgCustomerCreatedUnknown", ["type": "customer.created", "data.object.id": "cus_TgOther",
                                                                                   "data.object.metadata": ["tollgate_customer": "org_nobody"]])
        try fixture.deliver("customer.updated", id: "evt_TgCustomerCreated", ["type": "customer.created",
                                                                            "data.object.metadata": ["tollgate_customer": "org_acme"]])
        #expect(try applier.applyPending().applied == 2)
        #expect(try fixture.event("evt_TgCustomerCreatedUnknown").note == "the Stripe customer is not linked to a Tollgate customer")
        let customer = try fixture.services.customers.get(externalID: "org_acme")
        #expect(customer.stripeCustomerID == WebhookFixture.stripeCustomer)
        #expect(customer.email == "finance@acme.example")
        // A customer linked already is never relinked by metadata.
        try fixture.deliver("customer.updated", id: "evt_TgCustomerCreatedSecond", ["type": "customer.created", "data.object.id": "cus_TgSecond",
                                                                                  "data.object.metadata": ["tollgate_customer": "org_acme"]])
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.services.customers.get(externalID: "org_acme").stripeCustomerID == WebhookFixture.stripeCustomer)
    }

    @Test(arguments: Backend.allCases)
    func pausedResumedAndTrialEventsMirrorTheStatus(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        try fixture.deliver("customer.subscription.trial_will_end.new-shape")
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.subscription?.state.status == .trialing)
        #expect(try fixture.subscription?.state.trialEnd == Date(timeIntervalSince1970: 1_767_225_600 + 3 * 86_400))
        try fixture.deliver("customer.subscription.paused.new-shape")
        #expect(try applier.applyPending().applied == 1)
        #expect(try fixture.subscription?.state.status == .paused)
        try fixture.deliver("customer.subscription.resumed.new-shape")
        #expect(try applier.applyPending().applied == 1)
        let state = try #require(try fixture.subscription).state
        #expect(state.status == .active && state.trialEnd == nil, "a mirror clears what Stripe no longer has")
    }

    @Test(arguments: Backend.allCases)
    func anOldSubscriptionEndingDoesNotCancelTheCurrentOne(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        try fixture.deliver("customer.subscription.created.new-shape", id: "evt_new_sub", created: WebhookFixture.t0 + 5000,
                            ["data.object.id": "sub_Newer"])
        try fixture.deliver("customer.subscription.deleted.new-shape", created: WebhookFixture.t0 + 6000)
        #expect(try applier.applyPending().applied == 2)
        let subscription = try #require(try fixture.subscription)
        #expect(subscription.stripeSubscriptionID == "sub_Newer")
        #expect(subscription.state.status == .active)
        #expect(try fixture.event("evt_TgSubDeletedNew").note?.contains("not the customer's current subscription") == true)
    }

    @Test(arguments: Backend.allCases)
    func entitlementSummaryIsStoredPerStripeCustomer(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        try fixture.deliver("entitlements.active_entitlement_summary.updated")
        #expect(try fixture.applier().applyPending().applied == 1)
        let row = try fixture.store.database.withConnection { connection in
            try connection.queryFirst("SELECT summary, event_id FROM stripe_entitlement_summaries WHERE stripe_customer_id = \(WebhookFixture.stripeCustomer)")
        }
        let summary: String = try #require(try row?.get("summary"))
        #expect(summary.contains("integrations.github"))
        #expect(try row?.get("event_id") == "evt_TgEntSummary")
    }

    @Test(arguments: Backend.allCases)
    func noSecretReachesTheLogs(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let failing = StripeEventHandler { _, _ in throw DomainError.conflict("nope") }
        try fixture.deliver("customer.subscription.created.new-shape")
        _ = try fixture.applier(.init(maxAttempts: 1), overriding: ["customer.subscription.created": failing]).applyPending()
        #expect(throws: WebhookRejection.self) { try fixture.services.webhooks.receive(payload: [1, 2], signatureHeader: "t=1,v1=00") }
        let logs = fixture.logs.lines.joined(separator: "\n")
        #expect(!logs.isEmpty)
        #expect(!logs.contains(WebhookFixture.secret) && !logs.contains("whsec_"))
    }
}
