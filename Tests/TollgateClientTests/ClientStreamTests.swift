import Foundation
import Testing
import Tollgate
import TollgateClient
import TollgateCore
import TollgateEntitlements
import TollgateTestSupport

/// The client following a real server's event stream: changes drop cached snapshots at once (the
/// harness clock never moves, so the TTL never does it), the catalog drops all, and a stream that
/// goes down says so in each answer and catches up through `Last-Event-ID` when it is back.
@Suite struct ClientStreamTests {
    /// Polls `check` until `condition` holds (a few seconds at most); its last answer.
    private func eventually(
        _ client: TollgateClient, _ customer: String, _ feature: FeatureKey, quantity: Int64 = 1, timeout: Duration = .seconds(20),
        until condition: (ClientCheck) -> Bool
    ) async -> ClientCheck {
        let deadline = ContinuousClock.now + timeout
        while true {
            let answer = await client.check(customer: customer, feature: feature, quantity: quantity)
            if condition(answer) || ContinuousClock.now >= deadline { return answer }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A following client whose stream is open (a cached answer says `.cache`), made once the
    /// setup's changes were announced (their events would otherwise drop its first snapshots).
    private func followingClient(_ harness: ServiceHarness) async -> TollgateClient {
        #expect(harness.waitUntilAnnounced("org_1"))
        let client = harness.client(ttl: .seconds(3600), follow: true)
        _ = await eventually(client, "org_1", "seats") { $0.source == .cache }
        return client
    }

    @Test(arguments: Backend.allCases)
    func grantDropsTheCachedSnapshotAtOnce(backend: Backend) async throws {
        let harness = try ServiceHarness(backend)
        try harness.startEvents()
        let client = await followingClient(harness)
        #expect(await !client.check(customer: "org_1", feature: "seats", quantity: 500).allowed)

        _ = try harness.services.grants.create(customer: "org_1", .init(feature: "seats", value: .limit(500), reason: "test"), grantedBy: "test")
        let answer = await eventually(client, "org_1", "seats", quantity: 500) { $0.allowed }
        #expect(answer.allowed)
        #expect(answer.source == .fresh)
        // `grant.created` dropped it; `entitlements.updated` follows and may drop the new one once more.
        let settled = await eventually(client, "org_1", "seats", quantity: 500) { $0.source == .cache }
        #expect(settled.allowed && settled.source == .cache)
    }

    @Test(arguments: Backend.allCases)
    func customerCreatedDropsACachedUnknownCustomer(backend: Backend) async throws {
        let harness = try ServiceHarness(backend)
        try harness.startEvents()
        let client = await followingClient(harness)
        #expect(await client.check(customer: "org_new", feature: "seats").reason == .unknownCustomer)
        _ = try harness.services.customers.upsert(.init(externalID: "org_new"))
        let answer = await eventually(client, "org_new", "seats") { $0.reason != .unknownCustomer }
        #expect(answer.reason != .unknownCustomer)
    }

    @Test(arguments: Backend.allCases)
    func catalogChangeDropsEveryCachedCustomer(backend: Backend) async throws {
        let harness = try ServiceHarness(backend)
        _ = try harness.services.customers.upsert(.init(externalID: "org_2"))
        try harness.startEvents()
        let client = await followingClient(harness)
        _ = await client.check(customer: "org_2", feature: "seats")
        #expect(await client.check(customer: "org_2", feature: "seats").source == .cache)

        // One more feature in the catalog: `catalog.updated` (and no customer's entitlements change).
        let url = URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")
        var catalog = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var features = try #require(catalog["features"] as? [[String: Any]])
        features.append(["key": "stream.probe", "kind": "boolean", "name": "Stream probe"])
        catalog["features"] = features
        _ = try harness.services.catalog.apply(try Catalog.parse(try JSONSerialization.data(withJSONObject: catalog)))

        let first = await eventually(client, "org_1", "seats") { $0.source == .fresh }
        #expect(first.source == .fresh)
        #expect(await client.check(customer: "org_2", feature: "seats").source == .fresh)
    }

    @Test(arguments: Backend.allCases)
    func streamDownIsSaidInEachAnswerAndTheChangesMadeMeanwhileArriveOnReconnect(backend: Backend) async throws {
        let harness = try ServiceHarness(backend)
        try harness.startEvents()
        let client = await followingClient(harness)
        #expect(await !client.check(customer: "org_1", feature: "seats", quantity: 400).allowed)

        harness.stop()
        let down = await eventually(client, "org_1", "seats") { $0.source == .cacheStreamDown }
        #expect(down.source == .cacheStreamDown)
        #expect(down.error == nil)
        #expect(!down.isFallback)

        // A change while the server is down, published by the next instance before the client is back.
        _ = try harness.services.grants.create(customer: "org_1", .init(feature: "seats", value: .limit(400), reason: "test"), grantedBy: "test")
        try harness.restart()
        // The TTL cannot have passed (the clock does not move): only the replayed events can drop the snapshot.
        let answer = await eventually(client, "org_1", "seats", quantity: 400, timeout: .seconds(40)) { $0.allowed }
        #expect(answer.allowed)
        let cached = await eventually(client, "org_1", "seats") { $0.source == .cache }
        #expect(cached.source == .cache)
    }

    @Test func heartbeatsKeepAQuietStreamOpenPastTheClientsIdleTimeout() async throws {
        let harness = try ServiceHarness(.sqlite, environment: ["TOLLGATE_EVENT_STREAM_HEARTBEAT": "1"])
        try harness.startEvents()
        #expect(harness.waitUntilAnnounced("org_1"))
        let client = harness.client(ttl: .seconds(3600), follow: true, streamIdleTimeout: .seconds(3))
        _ = await eventually(client, "org_1", "seats") { $0.source == .cache }
        // Three idle timeouts with only heartbeats: a reconnect would show as answers with the stream down.
        var sources: Set<AnswerSource> = []
        let until = ContinuousClock.now + .seconds(9)
        while ContinuousClock.now < until {
            sources.insert(await client.check(customer: "org_1", feature: "seats").source)
            try await Task.sleep(for: .milliseconds(20))
        }
        // (`.fresh` may appear: an announcement of the setup arriving late drops the snapshot once.)
        #expect(!sources.contains(.cacheStreamDown))
        #expect(sources.contains(.cache))
    }

    @Test func streamSilentPastTheIdleTimeoutIsTakenForDeadAndReopened() async throws {
        // Heartbeats every 30 s; the client accepts 2 s of silence.
        let harness = try ServiceHarness(.sqlite, environment: ["TOLLGATE_EVENT_STREAM_HEARTBEAT": "30", "TOLLGATE_HTTP_IDLE_TIMEOUT": "120"])
        try harness.startEvents()
        let client = harness.client(ttl: .seconds(3600), follow: true, streamIdleTimeout: .seconds(2))
        _ = await eventually(client, "org_1", "seats") { $0.source == .cache }
        let down = await eventually(client, "org_1", "seats") { $0.source == .cacheStreamDown }
        #expect(down.source == .cacheStreamDown)
        let back = await eventually(client, "org_1", "seats") { $0.source == .cache }
        #expect(back.source == .cache)
    }

    @Test func notFollowingKeepsPlainCacheAnswers() async throws {
        let harness = try ServiceHarness(.sqlite)
        let client = harness.client(ttl: .seconds(3600))
        #expect(client.configuration.followEvents == false)
        _ = await client.check(customer: "org_1", feature: "seats")
        #expect(await client.check(customer: "org_1", feature: "seats").source == .cache)
        #expect(TollgateClientConfiguration(baseURL: harness.baseURL, apiKey: "k").followEvents)
    }
}
