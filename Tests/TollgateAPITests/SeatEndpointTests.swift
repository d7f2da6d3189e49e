import Foundation
import Testing
import Tollgate
import TollgateCore
import TollgateEntitlements
import TollgateTestSupport

/// The seat endpoints end to end through a real server, on both backends: assign, repeat, list with
/// pagination, the check for a member, release; a downgrade reported in the listing; every bad input
/// a 4xx that changes nothing. (The harness checks every response against the OpenAPI document.)
@Suite struct SeatEndpointTests {
    static let catalog = """
        {
          "features": [{ "key": "seats", "name": "Seats", "kind": "limit" }, { "key": "sso", "name": "SSO", "kind": "boolean" }],
          "plans": [{ "key": "free", "name": "Free", "is_default": true, "entitlements": {} },
                    { "key": "team", "name": "Team", "entitlements": { "seats": { "per_unit": 1 }, "sso": true } }]
        }
        """

    static let base = "/v1/customers/org_1/seats/seats"

    private func prepared(_ backend: Backend) throws -> (APIHarness, String) {
        let harness = try APIHarness(backend)
        _ = try harness.services.catalog.apply(try Catalog.parse(Data(Self.catalog.utf8)))
        _ = try harness.services.customers.upsert(.init(externalID: "org_1"))
        _ = try harness.services.subscriptions.set(customer: "org_1", SubscriptionChange(plan: "team", status: .active, quantity: 3), source: "api")
        return (harness, try harness.token(.write))
    }

    private func assign(_ harness: APIHarness, _ body: String, token: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> TestResponse {
        try harness.send("POST", Self.base, token: token, body: Array(body.utf8), sourceLocation: sourceLocation)
    }

    @Test(arguments: Backend.allCases)
    func assignListCheckAndRelease(backend: Backend) throws {
        let (harness, token) = try prepared(backend)
        let reader = try harness.token(.read, name: "reader")
        let created = try assign(harness, #"{"member":"u_b"}"#, token: token)
        #expect(created.status == 201, "\(created.text)")
        let seat = try created.json()
        #expect(seat["created"] as? Bool == true && seat["assigned"] as? Int == 1 && seat["limit"] as? Int == 3)
        let again = try assign(harness, #"{"member":"u_b"}"#, token: token)
        #expect(try again.status == 200 && again.json()["created"] as? Bool == false)
        #expect(try assign(harness, #"{"member":"u_a"}"#, token: token).status == 201)
        #expect(try assign(harness, #"{"member":"u_c"}"#, token: reader).status == 403)
        #expect(try assign(harness, #"{"member":"u_c"}"#, token: token).status == 201)
        let full = try assign(harness, #"{"member":"u_d"}"#, token: token)
        #expect(full.status == 409 && full.text.contains("limit_exceeded"), "\(full.text)")

        let first = try harness.get(Self.base + "?limit=2", token: reader)
        #expect(first.status == 200, "\(first.text)")
        let page = try first.json()
        #expect((page["data"] as? [[String: Any]])?.compactMap { $0["member"] as? String } == ["u_a", "u_b"] && page["has_more"] as? Bool == true)
        #expect(page["assigned"] as? Int == 3 && page["over_limit"] as? Int == 0 && page["limit"] as? Int == 3)
        let second = try harness.get(Self.base + "?limit=2&starting_after=u_b", token: reader).json()
        #expect((second["data"] as? [[String: Any]])?.compactMap { $0["member"] as? String } == ["u_c"] && second["has_more"] as? Bool == false)

        let held = try harness.get("/v1/entitlements/check?customer=org_1&feature=seats&member=u_a", token: reader).json()
        #expect(held["allowed"] as? Bool == true)
        let other = try harness.get("/v1/entitlements/check?customer=org_1&feature=seats&member=u_z", token: reader).json()
        #expect(other["allowed"] as? Bool == false && other["reason"] as? String == "not_assigned")

        let released = try harness.send("DELETE", Self.base + "/u_a", token: token)
        let releasedSeat = try released.json()
        #expect(released.status == 200 && releasedSeat["member"] as? String == "u_a" && releasedSeat["assigned_at"] as? String != nil)
        #expect(try harness.send("DELETE", Self.base + "/u_a", token: token).status == 404)
        #expect(try harness.get("/v1/entitlements/check?customer=org_1&feature=seats&member=u_a", token: reader).json()["reason"] as? String == "not_assigned")

        // A lower quantity releases nobody: the listing reports the excess and assignments are refused.
        _ = try harness.services.subscriptions.set(customer: "org_1", SubscriptionChange(plan: "team", status: .active, quantity: 1), source: "api")
        let over = try harness.get(Self.base, token: reader).json()
        #expect(over["assigned"] as? Int == 2 && over["over_limit"] as? Int == 1 && over["limit"] as? Int == 1)
        #expect(try assign(harness, #"{"member":"u_e"}"#, token: token).status == 409)
        let snapshot = try harness.get("/v1/customers/org_1/entitlements/seats", token: reader).json()
        #expect((snapshot["seats"] as? [String: Any])?["over_limit"] as? Int == 1 && snapshot["source"] as? String == "plan_per_unit")
    }

    @Test(arguments: Backend.allCases)
    func badInputIsA4xxThatChangesNothing(backend: Backend) throws {
        let (harness, token) = try prepared(backend)
        let long = String(repeating: "m", count: 256)
        let cases: [(String, String, String?, Int)] = [
            ("POST", Self.base, #"{"member":""}"#, 400),
            ("POST", Self.base, #"{"member":"\#(long)"}"#, 400),
            ("POST", Self.base, #"{"member":"a\u0001b"}"#, 400),
            ("POST", Self.base, #"{}"#, 400),
            ("POST", Self.base, #"{"member":"u_1","extra":1}"#, 400),
            ("POST", Self.base, #"{"member":7}"#, 400),
            ("POST", "/v1/customers/org_1/seats/sso", #"{"member":"u_1"}"#, 400),
            ("POST", "/v1/customers/org_1/seats/ghosts", #"{"member":"u_1"}"#, 404),
            ("POST", "/v1/customers/org_1/seats/Bad%20Key", #"{"member":"u_1"}"#, 400),
            ("POST", "/v1/customers/org_nobody/seats/seats", #"{"member":"u_1"}"#, 404),
            ("GET", "/v1/customers/org_1/seats/sso", nil, 400),
            ("GET", Self.base + "?limit=0", nil, 400),
            ("DELETE", Self.base + "/u_1", nil, 404),
            ("GET", "/v1/entitlements/check?customer=org_1&feature=seats&member=", nil, 400),
            ("GET", "/v1/entitlements/check?customer=org_1&feature=seats&member=u_1&quantity=2", nil, 400),
            ("GET", "/v1/entitlements/check?customer=org_1&feature=sso&member=u_1", nil, 400),
        ]
        for (method, path, body, status) in cases {
            let response = try harness.send(method, path, token: token, body: body.map { Array($0.utf8) })
            #expect(response.status == status, "\(method) \(path) \(body ?? ""): \(response.text)")
        }
        let listing = try harness.get(Self.base, token: token).json()
        #expect(listing["assigned"] as? Int == 0 && (listing["data"] as? [Any])?.isEmpty == true)
    }
}
