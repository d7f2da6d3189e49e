import Foundation
import Testing
import TollgateLogging
import TollgateStripe
import TollgateBase

/// Integration tests against localstripe (PyPI), which `scripts/test` starts on 127.0.0.1 and
/// names in `TOLLGATE_TEST_STRIPE_URL`. localstripe lacks Prices (plans stand in for them),
/// Checkout, the portal and Entitlements, ignores idempotency keys, and lists oldest-first.
@Suite struct LocalStripeTests {
    /// A client for localstripe; records an issue (and returns nil) when the URL is missing.
    static func client(logger: Logger = .disabled) -> StripeClient? {
        guard let url = ProcessInfo.processInfo.environment["TOLLGATE_TEST_STRIPE_URL"], !url.isEmpty else {
            Issue.record("TOLLGATE_TEST_STRIPE_URL is not set: run scripts/test (it starts localstripe), or start it with scripts/peers/localstripe start DIR and export the URL it prints")
            return nil
        }
        return StripeClient(configuration: StripeConfiguration(apiKey: StripeAPIKey("sk_test_tollgate"), baseURL: url, timeout: .seconds(20)), logger: logger)
    }

    /// A marker unique to one test run, for emails and ids.
    static func unique() -> String { UUID().uuidString.lowercased().prefix(12).description }

    @Test func createAndRetrieveACustomerWithMetadata() throws {
        guard let stripe = Self.client() else { return }
        let marker = Self.unique()
        let created = try stripe.post(
            "/v1/customers", ["email": "\(marker)@example.com", "name": "Zoë & Co", "metadata": ["external_id": "org_\(marker)", "plan": "pro"]],
            operation: "customers.create:org_\(marker)")
        let id = try #require(created.id)
        #expect(id.hasPrefix("cus_"))
        let fetched = try stripe.get("/v1/customers/" + StripeClient.pathSegment(id))
        #expect(fetched.id == id)
        #expect(fetched["email"]?.string == "\(marker)@example.com")
        #expect(fetched["name"]?.string == "Zoë & Co")
        #expect(fetched["metadata"]?["external_id"]?.string == "org_\(marker)")
        #expect(fetched["metadata"]?["plan"]?.string == "pro")
    }

    @Test func listCustomersAcrossPages() throws {
        let sink = MemoryLogSink()
        guard let stripe = Self.client(logger: Logger(label: "test", level: .debug, sink: sink)) else { return }
        let email = "list-\(Self.unique())@example.com"
        var ids: [String] = []
        for index in 0..<5 {
            let customer = try stripe.post("/v1/customers", ["email": .string(email)], operation: "customers.create:\(email):\(index)")
            ids.append(try #require(customer.id))
        }
        let requestsBefore = sink.lines.count
        let listed = try stripe.list("/v1/customers", ["email": .string(email), "limit": 2])
        #expect(Set(listed.compactMap(\.id)) == Set(ids))
        #expect(listed.count == 5)
        #expect(sink.lines.count - requestsBefore == 3)  // pages of 2, 2, 1
    }

    @Test func subscriptionLifecycle() throws {
        guard let stripe = Self.client() else { return }
        let marker = Self.unique()
        let customer = try stripe.post("/v1/customers", ["email": "\(marker)@example.com", "metadata": ["external_id": "org_\(marker)"]], operation: "c:\(marker)")
        let customerID = try #require(customer.id)
        let product = try stripe.post("/v1/products", ["name": "Pro \(marker)", "metadata": ["tollgate_plan": "pro"]], operation: "p:\(marker)")
        let productID = try #require(product.id)
        let planID = "pro_month_\(marker)"
        let plan = try stripe.post("/v1/plans", [
            "id": .string(planID), "product": .string(productID), "amount": 4900, "currency": "usd", "interval": "month",
            "metadata": ["tollgate_plan": "pro"],
        ], operation: "plan:\(marker)")
        #expect(plan.id == planID)
        #expect(plan["amount"]?.int == 4900)
        let card = try stripe.post("/v1/payment_methods", [
            "type": "card", "card": ["number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"],
        ], operation: "pm:\(marker)")
        let cardID = try #require(card.id)
        _ = try stripe.post("/v1/payment_methods/\(StripeClient.pathSegment(cardID))/attach", ["customer": .string(customerID)], operation: "attach:\(marker)")
        let updated = try stripe.post("/v1/customers/\(StripeClient.pathSegment(customerID))", ["invoice_settings": ["default_payment_method": .string(cardID)]], operation: "default-pm:\(marker)")
        #expect(updated["invoice_settings"]?["default_payment_method"]?.string == cardID)
        let subscription = try stripe.post("/v1/subscriptions", [
            "customer": .string(customerID), "items": [["plan": .string(planID), "quantity": 3]], "metadata": ["external_id": "org_\(marker)"],
        ], operation: "sub:\(marker)")
        let subscriptionID = try #require(subscription.id)

        let fetched = try stripe.get("/v1/subscriptions/" + StripeClient.pathSegment(subscriptionID))
        #expect(fetched["status"]?.string == "active")
        #expect(fetched["customer"]?.string == customerID)
        #expect(fetched["items"]?["data"]?[0]?["plan"]?["id"]?.string == planID)
        #expect(fetched["items"]?["data"]?[0]?["quantity"]?.int == 3)
        #expect(fetched["metadata"]?["external_id"]?.string == "org_\(marker)")
        let listed = try stripe.list("/v1/subscriptions", ["customer": .string(customerID)])
        #expect(listed.compactMap(\.id) == [subscriptionID])

        let deleted = try stripe.delete("/v1/subscriptions/" + StripeClient.pathSegment(subscriptionID), operation: "cancel:\(marker)")
        #expect(deleted["status"]?.string == "canceled")
    }

    @Test func unknownIdIsATypedNotFound() throws {
        guard let stripe = Self.client() else { return }
        let error = #expect(throws: StripeError.self) { try stripe.get("/v1/customers/cus_doesnotexist\(Self.unique())") }
        #expect(error?.kind == .api)
        #expect(error?.status == 404)
        #expect(error?.isNotFound == true)
        #expect(error?.type == "invalid_request_error")
        #expect(error?.attempts == 1)
    }
}
