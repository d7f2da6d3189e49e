import Foundation
import Testing
import Tollgate
@testable import TollgateBilling
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateLogging
import TollgateStripe
import TollgateTestSupport
import TollgateBase

/// A migrated store with the example catalog and customer `org_acme`, and Services whose Stripe
/// client talks to a ``FakeStripeBilling``.
struct BillingFixture {
    static let apiKey = "sk_test_billing_fixture_5e4d3c2b1a"
    static let webhookSecret = "whsec_billing_fixture_1a2b3c"

    let fake: FakeStripeBilling
    let store: TestDatabase
    let services: Services
    let logs = MemoryLogSink()

    init(_ backend: Backend, stripeConfigured: Bool = true, environment: [String: String] = [:]) throws {
        fake = try FakeStripeBilling()
        store = try migratedStore(backend)
        var variables = ["TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_STRIPE_WEBHOOK_SECRET": Self.webhookSecret]
        if stripeConfigured {
            variables["TOLLGATE_STRIPE_API_KEY"] = Self.apiKey
            variables["TOLLGATE_STRIPE_API_BASE"] = fake.baseURL
        }
        variables.merge(environment) { _, new in new }
        services = Services(
            configuration: try Configuration(environment: variables), database: store.database,
            migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: Logger(label: "test", level: .trace, sink: logs))
        _ = try services.catalog.apply(try exampleCatalog())
        _ = try services.customers.upsert(.init(externalID: "org_acme", email: "billing@acme.example"))
    }

    func push(dryRun: Bool = false) throws -> StripeCatalogPushReport { try services.catalogPush.push(dryRun: dryRun) }

    /// Applies the example catalog changed by `change`.
    func applyCatalog(_ change: (inout Catalog) -> Void) throws {
        var catalog = try exampleCatalog()
        change(&catalog)
        _ = try services.catalog.apply(catalog)
    }

    /// The writes to `path` (exact) with `method`.
    func writes(_ method: String, _ path: String) -> [FakeStripeBilling.Request] {
        fake.writes.filter { $0.method == method && $0.path == path }
    }
}

extension Catalog {
    func planIndex(_ key: String) -> Int { plans.firstIndex { $0.key == key } ?? -1 }
}

