import Foundation
import Testing
@testable import TollgateBilling
@testable import TollgateCore
import Tollgate
import TollgateEntitlements
import TollgateStripe
import TollgateTestSupport

/// `TOLLGATE_STRIPE_REFETCH_TYPES`: the applier applies Stripe's current object, not the payload.
@Suite struct StripeRefetchTests {
    /// A stale payload (captured before a change in Stripe) is delivered after the change.
    private func deliverStalePayload(_ fixture: BillingFixture) throws -> Int? {
        let id = try fixture.subscribed(quantity: 2)
        let sequence = EventSequence.next()
        let stale = try fixture.fake.subscriptionEvent(id, eventID: "evt_refetch_\(sequence)", created: 1_800_000_000 + sequence)
        _ = try fixture.services.billing.change(customer: "org_acme", PlanChangeRequest(quantity: 5))
        let header = WebhookSignature.header(payload: stale, timestamp: Int64(Date().timeIntervalSince1970), secrets: [BillingFixture.webhookSecret])
        _ = try fixture.services.webhooks.receive(payload: stale, signatureHeader: header)
        _ = try StripeEventApplier(services: fixture.services).applyPending()
        return try fixture.local?.state.quantity
    }

    @Test(arguments: Backend.allCases)
    func configuredTypesApplyStripesCurrentObject(backend: Backend) throws {
        let fixture = try BillingFixture(backend, environment: ["TOLLGATE_STRIPE_REFETCH_TYPES": "customer.subscription.updated"])
        #expect(try deliverStalePayload(fixture) == 5)
        #expect(fixture.fake.requests.contains { $0.method == "GET" && $0.path.hasPrefix("/v1/subscriptions/sub") })
    }

    @Test(arguments: Backend.allCases)
    func otherwiseThePayloadIsApplied(backend: Backend) throws {
        let fixture = try BillingFixture(backend)
        #expect(try deliverStalePayload(fixture) == 2)
    }

    @Test func unknownTypesAreAConfigurationError() {
        #expect {
            _ = try Configuration(environment: ["TOLLGATE_STRIPE_REFETCH_TYPES": "invoice.paid"])
        } throws: { error in
            (error as? ConfigurationError)?.variable == "TOLLGATE_STRIPE_REFETCH_TYPES"
        }
    }
}
