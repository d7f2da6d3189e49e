import Foundation
import Testing
import Tollgate
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateLogging
import TollgateTestSupport

@Suite struct SnapshotCacheTests {
    private func snapshot(_ plan: String) -> EntitlementSnapshot {
        EntitlementSnapshot(customer: "c", generatedAt: Date(), plan: plan, planSource: .plan, subscriptionStatus: .active, entitlements: [:])
    }

    @Test func aSnapshotComputedAcrossAnInvalidationIsNotKept() {
        let cache = SnapshotCache(ttl: .seconds(60))
        let generation = cache.generation
        cache.invalidate("c")  // a write lands while the snapshot is being computed
        cache.put("c", snapshot("old"), generation: generation)
        #expect(cache.get("c") == nil)
        cache.put("c", snapshot("new"), generation: cache.generation)
        #expect(cache.get("c")?.plan == "new")
        cache.invalidateAll()
        #expect(cache.get("c") == nil)
    }

    @Test func entriesExpireAfterTheTTL() throws {
        let cache = SnapshotCache(ttl: .milliseconds(50))
        cache.put("c", snapshot("p"), generation: cache.generation)
        #expect(cache.get("c") != nil)
        Thread.sleep(forTimeInterval: 0.1)
        #expect(cache.get("c") == nil)
    }

    /// Writes through the same services are seen at once; writes from elsewhere after the TTL.
    @Test(arguments: Backend.allCases)
    func cachedEntitlementsFollowLocalWritesAtOnceAndForeignWritesAfterTheTTL(backend: Backend) throws {
        let store = try migratedStore(backend)
        let configuration = try Configuration(environment: ["TOLLGATE_ENTITLEMENT_CACHE_MS": "300"])
        let services = Services(configuration: configuration, database: store.database,
                                migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: .disabled)
        _ = try services.catalog.apply(try exampleCatalog())
        _ = try services.customers.upsert(.init(externalID: "org_1"))
        #expect(try services.entitlements.snapshot(customer: "org_1").plan == "free")
        _ = try services.subscriptions.set(customer: "org_1", .init(plan: "pro", status: .active), source: "test")
        #expect(try services.entitlements.snapshot(customer: "org_1").plan == "pro")

        // Another process (a second instance, the CLI) changes the subscription behind this cache.
        let elsewhere = SubscriptionRepository(database: store.database)
        _ = try elsewhere.set(customer: "org_1", .init(plan: "enterprise", status: .active), source: "test")
        #expect(try services.entitlements.snapshot(customer: "org_1").plan == "pro")
        Thread.sleep(forTimeInterval: 0.4)
        #expect(try services.entitlements.snapshot(customer: "org_1").plan == "enterprise")
    }
}
