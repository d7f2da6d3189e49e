import Foundation
import Testing
import TollgateHTTPServer
import TollgateLogging
import TollgateStripe
import TollgateTestSupport

/// localstripe (PyPI), started by `scripts/test` on 127.0.0.1 and named in `TOLLGATE_TEST_STRIPE_URL`,
/// driven as Stripe would be by a SaaS: customers, products, plans (localstripe has no Prices),
/// cards and subscriptions; and its test-only webhook registry (`/_config/webhooks/ID`).
///
/// Webhook registrations are global to the peer and outlive a test: every registered endpoint
/// receives every event of every test. ``silence(_:)`` turns one off (localstripe has no delete).
struct LocalStripePeer {
    let url: String
    let port: Int
    let client: StripeClient

    /// The peer, or nil after recording a clear issue when the URL is missing.
    static func fromEnvironment() -> LocalStripePeer? {
        guard let url = ProcessInfo.processInfo.environment["TOLLGATE_TEST_STRIPE_URL"], !url.isEmpty,
              let port = url.split(separator: ":").last.flatMap({ Int($0) }) else {
            Issue.record("""
                TOLLGATE_TEST_STRIPE_URL is not set: run scripts/test (it starts localstripe), or start it with \
                `scripts/peers/localstripe start DIR` and export the URL it prints
                """)
            return nil
        }
        let configuration = StripeConfiguration(apiKey: StripeAPIKey("sk_test_tollgate_e2e"), baseURL: url, timeout: .seconds(20))
        return LocalStripePeer(url: url, port: port, client: StripeClient(configuration: configuration))
    }

    /// A marker unique to one test run.
    static func unique() -> String { UUID().uuidString.lowercased().prefix(12).description }

    /// Registers (or re-registers) webhook endpoint `id`; `events` limits the types sent.
    func registerWebhook(_ id: String, url endpoint: String, secret: String, events: [String]? = nil) throws {
        var form: StripeForm = ["url": .string(endpoint), "secret": .string(secret)]
        if let events { form["events"] = .list(events.map { .string($0) }) }
        let response = try HTTPTestClient.request(
            port: port, method: "POST", path: "/_config/webhooks/" + id,
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.encoded.utf8))
        guard response.status == 200 else { throw HTTPTestClientError("registering webhook \(id): \(response.status) \(response.text)") }
    }

    /// Keeps endpoint `id` registered but sends it nothing (an event type that never happens).
    func silence(_ id: String, url endpoint: String, secret: String) throws {
        try registerWebhook(id, url: endpoint, secret: secret, events: ["tollgate.test.never"])
    }

    /// A customer whose metadata names the Tollgate customer, with a default card, and a product
    /// and plan `planID` (metadata `tollgate_plan` = `tollgatePlan`). Returns the customer's id.
    func customerWithCard(externalID: String, planID: String, tollgatePlan: String, marker: String) throws -> String {
        let customer = try client.post(
            "/v1/customers", ["email": .string("\(marker)@example.com"), "metadata": ["tollgate_customer": .string(externalID)]],
            operation: "e2e.customer:\(marker)")
        let customerID = try #require(customer.id)
        let product = try client.post("/v1/products", ["name": .string("Pro \(marker)")], operation: "e2e.product:\(marker)")
        _ = try client.post("/v1/plans", [
            "id": .string(planID), "product": .string(try #require(product.id)), "amount": 4900, "currency": "usd", "interval": "month",
            "metadata": ["tollgate_plan": .string(tollgatePlan)],
        ], operation: "e2e.plan:\(marker)")
        let card = try client.post("/v1/payment_methods", [
            "type": "card", "card": ["number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"],
        ], operation: "e2e.card:\(marker)")
        let cardID = try #require(card.id)
        _ = try client.post("/v1/payment_methods/\(StripeClient.pathSegment(cardID))/attach", ["customer": .string(customerID)],
                            operation: "e2e.attach:\(marker)")
        _ = try client.post("/v1/customers/\(StripeClient.pathSegment(customerID))",
                            ["invoice_settings": ["default_payment_method": .string(cardID)]], operation: "e2e.default-card:\(marker)")
        return customerID
    }

    /// A subscription of `customerID` to `planID`; returns its id.
    func subscribe(_ customerID: String, planID: String, quantity: Int, operation: String) throws -> String {
        let subscription = try client.post(
            "/v1/subscriptions", ["customer": .string(customerID), "items": [["plan": .string(planID), "quantity": .integer(quantity)]]],
            operation: operation)
        return try #require(subscription.id)
    }

    func cancel(_ subscriptionID: String) throws {
        _ = try client.delete("/v1/subscriptions/" + StripeClient.pathSegment(subscriptionID))
    }
}

/// A webhook endpoint on a real socket that only records what localstripe sends it: a test learns
/// from it that an event has been sent (to every endpoint registered before it).
final class WebhookRecorder: Sendable {
    let server: HTTPServer
    private let bodies = ThreadSafeList<String>()

    init() throws {
        let router = Router()
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), router: router, logger: .disabled)
        router.register(.POST, "/hook") { [bodies] request in
            bodies.append(String(decoding: request.body, as: UTF8.self))
            return HTTPResponse(status: 200)
        }
        try server.start()
    }

    deinit { server.shutdown(timeout: .seconds(5)) }

    var url: String { "http://127.0.0.1:\(server.port)/hook" }

    /// Waits until an event body mentions `text`; false after `timeout`.
    func waitForEvent(mentioning text: String, timeout: Duration = .seconds(20)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if bodies.values.contains(where: { $0.contains(text) }) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }
}
