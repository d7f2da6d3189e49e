import Foundation
import Testing
import Tollgate
import TollgateClient
import TollgateCore
import TollgateEntitlements
import TollgateTestSupport

@Suite struct ClientCacheTests {
    @Test(arguments: Backend.allCases)
    func freshSnapshotAnswersChecksWithoutARequest(backend: Backend) async throws {
        let harness = try ServiceHarness(backend)
        let client = harness.client(ttl: .seconds(60))

        let first = await client.check(customer: "org_1", feature: "seats")
        #expect(first.allowed)
        #expect(first.source == .fresh)
        #expect(!first.isFallback)
        #expect(first.result?.value == .limit(1))
        #expect(await harness.snapshotRequests(200, expected: 1) == 1)

        let overLimit = await client.check(customer: "org_1", feature: "seats", quantity: 2)
        #expect(!overLimit.allowed)
        #expect(overLimit.reason == .limitExceeded)
        #expect(overLimit.source == .cache)
        let notSubscribed = await client.check(customer: "org_1", feature: "sso")
        #expect(notSubscribed.reason == .noActiveSubscription)
        let metered = await client.check(customer: "org_1", feature: "api.requests", quantity: 1000)
        #expect(metered.allowed)
        #expect(metered.result?.remaining == 1000)
        #expect(await client.check(customer: "org_1", feature: "api.requests", quantity: 1001).reason == .limitExceeded)
        #expect(await client.check(customer: "org_1", feature: "ghost").reason == .unknownFeature)
        for _ in 0..<20 {
            #expect(await client.check(customer: "org_1", feature: "projects", quantity: 3).source == .cache)
        }
        #expect(await harness.snapshotRequests(200, expected: 1) == 1)
        #expect(await harness.snapshotRequests(304, expected: 0) == 0)
    }

    @Test(arguments: Backend.allCases)
    func expiredSnapshotIsRevalidatedWithItsETagAndReused(backend: Backend) async throws {
        let harness = try ServiceHarness(backend)
        let client = harness.client(ttl: .milliseconds(500))
        #expect(await client.check(customer: "org_1", feature: "seats").source == .fresh)
        #expect(await harness.snapshotRequests(200, expected: 1) == 1)

        harness.clock.advance(by: .milliseconds(700))
        let revalidated = await client.check(customer: "org_1", feature: "seats")
        #expect(revalidated.source == .fresh)
        #expect(revalidated.allowed)
        #expect(await harness.snapshotRequests(304, expected: 1) == 1)
        #expect(await harness.snapshotRequests(200, expected: 1) == 1)

        // The 304 restarted the TTL: the kept snapshot answers again without a request.
        #expect(await client.check(customer: "org_1", feature: "seats").source == .cache)
        #expect(await harness.snapshotRequests(304) + harness.snapshotRequests(200) == 2)
    }

    @Test(arguments: Backend.allCases)
    func changeOnTheServerIsSeenAfterTheTTL(backend: Backend) async throws {
        let harness = try ServiceHarness(backend)
        let client = harness.client(ttl: .seconds(1))
        #expect(await client.check(customer: "org_1", feature: "integrations.github").allowed == false)

        _ = try harness.services.subscriptions.set(customer: "org_1", SubscriptionChange(plan: "pro", status: .active), source: "test")
        _ = try harness.services.grants.create(
            customer: "org_1", GrantRequest(feature: "sso", value: .enabled, reason: "pilot"), grantedBy: "test")
        // Within the TTL the cached snapshot still answers.
        let cached = await client.check(customer: "org_1", feature: "integrations.github")
        #expect(cached.source == .cache)
        #expect(!cached.allowed)

        harness.clock.advance(by: .milliseconds(1200))
        let github = await client.check(customer: "org_1", feature: "integrations.github")
        #expect(github.allowed)
        #expect(github.source == .fresh)
        #expect(await client.check(customer: "org_1", feature: "sso").allowed)
        #expect(await client.check(customer: "org_1", feature: "seats", quantity: 10).allowed)
        let snapshot = try await client.snapshot(customer: "org_1")
        #expect(snapshot.plan == "pro")
        #expect(snapshot.subscriptionStatus == .active)
        #expect(await harness.snapshotRequests(200, expected: 2) == 2)
        #expect(await harness.snapshotRequests(304, expected: 0) == 0)
    }

