import Foundation
import Testing
import Tollgate
import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateTestSupport
@testable import TollgateCore

/// A cached snapshot never outlives the next instant at which it changes by itself, however long
/// the cache's TTL: the answer changes *at* a grant's expiry and *at* the end of a period set to
/// cancel, not up to a TTL later.
@Suite struct SnapshotCacheInstantTests {
    @Test(arguments: Backend.allCases)
    func grantExpiryAndPeriodEndApplyAtTheirInstantThroughAWarmCache(backend: Backend) throws {
        let store = try migratedStore(backend)
        let services = Services(
            configuration: try Configuration(environment: ["TOLLGATE_ENTITLEMENT_CACHE_MS": "60000"]), database: store.database,
            migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: .disabled)
        _ = try services.catalog.apply(try exampleCatalog())
        for id in ["org_grant", "org_cancel"] { _ = try services.customers.upsert(.init(externalID: id)) }
        let now = Date()
        let instant = now.addingTimeInterval(1.5)
        _ = try services.grants.create(customer: "org_grant", .init(feature: "sso", value: .enabled, reason: "trial of sso", expiresAt: instant),
                                       grantedBy: "test")
        _ = try services.subscriptions.set(customer: "org_cancel", .init(
            plan: "pro", status: .active, currentPeriodStart: now.addingTimeInterval(-86_400), currentPeriodEnd: instant,
            cancelAtPeriodEnd: true), source: "test")

        // Warm the cache before the instant.
        #expect(try services.entitlements.check(customer: "org_grant", feature: "sso").allowed)
        #expect(try services.entitlements.check(customer: "org_cancel", feature: "integrations.github").allowed)
        #expect(try services.entitlements.snapshot(customer: "org_cancel").plan == "pro")

        // Past the instant (stored to the millisecond), with the minute-long TTL far from over.
        while Date() < instant.addingTimeInterval(0.002) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try !services.entitlements.check(customer: "org_grant", feature: "sso").allowed, "the grant expired")
        let after = try services.entitlements.check(customer: "org_cancel", feature: "integrations.github")
        #expect(!after.allowed, "the period ended: back to the default plan")
        #expect(try services.entitlements.snapshot(customer: "org_cancel").plan == "free")
    }

    @Test func nextChangeIsTheEarliestInstantAfterNow() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let features = [Feature(key: "api.requests", name: "API", kind: .metered, reset: .day)]
        func grant(_ expires: Date?, revoked: Bool = false) -> Grant {
            Grant(id: UUID().uuidString, feature: "api.requests", value: .limit(5), reason: "r", grantedBy: "t",
                  createdAt: now.addingTimeInterval(-10), expiresAt: expires, revokedAt: revoked ? now.addingTimeInterval(-1) : nil)
        }
        let tomorrow = Date(timeIntervalSince1970: 1_800_057_600)  // the next UTC midnight
        #expect(EvaluationInput(features: features, now: now).nextChange == tomorrow, "the day's window resets")
        #expect(EvaluationInput(features: features, grants: [grant(now.addingTimeInterval(60))], now: now).nextChange == now.addingTimeInterval(60))
        #expect(EvaluationInput(features: features, grants: [grant(now.addingTimeInterval(60), revoked: true), grant(now.addingTimeInterval(-5))],
                                now: now).nextChange == tomorrow, "revoked and past grants change nothing")
        let pastDue = SubscriptionState(planKey: "pro", status: .pastDue, pastDueSince: now.addingTimeInterval(-100))
        #expect(EvaluationInput(features: [], subscription: pastDue, now: now, policy: AccessPolicy(pastDueGracePeriod: 3600)).nextChange
                == now.addingTimeInterval(3500), "the grace runs out")
        #expect(EvaluationInput(features: [], now: now).nextChange == nil)
    }
}
