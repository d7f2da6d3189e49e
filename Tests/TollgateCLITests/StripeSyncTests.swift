import Foundation
import Testing
import Tollgate
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// A migrated store with the example catalog and some customers, and a scripted Stripe account.
struct SyncFixture {
    let store: TestDatabase
    let services: Services
    let stripe: ScriptedStripeAccount

    init(_ backend: Backend, customers: [String] = ["org_a", "org_b"]) throws {
        store = try TestDatabase.make(backend)
        stripe = try ScriptedStripeAccount()
        services = Services(
            configuration: try Configuration(environment: [
                "TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_STRIPE_API_KEY": "sk_test_scripted", "TOLLGATE_STRIPE_API_BASE": stripe.baseURL,
            ]),
            database: store.database, migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: .disabled)
        _ = try services.schema.migrator.migrate()
        let catalog = try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")))
        _ = try services.catalog.apply(catalog)
        for external in customers { _ = try services.customers.upsert(CustomerChanges(externalID: external)) }
    }

    /// One run of the reconciler with pages of two; returns its report and progress lines.
    func sync(dryRun: Bool = false) -> (report: StripeReconciler.Report, progress: [String]) {
        let lines = ThreadSafeList<String>()
        let reconciler = StripeReconciler(database: store.database, stripe: stripe.client(pageSize: 2))
        let report = reconciler.run(dryRun: dryRun) { lines.append($0) }
        return (report, lines.values)
    }

    func subscription(_ external: String) throws -> Subscription? {
        try services.subscriptions.current(customer: external)
    }

    func stripeCustomer(_ external: String) throws -> String? {
        try services.customers.get(externalID: external).stripeCustomerID
    }

    /// Everything a sync may write, as text: links, subscriptions, history, ordering-guard rows.
    func snapshot() throws -> String {
        try store.database.withConnection { connection in
            var text = ""
            for row in try connection.query("SELECT external_id, stripe_customer_id, updated_at FROM customers ORDER BY external_id") {
                text += "customer \(try row.get("external_id", as: String.self)) \(try row.get("stripe_customer_id", as: String?.self) ?? "-") "
                text += "\(try row.get("updated_at", as: Date.self).timeIntervalSince1970)\n"
            }
            for row in try connection.query("SELECT id, plan_key, status, quantity, stripe_subscription_id, updated_at FROM subscriptions ORDER BY id") {
                text += "subscription \(try row.get("id", as: String.self)) \(try row.get("plan_key", as: String.self)) "
                text += "\(try row.get("status", as: String.self)) \(try row.get("quantity", as: Int.self)) "
                text += "\(try row.get("stripe_subscription_id", as: String?.self) ?? "-") \(try row.get("updated_at", as: Date.self).timeIntervalSince1970)\n"
            }
            for table in ["subscription_history", "stripe_object_versions", "stripe_events"] {
                text += "\(table) \(try connection.queryFirst("SELECT COUNT(*) AS n FROM \(raw: table)")?.get("n", as: Int.self) ?? -1)\n"
            }
            return text
        }
    }
}

@Suite struct StripeSyncTests {
    @Test(arguments: Backend.allCases)
    func customerLinkedByMetadataAndSubscriptionMirroredOverPages(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_unrelated1", external: nil)
        fixture.stripe.setCustomer("cus_A", external: "org_a")
        fixture.stripe.setCustomer("cus_ghost", external: "org_nobody")
        fixture.stripe.setCustomer("cus_unrelated2", external: nil)
        fixture.stripe.setCustomer("cus_unrelated3", external: nil)
        fixture.stripe.setSubscription("sub_other", customer: "cus_unrelated1", plan: "pro")
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "pro", quantity: 3)

