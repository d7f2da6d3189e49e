import Foundation
import Testing
import Tollgate
@testable import TollgateBilling
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateTestSupport

/// Quantity from seats (docs/seats.md): a plan with `seat_billing` has its Stripe subscription's
/// quantity follow the assigned seats, at most once per interval, once across instances, with the
/// plan's proration behaviour — against the stateful fake Stripe, on both backends.
@Suite struct SeatQuantitySyncTests {
    /// `pro` bills per seat: 50 seats at most, the quantity follows the holders.
    static func fixture(_ backend: Backend) throws -> BillingFixture {
        let fixture = try BillingFixture(backend)
        try fixture.applyCatalog { catalog in
            let pro = catalog.planIndex("pro")
            catalog.plans[pro].entitlements["seats"] = .limit(50)
            catalog.plans[pro].seatBilling = SeatBilling(feature: "seats", prorationBehavior: "always_invoice")
        }
        return fixture
    }

    @Test(arguments: Backend.allCases)
    func theQuantityFollowsTheSeatsDebouncedAndOnceAcrossInstances(backend: Backend) throws {
        let fixture = try Self.fixture(backend)
        let subscription = try fixture.subscribed(quantity: 2)
        let other = try fixture.store.openAnother()
        defer { other.close() }
        let second = Services(
            configuration: fixture.services.configuration, database: other, migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: .disabled)
        let syncs = [SeatQuantitySync(services: fixture.services), SeatQuantitySync(services: second)]
        for index in 0..<5 { _ = try fixture.services.seats.assign(customer: "org_acme", feature: "seats", member: "u_\(index)") }
        fixture.fake.clearRequests()
        let path = "/v1/subscriptions/\(subscription)"

        let t0 = Date()
        let barrier = ThreadBarrier(count: 2)
        ConcurrentThreads.run(2) { index in
            barrier.arriveAndWait()
            _ = try? syncs[index].runOnce(now: t0)
        }
        var sent = fixture.writes("POST", path)
        #expect(sent.count == 1, "one update across the instances")
        #expect(sent.first?["items[0][quantity]"] == "5" && sent.first?["proration_behavior"] == "always_invoice")
        #expect(fixture.fake.subscriptionState(subscription)?.quantity == 5)
        #expect(try syncs[0].runOnce(now: t0.addingTimeInterval(1)).isEmpty, "sent, the webhook not yet mirrored: nothing again")

        // Two more seats within the interval wait for it, then go as one update.
        for index in 5..<7 { _ = try second.seats.assign(customer: "org_acme", feature: "seats", member: "u_\(index)") }
        #expect(try syncs[1].runOnce(now: t0.addingTimeInterval(10)).isEmpty)
        #expect(try syncs[0].runOnce(now: t0.addingTimeInterval(61)) == [SeatQuantitySync.Attempt(customer: "org_acme", quantity: 7)])
        sent = fixture.writes("POST", path)
        #expect(sent.map { $0["items[0][quantity]"] } == ["5", "7"])

        // Stripe's webhook brings the quantity home; then there is nothing to send.
        try fixture.deliverWebhook(for: subscription)
        #expect(try fixture.local?.state.quantity == 7)
        #expect(try syncs[1].runOnce(now: t0.addingTimeInterval(300)).isEmpty)
        try fixture.services.seats.release(customer: "org_acme", feature: "seats", member: "u_0")
        #expect(try syncs[1].runOnce(now: t0.addingTimeInterval(301)).map(\.quantity) == [6])
        #expect(fixture.writes("POST", path).count == 3)
    }

    /// A refused update is recorded and retried after the interval, not at once.
    @Test(arguments: Backend.allCases)
    func aRefusedUpdateIsRetriedAfterTheInterval(backend: Backend) throws {
        let fixture = try Self.fixture(backend)
        let subscription = try fixture.subscribed(quantity: 2)
        for index in 0..<3 { _ = try fixture.services.seats.assign(customer: "org_acme", feature: "seats", member: "u_\(index)") }
        let sync = SeatQuantitySync(services: fixture.services)
        let t0 = Date()
        fixture.fake.fail("POST", "/v1/subscriptions/\(subscription)", status: 400, type: "invalid_request_error", message: "Try again later.", times: 1)
        let refused = try sync.runOnce(now: t0)
        #expect(refused.count == 1 && refused.first?.error != nil)
        #expect(try sync.runOnce(now: t0.addingTimeInterval(5)).isEmpty)
        #expect(try sync.runOnce(now: t0.addingTimeInterval(61)) == [SeatQuantitySync.Attempt(customer: "org_acme", quantity: 3)])
        #expect(fixture.fake.subscriptionState(subscription)?.quantity == 3)
    }

    @Test func seatBillingRulesNameThePlace() throws {
        #expect(Catalog.prorationBehaviors == Set(ProrationBehavior.allCases.map(\.rawValue)))
        var catalog = try exampleCatalog()
        let pro = catalog.planIndex("pro")
        catalog.plans[pro].seatBilling = SeatBilling(feature: "sso", prorationBehavior: "sometimes")
        catalog.plans[catalog.planIndex("free")].perUnit["seats"] = PerUnitEntitlement(perUnit: 1)
        catalog.plans[catalog.planIndex("free")].entitlements["seats"] = nil
        catalog.plans[catalog.planIndex("free")].seatBilling = SeatBilling(feature: "seats")
        let problems = catalog.problems().map { "\($0.place): \($0.message)" }
        #expect(problems.contains { $0.hasPrefix("plans[\(pro)].seat_billing.feature: must be a limit feature") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("plans[\(pro)].seat_billing.proration_behavior:") }, "\(problems)")
        #expect(problems.contains { $0.contains("seat_billing.feature: is a per-unit limit") }, "\(problems)")
    }
}
