import Foundation
import Testing
import Tollgate
import TollgateClient
import TollgateCore
import TollgateEntitlements
import TollgateTestSupport

@Suite struct ClientFallbackTests {
    private let policy = FallbackPolicy(default: .failClosed, overrides: ["api.requests": .failOpen])

    @Test(arguments: Backend.allCases)
    func serverGoingAwayAnswersFromStaleCacheThenByFeatureFallback(backend: Backend) async throws {
        let harness = try ServiceHarness(backend)
        let client = harness.client(ttl: .seconds(1), maxStale: .seconds(2), fallback: policy)
        #expect(await client.check(customer: "org_1", feature: "seats").source == .fresh)
        #expect(await client.check(customer: "org_1", feature: "api.requests").source == .cache)

        harness.stop()
        // Fresh: still answered from the cache, no request tried.
        #expect(await client.check(customer: "org_1", feature: "seats").source == .cache)

        harness.clock.advance(by: .milliseconds(1200))
        // Stale, within maxStale: the stale snapshot answers, and says why.
        let stale = await client.check(customer: "org_1", feature: "seats")
        #expect(stale.source == .staleCache)
        #expect(stale.allowed)
        #expect(!stale.isFallback)
        #expect(stale.result?.value == .limit(1))
        #expect(stale.error?.code == .unreachable)
        #expect(await client.check(customer: "org_1", feature: "seats", quantity: 2).reason == .limitExceeded)
        #expect(try await client.snapshot(customer: "org_1").plan == "free")

        // A customer never fetched has nothing to fall back on.
        let never = await client.check(customer: "org_2", feature: "seats")
        #expect(never.isFallback)
        #expect(!never.allowed)
        #expect(never.reason == .serviceUnavailable)

        harness.clock.advance(by: .milliseconds(2200))
        // Past maxStale: the fallback answers, per feature.
        let closed = await client.check(customer: "org_1", feature: "seats")
        #expect(closed.isFallback)
        #expect(closed.source == .fallback)
        #expect(!closed.allowed)
        #expect(closed.reason == .serviceUnavailable)
        #expect(closed.result == nil)
        #expect(closed.error?.code == .unreachable)
        let open = await client.check(customer: "org_1", feature: "api.requests", quantity: 5000)
        #expect(open.isFallback)
        #expect(open.allowed)
        #expect(open.reason == nil)
        #expect(open.error?.code == .unreachable)
        await #expect(throws: TollgateClientError.self) { try await client.snapshot(customer: "org_1") }

        // The service comes back: the next check revalidates and answers from the service again.
        try harness.restart()
        let back = await client.check(customer: "org_1", feature: "seats")
        #expect(back.source == .fresh)
        #expect(back.allowed)
        #expect(!back.isFallback)
    }

    @Test func maxStaleZeroFallsBackAsSoonAsTheTTLEnds() async throws {
        let harness = try ServiceHarness(.sqlite)
        let client = harness.client(ttl: .milliseconds(200), maxStale: .zero, fallback: FallbackPolicy(default: .failOpen))
        #expect(await client.check(customer: "org_1", feature: "sso").reason == .noActiveSubscription)
        harness.stop()
        harness.clock.advance(by: .milliseconds(300))
        let answer = await client.check(customer: "org_1", feature: "sso")
        #expect(answer.isFallback)
        #expect(answer.allowed)
    }

    @Test func retryIntervalSparesRequestsWhileTheServiceIsDown() async throws {
        let harness = try ServiceHarness(.sqlite)
        let client = harness.client(ttl: .milliseconds(100), retryInterval: .seconds(60), fallback: policy)
        #expect(await client.check(customer: "org_1", feature: "seats").source == .fresh)
        harness.stop()
        harness.clock.advance(by: .milliseconds(200))
        #expect(await client.check(customer: "org_1", feature: "seats").source == .staleCache)
        // The service comes back, but the client waits out the retry interval.
        try harness.restart()
        for _ in 0..<5 {
            #expect(await client.check(customer: "org_1", feature: "seats").source == .staleCache)
        }
        harness.clock.advance(by: .milliseconds(100))
        #expect(await harness.snapshotRequests(200) + harness.snapshotRequests(304) == 0)
        client.invalidate(customer: "org_1")
        #expect(await client.check(customer: "org_1", feature: "seats").source == .fresh)
    }

