import Foundation
import Testing
import Tollgate
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateStore
import TollgateTestSupport

/// A migrated store with the example catalog and one customer, `org_1`.
struct EntitlementFixture {
    let store: TestDatabase
    let service: EntitlementService
    let subscriptions: SubscriptionRepository
    let grants: GrantRepository

    init(_ backend: Backend) throws {
        store = try migratedStore(backend)
        _ = try CatalogRepository(database: store.database).apply(try exampleCatalog())
        _ = try CustomerRepository(database: store.database).upsert(.init(externalID: "org_1"))
        service = EntitlementService(database: store.database)
        subscriptions = SubscriptionRepository(database: store.database)
        grants = GrantRepository(database: store.database)
    }

    func subscribe(_ plan: String, _ status: SubscriptionStatus, now: Date, periodEnd: Date? = nil, cancelAtPeriodEnd: Bool = false) throws {
        _ = try subscriptions.set(customer: "org_1", SubscriptionChange(
            plan: plan, status: status, currentPeriodStart: now.addingTimeInterval(-86_400),
            currentPeriodEnd: periodEnd ?? now.addingTimeInterval(29 * 86_400), cancelAtPeriodEnd: cancelAtPeriodEnd), source: "test", now: now)
    }
}

let noon = Date(timeIntervalSince1970: 1_800_100_800)  // 2027-01-15T12:00:00Z... a fixed instant

@Suite struct EntitlementServiceTests {
    @Test(arguments: Backend.allCases)
    func customerWithoutSubscriptionGetsTheDefaultPlan(backend: Backend) throws {
        let fixture = try EntitlementFixture(backend)
        let snapshot = try fixture.service.snapshot(customer: "org_1", now: noon)
        #expect(snapshot.plan == "free")
        #expect(snapshot.planSource == .defaultPlan)
        #expect(snapshot.entitlements["seats"]?.value == .limit(1))
        #expect(snapshot.entitlements["sso"]?.value == nil)
        #expect(snapshot.entitlements["sso"]?.denial == .noActiveSubscription)
        #expect(try fixture.service.check(customer: "org_1", feature: "seats", quantity: 2, now: noon).reason == .limitExceeded)
    }

    @Test(arguments: Backend.allCases)
    func subscriptionStatusDecidesBetweenThePlanAndTheDefault(backend: Backend) throws {
        let fixture = try EntitlementFixture(backend)
        try fixture.subscribe("pro", .active, now: noon)
        #expect(try fixture.service.snapshot(customer: "org_1", now: noon).entitlements["seats"]?.value == .limit(10))
        #expect(try fixture.service.check(customer: "org_1", feature: "integrations.github", now: noon).allowed)

        // Past due: the grace period counts from the first failed payment (when it was set).
        try fixture.subscribe("pro", .pastDue, now: noon)
        #expect(try fixture.service.snapshot(customer: "org_1", now: noon.addingTimeInterval(6 * 86_400)).plan == "pro")
        #expect(try fixture.service.snapshot(customer: "org_1", now: noon.addingTimeInterval(7 * 86_400)).planSource == .defaultPlan)

        try fixture.subscribe("pro", .canceled, now: noon)
        let canceled = try fixture.service.snapshot(customer: "org_1", now: noon)
        #expect(canceled.planSource == .defaultPlan)
        #expect(canceled.entitlements["integrations.github"]?.denial == .noActiveSubscription)

        let end = noon.addingTimeInterval(3600)
        try fixture.subscribe("pro", .active, now: noon, periodEnd: end, cancelAtPeriodEnd: true)
        #expect(try fixture.service.snapshot(customer: "org_1", now: end.addingTimeInterval(-1)).plan == "pro")
        #expect(try fixture.service.snapshot(customer: "org_1", now: end).planSource == .defaultPlan)
        #expect(try fixture.subscriptions.history(customer: "org_1").count == 4)
    }