        let (report, progress) = fixture.sync()
        #expect(report.succeeded, "\(report)")
        #expect(report.customersScanned == 5 && report.subscriptionsScanned == 2)
        #expect(progress == ["customers: 2 scanned", "customers: 4 scanned", "customers: 5 scanned", "subscriptions: 2 scanned", "customers: 1 to reconcile"])
        #expect(report.changes.map(\.kind) == [.customerLinked, .subscriptionCreated])
        #expect(report.changes.first?.summary == "customer_linked org_a (cus_A): stripe_customer_id ∅ → cus_A [metadata tollgate_customer]")
        #expect(Set(report.skipped.map(\.stripeID)) == ["cus_ghost", "sub_other"], "\(report.skipped)")
        #expect(try fixture.stripeCustomer("org_a") == "cus_A")
        let subscription = try #require(try fixture.subscription("org_a"))
        #expect(subscription.state.planKey == "pro" && subscription.state.status == .active && subscription.state.quantity == 3)
        #expect(subscription.stripeSubscriptionID == "sub_A")
        #expect(subscription.state.currentPeriodStart == Date(timeIntervalSince1970: 1_767_225_600), "the period read from the item (current shape)")
        #expect(try fixture.services.subscriptions.history(customer: "org_a").map(\.source) == ["stripe-sync"])
        #expect(try fixture.entitlementAllowed("org_a", "integrations.github"))

