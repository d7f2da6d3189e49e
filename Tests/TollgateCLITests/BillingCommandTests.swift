import Foundation
import Testing
import TollgateStore
import TollgateTestSupport

/// `tollgate plans push` and `tollgate subscriptions checkout|portal|…` in-process, against a fake Stripe.
@Suite struct BillingCommandTests {
    static let apiKey = "sk_test_cli_billing_0a9b8c7d"

    @Test(arguments: Backend.allCases)
    func operatorPushesTheCatalogAndStartsACheckout(backend: Backend) throws {
        let fake = try FakeStripeBilling()
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(
            databaseURL: store.url, extra: ["TOLLGATE_STRIPE_API_KEY": Self.apiKey, "TOLLGATE_STRIPE_API_BASE": fake.baseURL])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "org_acme", "--email", "billing@acme.example"], environment: environment).status == 0)

        let dry = InProcessCLI.run(["plans", "push", "--dry-run"], environment: environment)
        #expect(dry.status == 0, "\(dry.standardError)")
        #expect(dry.standardOutput.contains("+ create price tollgate:pro:month:usd: $49.00 / month"))
        #expect(dry.standardOutput.contains("Dry run, nothing written: would have created 8, attached 5."))
        #expect(fake.writes.isEmpty)

        let pushed = InProcessCLI.run(["plans", "push", "--json"], environment: environment)
        #expect(pushed.status == 0, "\(pushed.standardError)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(pushed.standardOutput.utf8)) as? [String: Any])
        #expect((report["changes"] as? [Any])?.count == 13)
        let again = InProcessCLI.run(["plans", "push"], environment: environment)
        #expect(again.standardOutput.contains("Stripe already matches the catalog: nothing written."))

        let checkout = InProcessCLI.run(
            ["subscriptions", "checkout", "org_acme", "--plan", "pro", "--success-url", "https://app.example/ok", "--cancel-url", "https://app.example/no"],
            environment: environment)
        #expect(checkout.status == 0, "\(checkout.standardError)")
        #expect(checkout.standardOutput.hasPrefix("https://checkout.stripe.com/"))
        #expect(fake.writes.last?["client_reference_id"] == "org_acme")

        let portal = InProcessCLI.run(["subscriptions", "portal", "org_acme", "--return-url", "https://app.example", "--json"], environment: environment)
        #expect(portal.status == 1)
        #expect(portal.standardError.contains("\"code\":\"no_stripe_customer\""))
        let cancel = InProcessCLI.run(["subscriptions", "cancel", "org_acme", "--at-period-end"], environment: environment)
        #expect(cancel.status == 1)
        #expect(cancel.standardError.contains("no Stripe subscription"))
        #expect(InProcessCLI.run(["subscriptions", "change", "org_acme", "--proration", "sometimes"], environment: environment).status == 2)

        for result in [dry, pushed, again, checkout, portal, cancel] {
            #expect(!(result.standardOutput + result.standardError).contains(Self.apiKey))
        }
    }

    /// `--idempotency-key`: running the same change twice with one key (after a timeout, say) is
    /// one Stripe operation; without it each run is a new one. The linked customer's subscription
    /// is the one Stripe has, though no webhook told Tollgate about it.
    @Test(arguments: Backend.allCases)
    func anOperatorsRepeatWithOneIdempotencyKeyIsOneStripeOperation(backend: Backend) throws {
        let fake = try FakeStripeBilling()
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(
            databaseURL: store.url, extra: ["TOLLGATE_STRIPE_API_KEY": Self.apiKey, "TOLLGATE_STRIPE_API_BASE": fake.baseURL])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "org_acme"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["plans", "push"], environment: environment).status == 0)
        try store.database.withConnection { connection in
            try connection.execute("UPDATE customers SET stripe_customer_id = 'cus_FakeAcme' WHERE external_id = 'org_acme'")
        }
        let subscription = try fake.addSubscription(customer: "cus_FakeAcme", lookupKey: "tollgate:pro:month:usd", quantity: 2)
        fake.clearRequests()

        for _ in 0..<2 {
            let changed = InProcessCLI.run(["subscriptions", "change", "org_acme", "--quantity", "6", "--idempotency-key", "op-42"], environment: environment)
            #expect(changed.status == 0, "\(changed.standardError)")
            #expect(changed.standardOutput.contains("Stripe accepted: \(subscription) is active"), "\(changed.standardOutput)")
        }
        _ = InProcessCLI.run(["subscriptions", "change", "org_acme", "--quantity", "6"], environment: environment)
        let posts = fake.writes.filter { $0.path == "/v1/subscriptions/\(subscription)" }
        #expect(posts.count == 3)
        #expect(posts[0].idempotencyKey == posts[1].idempotencyKey && posts[2].idempotencyKey != posts[0].idempotencyKey)
        #expect(fake.appliedWrites.count == 2, "the repeat with the key was replayed; the run without one was a new operation")
        #expect(InProcessCLI.run(["subscriptions", "resume", "org_acme", "--idempotency-key", ""], environment: environment).status == 2)
    }
}