    @Test(arguments: Backend.allCases)
    func unknownCustomerIsADenialNotAFallback(backend: Backend) async throws {
        let harness = try ServiceHarness(backend)
        let client = harness.client(fallback: FallbackPolicy(default: .failOpen))
        let answer = await client.check(customer: "ghost", feature: "seats")
        #expect(!answer.allowed)
        #expect(answer.reason == .unknownCustomer)
        #expect(!answer.isFallback)
        #expect(answer.source == .fresh)
        #expect(answer.error == nil)
        #expect(await client.check(customer: "ghost", feature: "sso").source == .cache)
        #expect(await harness.snapshotRequests(404, expected: 1) == 1)
        await #expect {
            try await client.snapshot(customer: "ghost")
        } throws: { error in
            (error as? TollgateClientError)?.code == .unknownCustomer
        }
    }

    @Test func customerIDsAreOnePathSegment() async throws {
        let harness = try ServiceHarness(.sqlite)
        for id in ["..", ".", "org.1", "a%2Fb", "org_1?x=1", "o'r\"g#1"] {
            _ = try harness.services.customers.upsert(.init(externalID: id))
        }
        let client = harness.client(fallback: FallbackPolicy(default: .failOpen))
        for id in ["..", ".", "org.1", "a%2Fb", "org_1?x=1", "o'r\"g#1"] {
            let answer = await client.check(customer: id, feature: "seats")
            #expect(answer.allowed && answer.source == .fresh, "\(id): \(answer)")
            #expect(try await client.snapshot(customer: id).customer == id)
        }
        // Ids the service cannot hold are unknown without a request, never a fail-open fallback.
        for id in ["", "a/b", "a b", String(repeating: "x", count: 256), "caf\u{E9}"] {
            let answer = await client.check(customer: id, feature: "seats")
            #expect(!answer.allowed && answer.reason == .unknownCustomer && !answer.isFallback, "\(id)")
        }
        #expect(await harness.snapshotRequests(404) == 0)
    }

    @Test(arguments: Backend.allCases)
    func refusedKeyAnswersByTheFallbackAndSnapshotThrows(backend: Backend) async throws {
        let harness = try ServiceHarness(backend)
        let client = harness.client(fallback: policy, apiKey: "tg_not_a_real_key")
        let closed = await client.check(customer: "org_1", feature: "seats")
        #expect(closed.isFallback)
        #expect(!closed.allowed)
        #expect(closed.reason == .clientNotAuthorized)
        #expect(closed.error?.code == .unauthorized)
        #expect(closed.error?.status == 401)
        #expect(closed.error?.isAuthorizationFailure == true)
        #expect(closed.error.map { String(describing: $0).contains("tg_not_a_real_key") } == false)
        let open = await client.check(customer: "org_1", feature: "api.requests")
        #expect(open.isFallback)
        #expect(open.allowed)
        await #expect {
            try await client.snapshot(customer: "org_1")
        } throws: { error in
            (error as? TollgateClientError)?.code == .unauthorized
        }
        #expect(await harness.snapshotRequests(401, expected: 1) >= 1)
        #expect(await harness.snapshotRequests(200, expected: 0) == 0)
    }

    @Test func revokedKeyDoesNotKeepAnsweringFromTheStaleCache() async throws {
        let harness = try ServiceHarness(.sqlite)
        let (key, token) = try harness.services.apiKeys.create(name: "doomed", scope: .read)
        let client = harness.client(ttl: .milliseconds(200), fallback: policy, apiKey: token.value)
        #expect(await client.check(customer: "org_1", feature: "seats").source == .fresh)
        _ = try harness.services.apiKeys.revoke(id: key.id)
        harness.clock.advance(by: .milliseconds(300))
        let answer = await client.check(customer: "org_1", feature: "seats")
        #expect(answer.isFallback)
        #expect(answer.reason == .clientNotAuthorized)
    }

    @Test func silentServerTimesOutIntoTheFallback() async throws {
        let listener = try SilentListener()
        let client = TollgateClient(configuration: TollgateClientConfiguration(
            baseURL: try #require(URL(string: "http://127.0.0.1:\(listener.port)")), apiKey: "tg_any",
            requestTimeout: .milliseconds(300), fallback: policy))
        let answer = await client.check(customer: "org_1", feature: "seats")
        #expect(answer.isFallback)
        #expect(!answer.allowed)
        #expect(answer.error?.code == .timedOut)
        #expect(await client.check(customer: "org_1", feature: "api.requests").allowed)
    }

    @Test func fallbackPolicyPrefersTheFeaturesOverride() {
        #expect(policy.mode(for: "api.requests") == .failOpen)
        #expect(policy.mode(for: "seats") == .failClosed)
        #expect(FallbackPolicy().mode(for: "seats") == .failClosed)
        #expect(FallbackPolicy(default: .failOpen).mode(for: "sso") == .failOpen)
    }
}