        // Nothing drifted: a second run reports nothing and writes nothing.
        let before = try fixture.snapshot()
        let (again, _) = fixture.sync()
        #expect(again.succeeded && again.changes.isEmpty, "\(again.changes)")
        #expect(try fixture.snapshot() == before)
    }

    @Test(arguments: Backend.allCases)
    func driftedSubscriptionIsRepairedAndRecordedAsNewestForTheOrderingGuard(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_A", external: "org_a")
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "pro", quantity: 3)
        #expect(fixture.sync().report.succeeded)

        // Changes Stripe made while webhooks were lost.
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "enterprise", quantity: 5, cancelAtPeriodEnd: true)
        let fetchedAfter = Int(Date().timeIntervalSince1970)
        let (report, _) = fixture.sync()
        #expect(report.succeeded)
        let change = try #require(report.changes.first)
        #expect(report.changes.count == 1)
        #expect(change.kind == .subscriptionUpdated && change.customer == "org_a" && change.stripeID == "sub_A")
        #expect(change.fields == [
            .init(name: "plan", old: "pro", new: "enterprise"), .init(name: "quantity", old: "3", new: "5"),
            .init(name: "cancel_at_period_end", old: "false", new: "true"),
        ])
        let repaired = try #require(try fixture.subscription("org_a"))
        #expect(repaired.state.planKey == "enterprise" && repaired.state.quantity == 5 && repaired.state.cancelAtPeriodEnd)

        // A lost webhook delivered late (created before the fetch) is stale; a newer one applies.
        let events = StripeEventStore(database: fixture.store.database)
        func deliver(_ id: String, created: Int, quantity: Int) throws {
            let object = ScriptedStripeAccount.subscriptionJSON("sub_A", customer: "cus_A", plan: "pro", quantity: quantity)
            let payload = Array(#"{"id":"\#(id)","object":"event","type":"customer.subscription.updated","created":\#(created),"data":{"object":\#(object)}}"#.utf8)
            #expect(try events.insert(try WebhookEvent.Envelope(json: payload), payload: payload))
        }
        try deliver("evt_late", created: fetchedAfter - 30, quantity: 4)
        let stale = try StripeEventApplier(database: fixture.store.database).applyPending()
        #expect(stale.stale == 1 && stale.applied == 0, "\(stale)")
        #expect(try fixture.subscription("org_a")?.state.quantity == 5)
        try deliver("evt_newer", created: fetchedAfter + 60, quantity: 7)
        #expect(try StripeEventApplier(database: fixture.store.database).applyPending().applied == 1)
        #expect(try fixture.subscription("org_a")?.state.quantity == 7)

        // …and sync now skips the subscription: a webhook newer than its fetch was applied.
        let (skipping, _) = fixture.sync()
        #expect(skipping.changes.isEmpty && skipping.skipped.map(\.stripeID) == ["sub_A"], "\(skipping)")
        #expect(try fixture.subscription("org_a")?.state.quantity == 7)
    }

    @Test(arguments: Backend.allCases)
    func canceledInStripeOrAbsentFromStripeIsCanceledLocally(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_A", external: "org_a")
        fixture.stripe.setCustomer("cus_B", external: "org_b")
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "pro")
        fixture.stripe.setSubscription("sub_B", customer: "cus_B", plan: "pro", quantity: 2)
        #expect(fixture.sync().report.succeeded)
        #expect(try fixture.entitlementAllowed("org_b", "integrations.github"))

        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "pro", status: "canceled")
        fixture.stripe.removeSubscription("sub_B")
        let (report, progress) = fixture.sync()
        #expect(report.succeeded, "\(report)")
        #expect(report.changes.map(\.kind) == [.subscriptionCanceled, .subscriptionCanceled])
        #expect(report.changes.map(\.reason) == ["canceled in Stripe", "absent from Stripe"])
        #expect(report.changes.last?.fields == [.init(name: "status", old: "active", new: "canceled")])
        #expect(progress.contains("checking 0 linked customers and 1 subscriptions Stripe did not list"), "\(progress)")
        #expect(try fixture.subscription("org_a")?.state.status == .canceled)
        let absent = try #require(try fixture.subscription("org_b"))
        #expect(absent.state.status == .canceled && absent.state.quantity == 2 && absent.stripeSubscriptionID == "sub_B")
        #expect(try !fixture.entitlementAllowed("org_b", "integrations.github"), "back on the default plan")
        #expect(fixture.sync().report.changes.isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func dryRunReportsTheRepairsAndWritesNothing(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_A", external: "org_a")
        fixture.stripe.setCustomer("cus_B", external: "org_b")
        fixture.stripe.setSubscription("sub_B", customer: "cus_B", plan: "pro")
        #expect(fixture.sync().report.succeeded)  // org_b linked and subscribed; org_a linked
        fixture.stripe.setCustomer("cus_C", external: "org_c")
        _ = try fixture.services.customers.upsert(CustomerChanges(externalID: "org_c"))
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "enterprise")
        fixture.stripe.setSubscription("sub_C", customer: "cus_C", plan: "pro", quantity: 4)  // needs the link pass 1 would make
        fixture.stripe.removeSubscription("sub_B")

        let before = try fixture.snapshot()
        let (dry, _) = fixture.sync(dryRun: true)
        #expect(dry.succeeded && dry.dryRun)
        #expect(try fixture.snapshot() == before, "a dry run writes nothing")
        // Customer by customer (external id order): each customer's changes come together.
        #expect(dry.changes.map(\.kind) == [.subscriptionCreated, .subscriptionCanceled, .customerLinked, .subscriptionCreated], "\(dry.changes)")
        #expect(dry.changes.map(\.stripeID) == ["sub_A", "sub_B", "cus_C", "sub_C"])

        // The real run makes exactly the changes the dry run reported.
        let (real, _) = fixture.sync()
        #expect(real.changes == dry.changes)
        #expect(try fixture.subscription("org_c")?.state.quantity == 4)
    }

    @Test(arguments: Backend.allCases)
    func stripeErrorWhileReadingStopsBeforeAnyWrite(backend: Backend) throws {
        let fixture = try SyncFixture(backend, customers: ["org_a", "org_b", "org_c", "org_d"])
        for name in ["a", "b", "c", "d"] {
            fixture.stripe.setCustomer("cus_\(name.uppercased())", external: "org_\(name)")
            fixture.stripe.setSubscription("sub_\(name.uppercased())", customer: "cus_\(name.uppercased())", plan: "pro")
        }
        #expect(fixture.sync().report.succeeded)
        for name in ["A", "B", "C"] { fixture.stripe.setSubscription("sub_\(name)", customer: "cus_\(name)", plan: "pro", quantity: 9) }
        fixture.stripe.removeSubscription("sub_D")  // would be canceled, had the listing gone through
        fixture.stripe.failSubscriptionList(onPage: 2)

        let (report, _) = fixture.sync()
        #expect(!report.succeeded && !report.complete)
        #expect(report.error?.contains("scripted failure") == true, "\(report.error ?? "")")
        #expect(report.error?.contains("sk_test_scripted") == false)
        // Stripe is read whole before anything is decided: an incomplete read writes nothing.
        #expect(report.changes.isEmpty, "\(report.changes)")
        for name in ["a", "b", "c"] { #expect(try fixture.subscription("org_\(name)")?.state.quantity == 1) }
        #expect(try fixture.subscription("org_d")?.state.status == .active, "no absent-cancel after an incomplete listing")
        #expect(try fixture.services.subscriptions.history(customer: "org_a").count == 1)

        // The CLI: the report, then exit 1 with the reason.
        fixture.stripe.failSubscriptionList(onPage: 1)
        let environment = TollgateBinary.environment(databaseURL: fixture.store.url, extra: [
            "TOLLGATE_STRIPE_API_KEY": "sk_test_scripted", "TOLLGATE_STRIPE_API_BASE": fixture.stripe.baseURL,
        ])
        let cli = try TollgateBinary.run(["stripe", "sync"], environment: environment)
        #expect(cli.status == 1)
        #expect(cli.standardError.contains("stripe sync stopped while reading Stripe") && cli.standardError.contains("scripted failure"), "\(cli.standardError)")
        #expect(!cli.standardError.contains("sk_test_scripted") && !cli.standardOutput.contains("sk_test_scripted"))
        fixture.stripe.failSubscriptionList(onPage: nil)
        let repaired = try TollgateBinary.run(["stripe", "sync", "--json"], environment: environment)
        #expect(repaired.status == 0, "\(repaired.standardError)")
        #expect(try fixture.subscription("org_c")?.state.quantity == 9)
        #expect(try fixture.subscription("org_d")?.state.status == .canceled)
    }

    @Test(arguments: Backend.allCases)
    func subscriptionWithAnUnknownPlanFailsAloneAndTheRunExitsNonZero(backend: Backend) throws {
        let fixture = try SyncFixture(backend)
        fixture.stripe.setCustomer("cus_A", external: "org_a")
        fixture.stripe.setCustomer("cus_B", external: "org_b")
        fixture.stripe.setSubscription("sub_A", customer: "cus_A", plan: "platinum")
        fixture.stripe.setSubscription("sub_B", customer: "cus_B", plan: "pro")
        let (report, _) = fixture.sync()
        #expect(report.complete && !report.succeeded)
        #expect(report.failed.map(\.stripeID) == ["sub_A"])
        #expect(report.failed.first?.message.contains("no catalog plan matches") == true, "\(report.failed)")
        #expect(try fixture.subscription("org_a") == nil)
        #expect(try fixture.subscription("org_b")?.state.planKey == "pro")

        let environment = TollgateBinary.environment(databaseURL: fixture.store.url, extra: [
            "TOLLGATE_STRIPE_API_KEY": "sk_test_scripted", "TOLLGATE_STRIPE_API_BASE": fixture.stripe.baseURL,
        ])
        let cli = try TollgateBinary.run(["stripe", "sync"], environment: environment)
        #expect(cli.status == 1)
        #expect(cli.standardOutput.contains("failed sub_A"), "\(cli.standardOutput)")
    }

    @Test func syncWithoutStripeConfiguredExitsOneWithAClearMessage() throws {
        let store = try TestDatabase.make(.sqlite)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        #expect(try TollgateBinary.run(["migrate"], environment: environment).status == 0)
        let result = try TollgateBinary.run(["stripe", "sync", "--dry-run"], environment: environment)
        #expect(result.status == 1)
        #expect(result.standardError.contains("Stripe is not configured (set TOLLGATE_STRIPE_API_KEY)"), "\(result.standardError)")
        let json = try TollgateBinary.run(["stripe", "sync", "--json"], environment: environment)
        #expect(json.status == 1 && json.standardError.contains(#""code":"stripe_not_configured""#), "\(json.standardError)")
        let help = try TollgateBinary.run(["stripe", "sync", "--help"], environment: environment)
        #expect(help.status == 0 && help.standardOutput.contains("--dry-run"))
    }
}

extension SyncFixture {
    /// The entitlement check's answer for one feature.
    func entitlementAllowed(_ external: String, _ feature: String) throws -> Bool {
        services.entitlements.invalidate(customer: external)
        return try services.entitlements.check(customer: external, feature: try #require(FeatureKey(rawValue: feature)), quantity: 1).allowed
    }
}
