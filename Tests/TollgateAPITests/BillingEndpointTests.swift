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

/// The Stripe billing endpoints over HTTP, against a fake Stripe.
@Suite struct BillingEndpointTests {
    static let apiKey = "sk_test_api_billing_7f6e5d4c3b2a"

    private func harness(_ backend: Backend, fake: FakeStripeBilling?, webhookSecret: String? = nil) throws -> APIHarness {
        var environment: [String: String] = [:]
        if let fake {
            environment = ["TOLLGATE_STRIPE_API_KEY": Self.apiKey, "TOLLGATE_STRIPE_API_BASE": fake.baseURL]
        }
        if let webhookSecret { environment["TOLLGATE_STRIPE_WEBHOOK_SECRET"] = webhookSecret }
        let harness = try APIHarness(backend, environment: environment)
        _ = try harness.services.catalog.apply(try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json"))))
        _ = try harness.services.customers.upsert(.init(externalID: "org_acme", email: "billing@acme.example"))
        return harness
    }

    private func body(_ object: [String: Any]) throws -> [UInt8] { Array(try JSONSerialization.data(withJSONObject: object)) }

    @Test(arguments: Backend.allCases)
    func pushIsAnAdminCallAndASecondPushWritesNothing(backend: Backend) throws {
        let fake = try FakeStripeBilling()
        let api = try harness(backend, fake: fake)
        #expect(try api.send("POST", "/v1/plans/push", token: try api.token(.write)).status == 403)
        let admin = try api.token(.admin)

        let dry = try api.send("POST", "/v1/plans/push?dry_run=true", token: admin)
        #expect(dry.status == 200)
        #expect(try dry.json()["dry_run"] as? Bool == true)
        #expect(fake.writes.isEmpty)

        let pushed = try api.send("POST", "/v1/plans/push", token: admin)
        #expect(pushed.status == 200)
        let changes = try #require(try pushed.json()["changes"] as? [[String: Any]])
        #expect(changes.count == 13)
        #expect(changes.contains { $0["object"] as? String == "price" && $0["key"] as? String == "tollgate:pro:month:usd" && ($0["stripe_id"] as? String)?.hasPrefix("price_") == true })

        fake.clearRequests()
        let again = try api.send("POST", "/v1/plans/push", token: admin)
        #expect((try again.json()["changes"] as? [Any])?.isEmpty == true)
        #expect(fake.writes.isEmpty)
        #expect(try api.send("POST", "/v1/plans/push?dry_run=maybe", token: admin).status == 400)
    }

    @Test(arguments: Backend.allCases)
    func checkoutAndPortalAnswerURLsOrSayWhatIsMissing(backend: Backend) throws {
        let fake = try FakeStripeBilling()
        let api = try harness(backend, fake: fake)
        _ = try api.services.catalogPush.push()
        let token = try api.token(.write)
        let checkout = try body(["plan": "pro", "interval": "month", "success_url": "https://app.example/ok", "cancel_url": "https://app.example/no"])

        let created = try api.send("POST", "/v1/customers/org_acme/checkout", token: token, body: checkout)
        #expect(created.status == 200, "\(created.text)")
        #expect((try created.json()["url"] as? String)?.hasPrefix("https://checkout.stripe.com/") == true)
        #expect(fake.writes.last?["client_reference_id"] == "org_acme")
        #expect(fake.writes.last?["subscription_data[trial_period_days]"] == "14")

        let unknown = try api.send("POST", "/v1/customers/ghost/checkout", token: token, body: checkout)
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == "unknown_customer")
        let badPlan = try api.send("POST", "/v1/customers/org_acme/checkout", token: token, body: try body(["plan": "gold", "success_url": "https://a.example", "cancel_url": "https://a.example"]))
        #expect(badPlan.status == 400)

        let portal = try api.send("POST", "/v1/customers/org_acme/portal", token: token, body: try body(["return_url": "https://app.example/account"]))
        #expect(portal.status == 409)
        #expect(portal.errorCode == "no_stripe_customer")
        #expect(try api.send("POST", "/v1/customers/org_acme/portal", token: try api.token(.read), body: try body(["return_url": "https://a.example"])).status == 403)
    }

    @Test(arguments: Backend.allCases)
    func withoutStripeEveryBillingCallIs503(backend: Backend) throws {
        let api = try harness(backend, fake: nil)
        let token = try api.token(.admin)
        let calls: [(String, [UInt8]?)] = [
            ("/v1/plans/push", nil),
            ("/v1/customers/org_acme/checkout", try body(["plan": "pro", "success_url": "https://a.example", "cancel_url": "https://a.example"])),
            ("/v1/customers/org_acme/portal", try body(["return_url": "https://a.example"])),
            ("/v1/customers/org_acme/subscription/change", try body(["quantity": 2])),
            ("/v1/customers/org_acme/subscription/cancel", try body(["at_period_end": true])),
            ("/v1/customers/org_acme/subscription/resume", nil),
        ]
        for (path, payload) in calls {
            let response = try api.send("POST", path, token: token, body: payload)
            #expect(response.status == 409, "\(path)")
            #expect(response.errorCode == "stripe_not_configured", "\(path)")
            #expect(response.text.contains("TOLLGATE_STRIPE_API_KEY"), "\(path)")
        }
    }

