import Foundation
import Synchronization
import Testing
import Tollgate
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateStore
import TollgateTestSupport

/// `GET /v1/stripe/usage-export` and the metered prices in the catalog endpoints, over HTTP against
/// the fake Stripe (every response checked against the OpenAPI document by the harness).
@Suite struct UsageExportEndpointTests {
    @Test(arguments: Backend.allCases)
    func usageExportShowsWhatWasSentPerFeature(backend: Backend) throws {
        let fake = try FakeStripeBilling()
        let api = try APIHarness(backend, environment: ["TOLLGATE_STRIPE_API_KEY": "sk_test_usage_export_1a2b3c", "TOLLGATE_STRIPE_API_BASE": fake.baseURL])
        var catalog = try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")))
        catalog.plans[catalog.plans.firstIndex { $0.key == "pro" } ?? 0].meteredPrices = ["api.requests": MeteredPrice(unitAmountDecimal: "0.05", currency: "usd")]
        _ = try api.services.catalog.apply(catalog)
        let admin = try api.token(.admin)
        let pushed = try api.send("POST", "/v1/plans/push", token: admin)
        #expect(pushed.status == 200)
        let changes = try #require(try pushed.json()["changes"] as? [[String: Any]])
        #expect(changes.contains { $0["object"] as? String == "meter" && $0["key"] as? String == "api.requests" })
        let plan = try api.send("GET", "/v1/plans/pro", token: admin)
        #expect(((try plan.json()["metered_prices"] as? [String: Any])?["api.requests"] as? [String: Any])?["unit_amount_decimal"] as? String == "0.05")

        let customer = try api.services.customers.upsert(.init(externalID: "org_meter", email: "m@example.com")).customer
        try api.services.database.transaction { connection in
            try CustomerRepository.link(customer, stripeCustomerID: "cus_api_meter", on: connection, now: Date())
        }
        let recorded = Date().addingTimeInterval(-600)
        #expect(try api.send("GET", "/v1/stripe/usage-export", token: try api.token(.write)).status == 403)
        let before = try #require(try api.send("GET", "/v1/stripe/usage-export", token: admin).json()["data"] as? [[String: Any]])
        #expect(before.count == 1 && before[0]["scanned_to"] == nil && before[0]["event_name"] as? String == "tollgate.api.requests")

        // The exporter as `serve` builds it, with its clock at two points: when billing started, then now.
        let clock = Mutex(recorded.addingTimeInterval(-300))
        let exporter = MeterEventExporter(
            database: api.services.database, catalog: api.services.catalog, stripe: api.services.stripe,
            options: api.services.configuration.usageExport, clock: { clock.withLock { $0 } })
        #expect(try exporter.runOnce().planned == 0)
        _ = try api.services.entitlements.record(UsageRequest(customer: "org_meter", feature: "api.requests", quantity: 12), now: recorded)
        clock.withLock { $0 = Date() }
        let report = try exporter.runOnce()
        #expect(report.sent == 1, "\(report)")
        let after = try #require(try api.send("GET", "/v1/stripe/usage-export", token: admin).json()["data"] as? [[String: Any]])
        #expect((after.first?["sent"] as? [String: Any])?["quantity"] as? Int == 12)
        #expect(after.first?["scanned_to"] is String)
        #expect(fake.meterTotals["tollgate.api.requests"]?["cus_api_meter"] == 12)
        let metrics = try api.get("/metrics").text
        #expect(metrics.contains("tollgate_meter_events{state=\"pending\"} 0") && metrics.contains("tollgate_meter_events{state=\"late\"} 0"), "\(metrics)")
    }
}