@Suite struct StripeCatalogPushTests {
    @Test(arguments: Backend.allCases)
    func firstPushCreatesProductsPricesAndFeatures(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let report = try fixture.push()

        #expect(report.notes.contains("skipped plan free: no prices"))
        #expect(report.entitlementsAvailable)
        #expect(fixture.fake.activePriceLookupKeys == [
            "tollgate:pro:month:usd": 4900, "tollgate:pro:year:usd": 49000, "tollgate:enterprise:year:usd": 990_000,
        ])
        let products = fixture.writes("POST", "/v1/products")
        #expect(products.map { $0["metadata[tollgate_plan]"] }.sorted { ($0 ?? "") < ($1 ?? "") } == ["enterprise", "pro"])
        let monthly = try #require(fixture.writes("POST", "/v1/prices").first { $0["lookup_key"] == "tollgate:pro:month:usd" })
        #expect(monthly["unit_amount"] == "4900")
        #expect(monthly["currency"] == "usd")
        #expect(monthly["recurring[interval]"] == "month")
        #expect(monthly["metadata[tollgate_plan]"] == "pro")
        #expect(monthly["product"]?.hasPrefix("prod_") == true)
        #expect(monthly["transfer_lookup_key"] == nil)

        #expect(Set(fixture.writes("POST", "/v1/entitlements/features").compactMap { $0["lookup_key"] }) == ["sso", "integrations.github", "integrations.slack"])
        #expect(fixture.fake.attachedFeatures(plan: "pro") == ["integrations.github", "integrations.slack"])
        #expect(fixture.fake.attachedFeatures(plan: "enterprise") == ["integrations.github", "integrations.slack", "sso"])
        #expect(report.changes.count == 2 + 3 + 3 + 5)
        #expect(report.summary == "created 8, attached 5")

        // Every write carries an idempotency key, one per operation.
        let keys = fixture.fake.writes.map(\.idempotencyKey)
        #expect(keys.allSatisfy { $0?.hasPrefix("tollgate-") == true })
        #expect(Set(keys).count == keys.count)
    }

    @Test(arguments: Backend.allCases)
    func secondPushWithNothingChangedMakesNoWrites(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        _ = try fixture.push()
        fixture.fake.clearRequests()

        let again = try fixture.push()
        #expect(again.isEmpty)
        #expect(again.summary == "no changes")
        #expect(fixture.fake.writes.isEmpty, "\(fixture.fake.writes.map { "\($0.method) \($0.path)" })")
        #expect(!fixture.fake.requests.isEmpty, "the push reads Stripe")
    }

    @Test(arguments: Backend.allCases)
    func changedAmountCreatesANewPriceAndArchivesTheOld(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        _ = try fixture.push()
        #expect(fixture.fake.activePriceLookupKeys["tollgate:pro:month:usd"] == 4900)
        let oldID = try priceID(fixture, "tollgate:pro:month:usd")

        try fixture.applyCatalog { catalog in
            let pro = catalog.planIndex("pro")
            catalog.plans[pro].prices = catalog.plans[pro].prices.map { price in
                var price = price
                if price.interval == .month { price.unitAmount = 5900 }
                return price
            }
        }
        fixture.fake.clearRequests()
        let report = try fixture.push()

        let writes = fixture.fake.writes
        #expect(writes.count == 2, "\(writes.map { "\($0.method) \($0.path)" })")
        let created = try #require(writes.first)
        #expect(created.path == "/v1/prices")
        #expect(created["unit_amount"] == "5900")
        #expect(created["lookup_key"] == "tollgate:pro:month:usd")
        #expect(created["transfer_lookup_key"] == "true")
        #expect(writes.last?.path == "/v1/prices/\(oldID)")
        #expect(writes.last?["active"] == "false")
        #expect(fixture.fake.priceIsActive(oldID) == false)
        #expect(fixture.fake.activePriceLookupKeys["tollgate:pro:month:usd"] == 5900)
        #expect(report.summary == "created 1, archived 1")

        fixture.fake.clearRequests()
        #expect(try fixture.push().isEmpty)
        #expect(fixture.fake.writes.isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func archivedPlanArchivesItsPricesAndProduct(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        _ = try fixture.push()
        try fixture.applyCatalog { catalog in catalog.plans[catalog.planIndex("enterprise")].status = .archived }
        fixture.fake.clearRequests()

        let report = try fixture.push()
        #expect(report.summary == "archived 2")
        #expect(fixture.fake.productIsActive(plan: "enterprise") == false)
        #expect(fixture.fake.activePriceLookupKeys["tollgate:enterprise:year:usd"] == nil)
        #expect(fixture.fake.productIsActive(plan: "pro") == true)

        fixture.fake.clearRequests()
        #expect(try fixture.push().isEmpty)
        #expect(fixture.fake.writes.isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func missingEntitlementsAPIIsReportedAndNotFatal(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        fixture.fake.entitlementsAvailable = false
        let report = try fixture.push()
        #expect(!report.entitlementsAvailable)
        #expect(report.notes.contains { $0.hasPrefix("entitlements API not available") })
        #expect(fixture.fake.activePriceLookupKeys.count == 3)
        #expect(report.summary == "created 5")
        #expect(!fixture.logs.lines.joined().contains(BillingFixture.apiKey))
    }

    @Test(arguments: Backend.allCases)
    func dryRunReadsStripeAndWritesNothing(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        let dry = try fixture.push(dryRun: true)
        #expect(fixture.fake.writes.isEmpty)
        #expect(dry.dryRun)
        let real = try fixture.push()
        #expect(dry.changes.map { "\($0.action) \($0.object) \($0.key)" } == real.changes.map { "\($0.action) \($0.object) \($0.key)" })
    }

    @Test(arguments: Backend.allCases)
    func pushAfterAFailureCarriesOnWithTheSameIdempotencyKeys(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        fixture.fake.fail("POST", "/v1/prices", status: 400, type: "invalid_request_error", message: "refused once")
        #expect(throws: StripeError.self) { try fixture.push() }
        let failed = try #require(fixture.writes("POST", "/v1/prices").first)

        let report = try fixture.push()
        #expect(fixture.writes("POST", "/v1/products").count == 2, "products made by the failed push are found, not made again")
        let retried = try #require(fixture.writes("POST", "/v1/prices").dropFirst().first { $0["lookup_key"] == failed["lookup_key"] })
        #expect(retried.idempotencyKey == failed.idempotencyKey)
        #expect(fixture.fake.activePriceLookupKeys.count == 3)
        // The failed push had made the first plan's product: the next one finds it by metadata.
        let firstPlan = try #require(failed["metadata[tollgate_plan]"])
        #expect(!report.changes.contains { $0.object == "product" && $0.key == firstPlan })
    }

    @Test(arguments: Backend.allCases)
    func pushWithoutStripeConfiguredFailsClearly(backend: Backend) throws {
        let fixture = try BillingFixture(backend, stripeConfigured: false)
        #expect(throws: BillingError.notConfigured) { try fixture.push() }
    }

    private func priceID(_ fixture: BillingFixture, _ lookupKey: String) throws -> String {
        let stripe = try #require(fixture.services.stripe)
        return try #require(try stripe.get("/v1/prices", ["lookup_keys": [.string(lookupKey)]])["data"]?[0]?.id)
    }
}
