import Foundation
import Testing
import Tollgate
import TollgateCore
import TollgateEntitlements
import TollgateTestSupport

@Suite struct RateLimitEndpointTests {
    /// The example catalog with every policy's window `windowSeconds` long (an hour: nothing refills
    /// while a busy machine runs a test that counts what a burst allows), and customer `org_1`.
    private func prepared(_ backend: Backend, environment: [String: String] = [:], windowSeconds: Int = 3600) throws -> (APIHarness, String) {
        let harness = try APIHarness(backend, environment: environment)
        var catalog = try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")))
        for plan in catalog.plans.indices {
            for policy in catalog.plans[plan].rateLimits.indices { catalog.plans[plan].rateLimits[policy].windowSeconds = windowSeconds }
        }
        _ = try harness.services.catalog.apply(catalog)
        _ = try harness.services.customers.upsert(.init(externalID: "org_1"))
        return (harness, try harness.token(.write))
    }

    @Test(arguments: [("memory", Backend.sqlite), ("store", .sqlite), ("store", .postgres)])
    func consumeAnswers200Then429WithTheSameBodyAndHeaders(kind: String, backend: Backend) throws {
        let (harness, token) = try prepared(backend, environment: ["TOLLGATE_RATE_LIMIT_BACKEND": kind])
        let body = Array(#"{"customer":"org_1","policy":"api","cost":10}"#.utf8)
        let first = try harness.send("POST", "/v1/rate-limits/consume", token: token, body: body)
        #expect(first.status == 200, "\(first.text)")
        #expect(first.header("RateLimit-Policy") == #""api";q=10;w=3600"#)
        #expect(first.header("RateLimit")?.hasPrefix(#""api";r=10;t="#) == true)
        #expect(first.header("X-RateLimit-Limit") == "10")
        #expect(first.header("X-RateLimit-Remaining") == "10")
        #expect(first.header("Retry-After") == nil)
        #expect(try harness.send("POST", "/v1/rate-limits/consume", token: token, body: body).status == 200)
        let denied = try harness.send("POST", "/v1/rate-limits/consume", token: token, body: body)
        #expect(denied.status == 429)
        #expect(denied.header("Retry-After") == "3600")
        #expect(denied.header("X-RateLimit-Remaining") == "0")
        let json = try denied.json()
        #expect(json["allowed"] as? Bool == false)
        let policy = try #require((json["policies"] as? [[String: Any]])?.first)
        #expect(policy["name"] as? String == "api")
        #expect(policy["burst"] as? Int == 20)
        #expect(policy["retry_after_seconds"] as? Int == 3600)
    }

    @Test func badRateLimitRequestsAre4xx() throws {
        let (harness, token) = try prepared(.sqlite)
        let cases: [(String, Int)] = [
            (#"{"customer":"ghost"}"#, 404),
            (#"{"customer":"org_1","policy":"nope"}"#, 404),
            (#"{"customer":"org_1","cost":0}"#, 400),
            (#"{"customer":"org_1","cost":-5}"#, 400),
            (#"{"customer":"org_1","cost":99999999999}"#, 400),
            (#"{"policy":"api"}"#, 400),
            ("not json", 400),
        ]
        for (body, status) in cases {
            #expect(try harness.send("POST", "/v1/rate-limits/consume", token: token, body: Array(body.utf8)).status == status, "\(body)")
        }
    }

    @Test func theAPIIsRateLimitedPerKeyWithTheSameHeaders() throws {
        let (harness, token) = try prepared(.sqlite, environment: ["TOLLGATE_API_RATE_LIMIT": "3/60:3"])
        let other = try harness.token(.read)
        for index in 0..<3 {
            let response = try harness.get("/v1/plans", token: token)
            #expect(response.status == 200)
            #expect(response.header("RateLimit-Policy") == #""api_key";q=3;w=60"#)
            #expect(response.header("X-RateLimit-Remaining") == String(2 - index))
        }
        let limited = try harness.get("/v1/plans", token: token)
        #expect(limited.status == 429)
        #expect(limited.errorCode == "rate_limited")
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(try harness.get("/v1/plans", token: other).status == 200)
        #expect(try harness.get("/healthz").status == 200)
    }
}