    @Test(arguments: Backend.allCases)
    func grantsRaiseLimitsAddQuotaAndStopAtTheirExpiryInstant(backend: Backend) throws {
        let fixture = try EntitlementFixture(backend)
        let expiry = noon.addingTimeInterval(3600)
        _ = try fixture.grants.create(customer: "org_1", .init(feature: "seats", value: .limit(5), reason: "pilot", expiresAt: expiry),
                                      grantedBy: "ops", now: noon)
        _ = try fixture.grants.create(customer: "org_1", .init(feature: "api.requests", value: .limit(500), reason: "bonus"), grantedBy: "ops", now: noon)
        let sso = try fixture.grants.create(customer: "org_1", .init(feature: "sso", value: .enabled, reason: "trial"), grantedBy: "ops", now: noon)
        let during = try fixture.service.snapshot(customer: "org_1", now: expiry.addingTimeInterval(-0.001))
        #expect(during.entitlements["seats"]?.value == .limit(5))
        #expect(during.entitlements["seats"]?.source == .grant)
        #expect(during.entitlements["api.requests"]?.value == .limit(1500))
        #expect(during.entitlements["sso"]?.value == .enabled)
        let after = try fixture.service.snapshot(customer: "org_1", now: expiry)
        #expect(after.entitlements["seats"]?.value == .limit(1))

        _ = try fixture.grants.revoke(customer: "org_1", grant: sso.id, now: noon)
        #expect(try fixture.service.snapshot(customer: "org_1", now: noon).entitlements["sso"]?.value == nil)
        #expect(throws: DomainError.self) {
            try fixture.grants.create(customer: "org_1", .init(feature: "sso", value: .limit(3), reason: "x"), grantedBy: "ops", now: noon)
        }
        #expect(throws: DomainError.self) {
            try fixture.grants.create(customer: "org_1", .init(feature: "nope", value: .enabled, reason: "x"), grantedBy: "ops", now: noon)
        }
        #expect(throws: DomainError.unknownCustomer("ghost")) {
            try fixture.grants.create(customer: "ghost", .init(feature: "sso", value: .enabled, reason: "x"), grantedBy: "ops", now: noon)
        }
    }

    @Test(arguments: Backend.allCases)
    func consumeStopsAtTheQuotaAndRecordDoesNot(backend: Backend) throws {
        let fixture = try EntitlementFixture(backend)
        let first = try fixture.service.consume(.init(customer: "org_1", feature: "exports.daily", quantity: 4), now: noon)
        #expect(first.allowed && first.used == 4 && first.remaining == 1)
        let over = try fixture.service.consume(.init(customer: "org_1", feature: "exports.daily", quantity: 2), now: noon)
        #expect(!over.allowed)
        #expect(over.reason == .limitExceeded)
        #expect(over.used == 4)
        let recorded = try fixture.service.record(.init(customer: "org_1", feature: "exports.daily", quantity: 3), now: noon)
        #expect(recorded.allowed && recorded.used == 7 && recorded.remaining == 0)
        #expect(try fixture.service.check(customer: "org_1", feature: "exports.daily", now: noon).reason == .limitExceeded)
        // Not metered / not entitled / bad input.
        #expect(throws: DomainError.self) { try fixture.service.consume(.init(customer: "org_1", feature: "seats"), now: noon) }
        #expect(try fixture.service.consume(.init(customer: "org_1", feature: "api.requests", quantity: 1), now: noon).allowed)
        #expect(throws: DomainError.self) { try fixture.service.consume(.init(customer: "org_1", feature: "exports.daily", quantity: 0), now: noon) }
        #expect(throws: DomainError.unknownFeature("ghost.feature")) { try fixture.service.consume(.init(customer: "org_1", feature: "ghost.feature"), now: noon) }
        #expect(throws: DomainError.unknownCustomer("ghost")) { try fixture.service.consume(.init(customer: "ghost", feature: "exports.daily"), now: noon) }
    }

    @Test(arguments: Backend.allCases)
    func repeatedIdempotencyKeyCountsOnce(backend: Backend) throws {
        let fixture = try EntitlementFixture(backend)
        let request = UsageRequest(customer: "org_1", feature: "api.requests", quantity: 10, idempotencyKey: "batch-1")
        #expect(try fixture.service.record(request, now: noon).duplicate == false)
        let again = try fixture.service.record(request, now: noon)
        #expect(again.duplicate)
        #expect(again.used == 10)
        #expect(try fixture.service.consume(request, now: noon).duplicate)
        #expect(try fixture.service.snapshot(customer: "org_1", now: noon).entitlements["api.requests"]?.used == 10)
    }

    /// Many threads consume one quota at once: exactly the quota is allowed, nothing is lost.
    @Test(arguments: Backend.allCases)
    func concurrentConsumersNeverExceedTheQuota(backend: Backend) throws {
        let fixture = try EntitlementFixture(backend)  // free plan: exports.daily quota 5 per day
        _ = try fixture.grants.create(customer: "org_1", .init(feature: "exports.daily", value: .limit(45), reason: "load test"), grantedBy: "t", now: noon)
        let outcomes = ThreadSafeList<Bool>()
        let failures = ThreadSafeList<String>()
        ConcurrentThreads.run(8) { thread in
            for attempt in 0..<25 {
                do {
                    let outcome = try fixture.service.consume(
                        .init(customer: "org_1", feature: "exports.daily", quantity: 1, idempotencyKey: "t\(thread)-\(attempt)"), now: noon)
                    outcomes.append(outcome.allowed)
                } catch {
                    failures.append(String(describing: error))
                }
            }
        }
        #expect(failures.values.isEmpty, "\(failures.values.prefix(3))")
        #expect(outcomes.values.count == 200)
        #expect(outcomes.values.filter { $0 }.count == 50)
        let entitlement = try #require(try fixture.service.snapshot(customer: "org_1", now: noon).entitlements["exports.daily"])
        #expect(entitlement.used == 50)
        let events: Int = try fixture.store.database.withConnection { connection in
            try connection.queryFirst("SELECT COUNT(*) AS n FROM usage_events")?.get("n") ?? -1
        }
        #expect(events == 50)
    }

    @Test(arguments: Backend.allCases)
    func dailyQuotaResetsAtUTCMidnight(backend: Backend) throws {
        let fixture = try EntitlementFixture(backend)
        let midnight = try #require(ISO8601DateFormatter().date(from: "2028-02-29T00:00:00Z"))
        let before = midnight.addingTimeInterval(-0.001)
        #expect(try fixture.service.consume(.init(customer: "org_1", feature: "exports.daily", quantity: 5), now: before).allowed)
        #expect(!(try fixture.service.consume(.init(customer: "org_1", feature: "exports.daily"), now: before).allowed))
        let next = try fixture.service.consume(.init(customer: "org_1", feature: "exports.daily"), now: midnight)
        #expect(next.allowed && next.used == 1)
        #expect(next.resetsAt == midnight.addingTimeInterval(86_400))
        let monthly = try fixture.service.consume(.init(customer: "org_1", feature: "api.requests"), now: before)
        #expect(monthly.resetsAt == ISO8601DateFormatter().date(from: "2028-03-01T00:00:00Z"))
    }

    @Test(arguments: Backend.allCases)
    func billingPeriodQuotaFollowsTheSubscriptionPeriod(backend: Backend) throws {
        let fixture = try EntitlementFixture(backend)
        var catalog = try exampleCatalog()
        catalog.features.append(Feature(key: "reports", name: "Reports", kind: .metered, reset: .billingPeriod))
        catalog.plans[1].entitlements["reports"] = .limit(2)
        _ = try CatalogRepository(database: fixture.store.database).apply(catalog)
        let periodStart = noon
        let periodEnd = noon.addingTimeInterval(30 * 86_400)
        _ = try fixture.subscriptions.set(customer: "org_1", .init(plan: "pro", status: .active, currentPeriodStart: periodStart,
                                                                    currentPeriodEnd: periodEnd), source: "test", now: noon)
        #expect(try fixture.service.consume(.init(customer: "org_1", feature: "reports", quantity: 2), now: periodEnd.addingTimeInterval(-1)).allowed)
        #expect(!(try fixture.service.consume(.init(customer: "org_1", feature: "reports"), now: periodEnd.addingTimeInterval(-1)).allowed))
        _ = try fixture.subscriptions.set(customer: "org_1", .init(plan: "pro", status: .active, currentPeriodStart: periodEnd,
                                                                    currentPeriodEnd: periodEnd.addingTimeInterval(31 * 86_400)), source: "test", now: periodEnd)
        let renewed = try fixture.service.consume(.init(customer: "org_1", feature: "reports"), now: periodEnd)
        #expect(renewed.allowed && renewed.used == 1)
    }
}