    @Test func concurrentChecksForOneCustomerShareOneRequest() async throws {
        let harness = try ServiceHarness(.sqlite)
        _ = try harness.services.customers.upsert(.init(externalID: "org_2"))
        let client = harness.client(ttl: .seconds(60))
        let answers = await withTaskGroup(of: ClientCheck.self) { group in
            for index in 0..<64 {
                group.addTask { await client.check(customer: index.isMultiple(of: 2) ? "org_1" : "org_2", feature: "seats") }
            }
            return await group.reduce(into: [ClientCheck]()) { $0.append($1) }
        }
        #expect(answers.count == 64)
        #expect(answers.allSatisfy { $0.allowed && !$0.isFallback })
        #expect(await harness.snapshotRequests(200, expected: 2) == 2)
    }

    @Test func invalidateMakesTheNextCheckFetch() async throws {
        let harness = try ServiceHarness(.sqlite)
        let client = harness.client(ttl: .seconds(60))
        #expect(await client.check(customer: "org_1", feature: "seats").source == .fresh)
        #expect(await client.check(customer: "org_1", feature: "seats").source == .cache)
        client.invalidate(customer: "org_1")
        #expect(await client.check(customer: "org_1", feature: "seats").source == .fresh)
        client.invalidateAll()
        #expect(await client.check(customer: "org_1", feature: "seats").source == .fresh)
        // Invalidation forgets the ETag too: every fetch was unconditional.
        #expect(await harness.snapshotRequests(200, expected: 3) == 3)
        #expect(await harness.snapshotRequests(304, expected: 0) == 0)
    }

    /// The client's decoder reads what the server's encoder writes: snake_case field names,
    /// ISO-8601 dates, and feature keys (with dots and underscores) left as they are.
    @Test(arguments: Backend.allCases)
    func snapshotDecodesTheServersJSONWithFeatureKeysIntact(backend: Backend) async throws {
        let catalog = #"""
        {
          "features": [
            { "key": "max_seats", "name": "Seats", "kind": "limit" },
            { "key": "team.max_projects", "name": "Projects", "kind": "limit" },
            { "key": "api.requests_per_day", "name": "API requests", "kind": "metered", "reset": "day" },
            { "key": "audit_log", "name": "Audit log", "kind": "boolean" }
          ],
          "plans": [
            { "key": "base_plan", "name": "Base", "is_default": true,
              "entitlements": { "max_seats": 3, "team.max_projects": "unlimited", "api.requests_per_day": 50 } }
          ]
        }
        """#
        let harness = try ServiceHarness(backend, catalog: Data(catalog.utf8))
        let client = harness.client()
        let snapshot = try await client.snapshot(customer: "org_1")
        let expected = try harness.services.entitlements.snapshot(customer: "org_1")

        #expect(Set(snapshot.entitlements.keys) == ["max_seats", "team.max_projects", "api.requests_per_day", "audit_log"])
        #expect(snapshot.entitlements == expected.entitlements)
        #expect(snapshot.plan == "base_plan")
        #expect(snapshot.planSource == expected.planSource)
        #expect(snapshot.customer == "org_1")
        #expect(abs(snapshot.generatedAt.timeIntervalSince(expected.generatedAt)) < 60)
        #expect(snapshot.entitlements["api.requests_per_day"]?.resetsAt != nil)
        #expect(await client.check(customer: "org_1", feature: "max_seats", quantity: 3).allowed)
        #expect(await client.check(customer: "org_1", feature: "max_seats", quantity: 4).reason == .limitExceeded)
        #expect(await client.check(customer: "org_1", feature: "team.max_projects", quantity: 10_000).allowed)
        #expect(await client.check(customer: "org_1", feature: "audit_log").reason == .noActiveSubscription)
    }
}
