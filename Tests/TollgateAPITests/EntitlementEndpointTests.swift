import Foundation
import Testing
import TollgateCore
import TollgateEntitlements
import TollgateTestSupport

@Suite struct EntitlementEndpointTests {
    /// A harness with the example catalog and customer `org_1`.
    private func prepared(_ backend: Backend) throws -> (APIHarness, String) {
        let harness = try APIHarness(backend)
        let catalog = try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")))
        _ = try harness.services.catalog.apply(catalog)
        _ = try harness.services.customers.upsert(.init(externalID: "org_1"))
        return (harness, try harness.token(.write))
    }

    @Test(arguments: Backend.allCases)
    func snapshotCarriesAnETagAndIfNoneMatchGets304(backend: Backend) throws {
        let (harness, token) = try prepared(backend)
        let first = try harness.get("/v1/customers/org_1/entitlements", token: token)
        #expect(first.status == 200)
        let etag = try #require(first.header("ETag"))
        let body = try first.json()
        #expect(body["format_version"] as? Int == 1)
        #expect(body["plan"] as? String == "free")
        #expect(((body["entitlements"] as? [String: Any])?["seats"] as? [String: Any])?["value"] as? Int == 1)

        let unchanged = try harness.get("/v1/customers/org_1/entitlements", token: token, headers: [("If-None-Match", etag)])
        #expect(unchanged.status == 304)
        #expect(unchanged.body.isEmpty)

        // A subscription changes the entitlements, so the tag changes.
        let subscribed = try harness.send("POST", "/v1/customers/org_1/subscription", token: token, body: Array(#"{"plan":"pro","status":"active"}"#.utf8))
        #expect(subscribed.status == 200, "\(subscribed.text)")
        let changed = try harness.get("/v1/customers/org_1/entitlements", token: token, headers: [("If-None-Match", etag)])
        #expect(changed.status == 200)
        #expect(changed.header("ETag") != etag)
    }

    @Test(arguments: Backend.allCases)
    func checkEndpointAnswersAllowedAndReasons(backend: Backend) throws {
        let (harness, token) = try prepared(backend)
        let allowed = try harness.get("/v1/entitlements/check?customer=org_1&feature=seats&quantity=1", token: token).json()
        #expect(allowed["allowed"] as? Bool == true)
        #expect(allowed["value"] as? Int == 1)
        let denied = try harness.get("/v1/entitlements/check?customer=org_1&feature=seats&quantity=2", token: token).json()
        #expect(denied["allowed"] as? Bool == false)
        #expect(denied["reason"] as? String == "limit_exceeded")
        let notInPlan = try harness.get("/v1/entitlements/check?customer=org_1&feature=sso", token: token).json()
        #expect(notInPlan["reason"] as? String == "no_active_subscription")

        let cases: [(String, Int, String)] = [
            ("customer=ghost&feature=seats", 404, "unknown_customer"),
            ("customer=org_1&feature=ghost", 404, "unknown_feature"),
            ("customer=org_1&feature=Not%20A%20Key", 400, "invalid_request"),
            ("customer=org_1&feature=seats&quantity=0", 400, "invalid_request"),
            ("customer=org_1&feature=seats&quantity=-3", 400, "invalid_request"),
            ("feature=seats", 400, "invalid_request"),
        ]
        for (query, status, code) in cases {
            let response = try harness.get("/v1/entitlements/check?\(query)", token: token)
            #expect(response.status == status, "\(query)")
            #expect(response.errorCode == code, "\(query): \(response.text)")
        }
    }

    @Test(arguments: Backend.allCases)
    func usageConsumeAndGrantsChangeTheCheck(backend: Backend) throws {
        let (harness, token) = try prepared(backend)
        let consumed = try harness.send("POST", "/v1/usage/consume", token: token,
                                        body: Array(#"{"customer":"org_1","feature":"exports.daily","quantity":5}"#.utf8)).json()
        #expect(consumed["allowed"] as? Bool == true)
        #expect(consumed["remaining"] as? Int == 0)
        let refused = try harness.send("POST", "/v1/usage/consume", token: token,
                                       body: Array(#"{"customer":"org_1","feature":"exports.daily"}"#.utf8)).json()
        #expect(refused["allowed"] as? Bool == false)
        #expect(refused["reason"] as? String == "limit_exceeded")

        let grant = try harness.send("POST", "/v1/customers/org_1/grants", token: token,
                                     body: Array(#"{"feature":"exports.daily","value":10,"reason":"support ticket 42"}"#.utf8))
        #expect(grant.status == 201, "\(grant.text)")
        #expect(try grant.json()["granted_by"] as? String == "api key test")
        let check = try harness.get("/v1/entitlements/check?customer=org_1&feature=exports.daily", token: token).json()
        #expect(check["allowed"] as? Bool == true)
        #expect(check["remaining"] as? Int == 10)

        let grantID = try #require(try grant.json()["id"] as? String)
        #expect(try harness.send("DELETE", "/v1/customers/org_1/grants/\(grantID)", token: token).status == 200)
        #expect(try harness.get("/v1/entitlements/check?customer=org_1&feature=exports.daily", token: token).json()["allowed"] as? Bool == false)

        let bad: [(String, String)] = [
            ("/v1/usage/consume", #"{"customer":"org_1","feature":"exports.daily","quantity":-1}"#),
            ("/v1/usage", #"{"customer":"org_1","feature":"exports.daily","quantity":0}"#),
            ("/v1/usage", #"{"customer":"org_1"}"#),
            ("/v1/customers/org_1/grants", #"{"feature":"sso","value":3,"reason":"x"}"#),
            ("/v1/customers/org_1/subscription", #"{"plan":"gold","status":"active"}"#),
            ("/v1/customers/org_1/subscription", #"{"plan":"pro","status":"sleeping"}"#),
        ]
        for (path, body) in bad {
            let response = try harness.send("POST", path, token: token, body: Array(body.utf8))
            #expect(response.status == 400, "\(path) \(body): \(response.text)")
        }
        let used = try harness.get("/v1/customers/org_1/entitlements/exports.daily", token: token).json()
        #expect(used["used"] as? Int == 5)
    }

    /// `POST /v1/usage/batch`: a result per event in order (a bad event refuses only itself), the
    /// documented body (the harness checks each response against the OpenAPI document), and a body
    /// that is not a batch is a 400 that counts nothing.
    @Test(arguments: Backend.allCases)
    func usageBatchAnswersEachEventAndRejectsBadBodies(backend: Backend) throws {
        let (harness, token) = try prepared(backend)
        let body = #"""
            {"events": [
              {"customer": "org_1", "feature": "api.requests", "quantity": 3, "idempotency_key": "a"},
              {"customer": "ghost", "feature": "api.requests"},
              {"customer": "org_1", "feature": "api.requests", "quantity": 3, "idempotency_key": "a"},
              {"customer": "org_1", "feature": "Bad Key"},
              {"customer": "org_1", "feature": "api.requests", "quantity": 2}
            ]}
            """#
        let response = try harness.send("POST", "/v1/usage/batch", token: token, body: Array(body.utf8))
        #expect(response.status == 200, "\(response.text)")
        let json = try response.json()
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.map { $0["status"] as? String } == ["counted", "refused", "duplicate", "refused", "counted"])
        #expect(results.map { $0["reason"] as? String } == [nil, "unknown_customer", nil, "invalid_request", nil])
        #expect(results[4]["used"] as? Int == 5)
        #expect(json["counted"] as? Int == 2 && json["duplicate"] as? Int == 1 && json["refused"] as? Int == 2)

        let tooMany = "{\"events\": [" + Array(repeating: #"{"customer":"org_1","feature":"api.requests"}"#, count: 1_001).joined(separator: ",") + "]}"
        let bad: [String] = [
            #"{"events": []}"#, tooMany, #"{}"#, #"{"events": [{"customer": "org_1"}]}"#,
            #"{"events": [{"customer": "org_1", "feature": "api.requests", "colour": "red"}]}"#,
            #"{"events": [{"customer": "org_1", "feature": "api.requests", "quantity": "3"}]}"#,
        ]
        for text in bad {
            let refused = try harness.send("POST", "/v1/usage/batch", token: token, body: Array(text.utf8))
            #expect(refused.status == 400, "\(text.prefix(80)): \(refused.text)")
        }
        let read = try harness.token(.read, name: "reader")
        #expect(try harness.send("POST", "/v1/usage/batch", token: read, body: Array(body.utf8)).status == 403)
        let used = try harness.get("/v1/customers/org_1/entitlements/api.requests", token: token).json()
        #expect(used["used"] as? Int == 5)
    }

    @Test(arguments: Backend.allCases)
    func plansAndSubscriptionHistoryAreListed(backend: Backend) throws {
        let (harness, token) = try prepared(backend)
        let plans = try harness.get("/v1/plans", token: token).json()
        #expect((plans["data"] as? [[String: Any]])?.map { $0["key"] as? String } == ["enterprise", "free", "pro"])
        let pro = try harness.get("/v1/plans/pro", token: token).json()
        #expect(pro["trial_days"] as? Int == 14)
        #expect((pro["entitlements"] as? [String: Any])?["projects"] as? String == "unlimited")
        #expect(try harness.get("/v1/plans/gold", token: token).status == 404)
        #expect(try harness.get("/v1/customers/org_1/subscription", token: token).errorCode == "no_subscription")
        _ = try harness.send("POST", "/v1/customers/org_1/subscription", token: token, body: Array(#"{"plan":"pro","status":"trialing"}"#.utf8))
        _ = try harness.send("POST", "/v1/customers/org_1/subscription", token: token, body: Array(#"{"plan":"pro","status":"active","quantity":4}"#.utf8))
        let history = try harness.get("/v1/customers/org_1/subscription/history", token: token).json()
        #expect((history["data"] as? [[String: Any]])?.map { $0["status"] as? String } == ["trialing", "active"])
        #expect(try harness.get("/v1/customers/org_1/subscription", token: token).json()["quantity"] as? Int == 4)
        #expect((try harness.get("/v1/features", token: token).json()["data"] as? [Any])?.count == 7)
    }
}
