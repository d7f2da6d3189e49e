import Foundation
import Testing
import TollgateCore
import TollgateEntitlements
import TollgateStore
import TollgateTestSupport
import TollgateBase

/// The event log through a running service: changes made over the API, published by the service's
/// own publisher and scheduler, read back over `GET /v1/events` (every response checked against
/// the OpenAPI document by the harness).
@Suite struct EventEndpointTests {
    @Test(arguments: Backend.allCases)
    func changesAndTimePassingAreEventsReadInLogOrder(backend: Backend) throws {
        let harness = try APIHarness(backend)
        _ = try harness.services.catalog.apply(try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json"))))
        let background = try harness.services.backgroundServices(templates: nil)
        background.start()
        defer { background.stop(timeout: .seconds(5)) }
        let admin = try harness.token(.admin)
        let reader = try harness.token(.read)

        #expect(try harness.send("POST", "/v1/customers", token: admin, body: Array(#"{"external_id":"org_1","email":"ada@example.com"}"#.utf8)).status == 201)
        let expiry = Date().addingTimeInterval(2)
        let grant = try harness.send("POST", "/v1/customers/org_1/grants", token: admin, body: Array("""
            {"feature":"sso","value":true,"reason":"pilot","expires_at":"\(ISO8601DateFormatter().string(from: expiry.addingTimeInterval(1).rounded()))"}
            """.utf8))
        #expect(grant.status == 201)

        func events(_ query: String = "") -> [[String: Any]] {
            ((try? harness.get("/v1/events?customer=org_1&limit=100" + query, token: reader).json())?["data"] as? [[String: Any]]) ?? []
        }
        func types(_ query: String = "") -> [String] { events(query).compactMap { $0["type"] as? String } }
        #expect(eventually(timeout: .seconds(20)) { types().contains("grant.expired") })
        let all = events()
        // Changes that commit close together may be announced by one entitlements.updated.
        let seen = types()
        #expect(seen.filter { $0 != "entitlements.updated" } == ["customer.created", "grant.created", "grant.expired"])
        #expect(seen.suffix(2) == ["grant.expired", "entitlements.updated"])
        #expect(seen.drop { $0 != "grant.created" }.prefix { $0 != "grant.expired" }.contains("entitlements.updated"))
        #expect(all.compactMap { $0["sequence"] as? Int } == Array(1...all.count))
        let positions = all.compactMap { $0["position"] as? Int }
        #expect(positions == positions.sorted())
        // Never early: the expiry is announced at or after its instant.
        let expired = try #require(all.first { $0["type"] as? String == "grant.expired" })
        let announcedAt = try #require((expired["created_at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
        let expiresAt = try #require(((expired["data"] as? [String: Any])?["object"] as? [String: Any])?["expires_at"] as? String)
        #expect(announcedAt >= (ISO8601DateFormatter().date(from: expiresAt) ?? .distantFuture))

        // Filters and paging.
        #expect(types("&types=grant.created,grant.expired") == ["grant.created", "grant.expired"])
        let second = try #require(positions.dropFirst().first)
        #expect(events("&after=\(second)").count == all.count - 2)
        let one = try #require(all.first?["id"] as? String)
        #expect(try harness.get("/v1/events/\(one)", token: reader).status == 200)
        #expect(try harness.get("/v1/events/evt_missing", token: reader).status == 404)
        #expect(try harness.get("/v1/events?types=grant.nope", token: reader).errorCode == "invalid_request")
        #expect(try harness.get("/v1/events?after=-1", token: reader).status == 400)
    }
}

private extension Date {
    /// To the second (the wire carries seconds).
    func rounded() -> Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.up)) }
}
