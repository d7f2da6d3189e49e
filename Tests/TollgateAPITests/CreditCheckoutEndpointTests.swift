import Foundation
import Testing
import Tollgate
import TollgateCore
import TollgateEntitlements
import TollgateStore
import TollgateTestSupport

/// The credit checkout and top-up endpoints over HTTP, against a fake Stripe.
@Suite struct CreditCheckoutEndpointTests {
    private func harness(_ backend: Backend, fake: FakeStripeBilling?) throws -> APIHarness {
        let environment = fake.map { ["TOLLGATE_STRIPE_API_KEY": "sk_test_api_credits_1a2b3c", "TOLLGATE_STRIPE_API_BASE": $0.baseURL] } ?? [:]
        let harness = try APIHarness(backend, environment: environment)
        var catalog = try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")))
        catalog.creditPools = [CreditPool(key: "ai_credits", name: "AI credits", packs: [
            CreditPack(key: "pack_1000", credits: 1000, unitAmount: 1000, currency: "usd", expiresAfterDays: 365),
        ])]
        _ = try harness.services.catalog.apply(catalog)
        _ = try harness.services.customers.upsert(.init(externalID: "org_acme", email: "billing@acme.example"))
        return harness
    }

    private func body(_ object: [String: Any]) throws -> [UInt8] { Array(try JSONSerialization.data(withJSONObject: object)) }

    @Test(arguments: Backend.allCases)
    func checkoutAnswersAPaymentSessionOrSaysWhatIsWrong(backend: Backend) throws {
        let fake = try FakeStripeBilling()
        let api = try harness(backend, fake: fake)
        let token = try api.token(.write)
        let request: [String: Any] = ["pool": "ai_credits", "pack": "pack_1000", "success_url": "https://app.example/ok", "cancel_url": "https://app.example/no"]
        let created = try api.send("POST", "/v1/customers/org_acme/credits/checkout", token: token, body: try body(request))
        #expect(created.status == 200, "\(created.text)")
        #expect((try created.json()["id"] as? String)?.hasPrefix("cs_test") == true)
        #expect(fake.writes.first?["mode"] == "payment")

        var unknown = request
        unknown["pack"] = "pack_none"
        let refused = try api.send("POST", "/v1/customers/org_acme/credits/checkout", token: token, body: try body(unknown))
        #expect(refused.status == 400)
        #expect(try api.send("POST", "/v1/customers/org_nobody/credits/checkout", token: token, body: try body(request)).status == 404)

        let unconfigured = try harness(backend, fake: nil)
        let answer = try unconfigured.send("POST", "/v1/customers/org_acme/credits/checkout", token: try unconfigured.token(.write), body: try body(request))
        #expect(answer.status == 409 && answer.errorCode == "stripe_not_configured")
    }

    @Test(arguments: Backend.allCases)
    func topUpIsSetWithWriteAndReadWithRead(backend: Backend) throws {
        let api = try harness(backend, fake: nil)
        let setting: [String: Any] = ["pool": "ai_credits", "threshold": 100, "pack": "pack_1000", "enabled": true]
        #expect(try api.send("PUT", "/v1/customers/org_acme/credits/top-up", token: try api.token(.read), body: try body(setting)).status == 403)
        let saved = try api.send("PUT", "/v1/customers/org_acme/credits/top-up", token: try api.token(.write), body: try body(setting))
        #expect(saved.status == 200, "\(saved.text)")
        let json = try saved.json()
        #expect(json["pool"] as? String == "ai_credits" && json["threshold"] as? Int == 100 && json["armed"] as? Bool == true)
        var bad = setting
        bad["threshold"] = -5
        #expect(try api.send("PUT", "/v1/customers/org_acme/credits/top-up", token: try api.token(.write), body: try body(bad)).status == 400)

        let listed = try api.get("/v1/customers/org_acme/credits/top-up", token: try api.token(.read))
        #expect(listed.status == 200)
        let data = try #require(try listed.json()["data"] as? [[String: Any]])
        #expect(data.count == 1 && data.first?["pack"] as? String == "pack_1000" && data.first?["enabled"] as? Bool == true)
    }
}
