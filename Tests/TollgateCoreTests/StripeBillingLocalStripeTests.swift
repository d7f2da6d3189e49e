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
import TollgateBase

/// ``StripeBilling`` against localstripe (a real stateful peer, started by `scripts/test` and named
/// in `TOLLGATE_TEST_STRIPE_URL`). localstripe has no Prices, so its subscription is made on a
/// plan (`items[0][plan]`); quantity changes, cancel at period end, resume and cancel now go
/// through the same code as against Stripe. (localstripe refuses `proration_behavior` with a 500,
/// so the quantity change leaves it out, as a caller who wants Stripe's default does.)
@Suite struct StripeBillingLocalStripeTests {
    @Test(arguments: Backend.allCases)
    func quantityCancelAtPeriodEndResumeAndCancelNowReachLocalstripe(backend: Backend) throws {
        guard let url = ProcessInfo.processInfo.environment["TOLLGATE_TEST_STRIPE_URL"], !url.isEmpty else {
            Issue.record("TOLLGATE_TEST_STRIPE_URL is not set: run scripts/test, or scripts/peers/localstripe start DIR and export the URL it prints")
            return
        }
        let marker = UUID().uuidString.lowercased().prefix(12)
        let stripe = StripeClient(configuration: StripeConfiguration(apiKey: StripeAPIKey("sk_test_tollgate"), baseURL: url, timeout: .seconds(20)))
        let customerID = try #require(try stripe.post("/v1/customers", ["email": "\(marker)@example.com"], operation: "test.customer:\(marker)").id)
        let product = try #require(try stripe.post("/v1/products", ["name": "Pro", "type": "service"], operation: "test.product:\(marker)").id)
        let plan = "tollgate_pro_month_\(marker)"
        _ = try stripe.post("/v1/plans", ["id": .string(plan), "product": .string(product), "amount": 4900, "currency": "usd", "interval": "month"],
                            operation: "test.plan:\(marker)")
        let card = try #require(try stripe.post(
            "/v1/payment_methods", ["type": "card", "card": ["number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"]],
            operation: "test.pm:\(marker)").id)
        _ = try stripe.post("/v1/payment_methods/\(card)/attach", ["customer": .string(customerID)], operation: "test.attach:\(marker)")
        _ = try stripe.post("/v1/customers/\(customerID)", ["invoice_settings": ["default_payment_method": .string(card)]], operation: "test.default:\(marker)")
        let subscriptionID = try #require(try stripe.post(
            "/v1/subscriptions", ["customer": .string(customerID), "items": [["plan": .string(plan), "quantity": 2]]], operation: "test.sub:\(marker)").id)

        let store = try migratedStore(backend)
        let services = Services(
            configuration: try Configuration(environment: [
                "TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_STRIPE_API_KEY": "sk_test_tollgate", "TOLLGATE_STRIPE_API_BASE": url,
            ]),
            database: store.database, migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: .disabled)
        _ = try services.catalog.apply(try exampleCatalog())
        let customer = try services.customers.upsert(.init(externalID: "org_ls_\(marker)")).customer
        try services.database.transaction { connection in
            try CustomerRepository.link(customer, stripeCustomerID: customerID, on: connection, now: Date())
            _ = try SubscriptionRepository.set(
                customer: customer, SubscriptionChange(plan: "pro", status: .active, quantity: 2), source: "stripe", mode: .mirror,
                stripeSubscriptionID: subscriptionID, observer: BillingMail.subscriptionObserver, on: connection, now: Date())
        }
        let before = try services.subscriptions.current(customer: customer.externalID)
        let remote = { try stripe.get("/v1/subscriptions/\(subscriptionID)") }

        let quantity = try services.billing.change(customer: customer.externalID, PlanChangeRequest(quantity: 5))
        #expect(quantity.quantity == 5)
        #expect(try remote()["items"]?["data"]?[0]?["quantity"]?.int == 5)

        #expect(try services.billing.cancel(customer: customer.externalID, atPeriodEnd: true).cancelAtPeriodEnd)
        #expect(try remote()["cancel_at_period_end"]?.bool == true)
        #expect(try !services.billing.resume(customer: customer.externalID).cancelAtPeriodEnd)
        #expect(try remote()["cancel_at_period_end"]?.bool == false)
        #expect(try services.subscriptions.current(customer: customer.externalID) == before, "the local state waits for the webhook")

        #expect(try services.billing.cancel(customer: customer.externalID, atPeriodEnd: false).status == "canceled")
        #expect(try remote()["status"]?.string == "canceled")
    }
}