    @Test(arguments: Backend.allCases)
    func subscriptionChangesAreAcceptedAndLeaveTheLocalStateToTheWebhook(backend: Backend) throws {
        let fake = try FakeStripeBilling()
        let api = try harness(backend, fake: fake)
        _ = try api.services.catalogPush.push()
        try api.services.database.transaction { connection in
            try connection.execute("UPDATE customers SET stripe_customer_id = \("cus_FakeAcme") WHERE external_id = \("org_acme")")
        }
        let token = try api.token(.write)
        let noStripeSubscription = try api.send("POST", "/v1/customers/org_acme/subscription/resume", token: token)
        #expect(noStripeSubscription.status == 409)
        #expect(noStripeSubscription.errorCode == "no_stripe_subscription")
        let subscription = try fake.addSubscription(customer: "cus_FakeAcme", lookupKey: "tollgate:pro:month:usd", quantity: 2)

        // The subscription as a webhook would leave it.
        _ = try api.services.subscriptions.set(customer: "org_acme", SubscriptionChange(plan: "pro", status: .active, quantity: 2), source: "api")
        try api.services.database.transaction { connection in
            try connection.execute("UPDATE subscriptions SET stripe_subscription_id = \(subscription)")
        }
        let before = try api.get("/v1/customers/org_acme/subscription", token: token).text

        let change = try api.send("POST", "/v1/customers/org_acme/subscription/change", token: token,
                                  body: try body(["plan": "enterprise", "quantity": 4, "proration_behavior": "none"]))
        #expect(change.status == 202, "\(change.text)")
        let answer = try change.json()
        #expect(answer["lookup_key"] as? String == "tollgate:enterprise:year:usd")
        #expect(answer["quantity"] as? Int == 4)
        #expect(answer["local_state"] as? String == "pending_webhook")
        #expect(fake.writes.last?["proration_behavior"] == "none")
        #expect(fake.writes.last?["items[0][quantity]"] == "4")

        let cancel = try api.send("POST", "/v1/customers/org_acme/subscription/cancel", token: token, body: try body(["at_period_end": true]))
        #expect(cancel.status == 202)
        #expect(try cancel.json()["cancel_at_period_end"] as? Bool == true)
        let resume = try api.send("POST", "/v1/customers/org_acme/subscription/resume", token: token)
        #expect(resume.status == 202)
        #expect(try resume.json()["cancel_at_period_end"] as? Bool == false)
        #expect(try api.get("/v1/customers/org_acme/subscription", token: token).text == before, "nothing changes locally before the webhook")

        let invalid = try api.send("POST", "/v1/customers/org_acme/subscription/change", token: token, body: try body(["proration_behavior": "none"]))
        #expect(invalid.status == 400)
        let badBehaviour = try api.send("POST", "/v1/customers/org_acme/subscription/change", token: token, body: try body(["quantity": 2, "proration_behavior": "sometimes"]))
        #expect(badBehaviour.status == 400)
    }

    /// Stripe made the change but its answer was lost (every attempt of the client's): Tollgate
    /// answered 502, so its own replay of the `Idempotency-Key` does not hold, and the change's
    /// webhook arrives before the client repeats the request. The repeat carries the same key to
    /// Stripe (the client's key, scoped to the API key, the operation and the customer), Stripe
    /// replays its first answer, and the plan change with its invoice happens once. A key taken
    /// from the local subscription's last update would have changed with the webhook: a second change.
    @Test(arguments: Backend.allCases)
    func aRepeatWithTheSameIdempotencyKeyIsOneStripeOperation(backend: Backend) throws {
        let fake = try FakeStripeBilling()
        let secret = "whsec_billing_endpoint_0f1e2d"
        let api = try harness(backend, fake: fake, webhookSecret: secret)
        _ = try api.services.catalogPush.push()
        try api.services.database.transaction { connection in
            try connection.execute("UPDATE customers SET stripe_customer_id = \("cus_FakeAcme") WHERE external_id = \("org_acme")")
        }
        let subscription = try fake.addSubscription(customer: "cus_FakeAcme", lookupKey: "tollgate:pro:month:usd", quantity: 2)
        func deliver(_ id: String, created: Int) throws {
            let payload = try fake.subscriptionEvent(subscription, type: "customer.subscription.updated", eventID: id, created: created)
            let header = WebhookSignature.header(payload: payload, timestamp: Int64(Date().timeIntervalSince1970), secrets: [secret])
            _ = try api.services.webhooks.receive(payload: payload, signatureHeader: header)
            #expect(try StripeEventApplier(services: api.services).applyPending().applied == 1)
        }
        try deliver("evt_repeat_1", created: 1_800_000_000)
        let token = try api.token(.write)
        let change = try body(["plan": "enterprise", "proration_behavior": "always_invoice"])
        func send() throws -> TestResponse {
            try api.request("POST", "/v1/customers/org_acme/subscription/change", token: token, headers: [
                ("Content-Type", "application/json"), ("Idempotency-Key", "change-to-enterprise-1"),
            ], body: change)
        }
        fake.fail("POST", "/v1/subscriptions/", status: 500, type: "api_error", message: "the answer was lost", times: 3, afterHandling: true)
        let lost = try send()
        #expect(lost.status == 502, "\(lost.text)")
        #expect(fake.subscriptionState(subscription)?.lookupKey == "tollgate:enterprise:year:usd", "Stripe acted")
        try deliver("evt_repeat_2", created: 1_800_000_100)
        #expect(try api.services.subscriptions.current(customer: "org_acme")?.state.planKey == "enterprise")

        let repeated = try send()
        #expect(repeated.status == 202, "\(repeated.text)")
        #expect(try repeated.json()["lookup_key"] as? String == "tollgate:enterprise:year:usd")
        let posts = fake.writes.filter { $0.path == "/v1/subscriptions/\(subscription)" }
        #expect(posts.count == 4, "three attempts, then the repeat")
        #expect(Set(posts.compactMap(\.idempotencyKey)).count == 1, "one key for the one request")
        #expect(fake.appliedWrites.filter { $0.path == "/v1/subscriptions/\(subscription)" }.count == 1, "one Stripe operation")

        // Another request (another key) is another operation.
        var other = try api.request("POST", "/v1/customers/org_acme/subscription/change", token: token, headers: [
            ("Content-Type", "application/json"), ("Idempotency-Key", "change-to-pro-1"),
        ], body: try body(["plan": "pro"]))
        #expect(other.status == 202, "\(other.text)")
        other = try api.send("POST", "/v1/customers/org_acme/subscription/change", token: token, body: try body(["quantity": 9]))
        #expect(other.status == 202, "\(other.text)")
        #expect(fake.appliedWrites.filter { $0.path == "/v1/subscriptions/\(subscription)" }.count == 3)
    }

    @Test(arguments: Backend.allCases)
    func stripeErrorsAreMappedAndNeverCarryTheKey(backend: Backend) throws {
        let fake = try FakeStripeBilling()
        let api = try harness(backend, fake: fake)
        _ = try api.services.catalogPush.push()
        let token = try api.token(.write)
        let checkout = try body(["plan": "pro", "success_url": "https://app.example/ok", "cancel_url": "https://app.example/no"])

        fake.fail("POST", "/v1/checkout/sessions", status: 400, type: "invalid_request_error", code: "url_invalid", message: "Not a valid URL; auth was {{authorization}}")
        let refused = try api.send("POST", "/v1/customers/org_acme/checkout", token: token, body: checkout)
        #expect(refused.status == 400)
        #expect(refused.errorCode == "stripe_error")
        #expect(refused.text.contains("url_invalid") && refused.text.contains("invalid_request_error") && refused.text.contains("req_fake"))
        #expect(!refused.text.contains(Self.apiKey))

        fake.fail("POST", "/v1/checkout/sessions", status: 500, type: "api_error", message: "Stripe is down; {{authorization}}", times: 3)
        let down = try api.send("POST", "/v1/customers/org_acme/checkout", token: token, body: checkout)
        #expect(down.status == 502)
        #expect(down.errorCode == "stripe_error")
        #expect(!down.text.contains(Self.apiKey))

        fake.fail("POST", "/v1/checkout/sessions", status: 401, type: "invalid_request_error", message: "Invalid API Key provided: {{authorization}}")
        let badKey = try api.send("POST", "/v1/customers/org_acme/checkout", token: token, body: checkout)
        #expect(badKey.status == 502)
        #expect(!badKey.text.contains(Self.apiKey))

        fake.fail("POST", "/v1/checkout/sessions", status: 409, type: "idempotency_error", message: "Keys for idempotent requests can only be used with the same parameters", times: 3)
        #expect(try api.send("POST", "/v1/customers/org_acme/checkout", token: token, body: checkout).status == 409)

        #expect(!api.logs.lines.joined(separator: "\n").contains(Self.apiKey))
        #expect(api.logs.lines.contains { $0.contains("request failed") && $0.contains("stripe_error") })
    }
}
