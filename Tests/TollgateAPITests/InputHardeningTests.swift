import Foundation
import Testing
import TollgateCore
import TollgateEntitlements
import TollgateOutbox
import TollgateTestSupport

/// Input that once crashed a store or passed silently (issue 11): every case is a 4xx naming the
/// field, changes nothing, and behaves the same on SQLite and PostgreSQL.
@Suite struct InputHardeningTests {
    /// The example catalog plus a metered feature that never resets, in the `pro` plan.
    static func catalogWithANeverResettingFeature() throws -> Catalog {
        let url = URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var features = try #require(root["features"] as? [[String: Any]])
        features.append(["key": "lifetime.exports", "name": "Exports, ever", "kind": "metered", "reset": "never"])
        root["features"] = features
        var plans = try #require(root["plans"] as? [[String: Any]])
        for index in plans.indices where plans[index]["key"] as? String == "pro" {
            var entitlements = plans[index]["entitlements"] as? [String: Any] ?? [:]
            entitlements["lifetime.exports"] = 3
            plans[index]["entitlements"] = entitlements
        }
        root["plans"] = plans
        return try Catalog.parse(try JSONSerialization.data(withJSONObject: root))
    }

    /// A harness with that catalog and `org_acme` on `pro` (a period that holds now).
    static func proCustomer(_ backend: Backend) throws -> (APIHarness, write: String, read: String) {
        let harness = try APIHarness(backend)
        _ = try harness.services.catalog.apply(try catalogWithANeverResettingFeature())
        let write = try harness.token(.write)
        let created = try harness.send("POST", "/v1/customers", token: write, body: Array(#"{"external_id":"org_acme"}"#.utf8))
        #expect(created.status == 201, "\(created.text)")
        let now = Date()
        let period = #"{"plan":"pro","status":"active","current_period_start":"\#(iso(now.addingTimeInterval(-86_400)))","current_period_end":"\#(iso(now.addingTimeInterval(86_400 * 20)))"}"#
        let subscribed = try harness.send("POST", "/v1/customers/org_acme/subscription", token: write, body: Array(period.utf8))
        #expect(subscribed.status == 200 || subscribed.status == 201, "\(subscribed.text)")
        return (harness, write, try harness.token(.read))
    }

    static func iso(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle()) }

    @Test(arguments: Backend.allCases)
    func aMeteredFeatureThatNeverResetsWorksOnEveryPath(backend: Backend) throws {
        let (harness, write, read) = try Self.proCustomer(backend)
        let check = try harness.get("/v1/entitlements/check?customer=org_acme&feature=lifetime.exports", token: read)
        #expect(check.status == 200, "\(check.text)")
        #expect(try check.json()["allowed"] as? Bool == true)
        #expect(try harness.get("/v1/customers/org_acme/entitlements", token: read).status == 200)
        #expect(try harness.get("/v1/entitlements/check?customer=org_acme&feature=seats", token: read).status == 200)
        for index in 1...3 {
            let consumed = try harness.send("POST", "/v1/usage/consume", token: write,
                                            body: Array(#"{"customer":"org_acme","feature":"lifetime.exports","idempotency_key":"k\#(index)"}"#.utf8))
            #expect(consumed.status == 200, "\(consumed.text)")
            #expect(try consumed.json()["allowed"] as? Bool == true)
        }
        let fourth = try harness.send("POST", "/v1/usage/consume", token: write,
                                      body: Array(#"{"customer":"org_acme","feature":"lifetime.exports","idempotency_key":"k4"}"#.utf8))
        #expect(try fourth.json()["allowed"] as? Bool == false, "the allowance of 3 holds for ever: \(fourth.text)")
        let recorded = try harness.send("POST", "/v1/usage", token: write, body: Array(#"{"customer":"org_acme","feature":"api.requests","quantity":2}"#.utf8))
        #expect(recorded.status < 300, "\(recorded.text)")
        let limited = try harness.send("POST", "/v1/rate-limits/consume", token: write, body: Array(#"{"customer":"org_acme"}"#.utf8))
        #expect(limited.status == 200 || limited.status == 429, "\(limited.text)")
    }

    @Test(arguments: Backend.allCases)
    func instantsOutsideTheAcceptedRangeAreRefusedNamingTheField(backend: Backend) throws {
        let (harness, write, read) = try Self.proCustomer(backend)
        let before = try harness.get("/v1/customers/org_acme/subscription", token: read).text
        let cases: [(String, String)] = [
            (#"{"plan":"pro","status":"active","current_period_start":"1969-12-31T23:59:59.500Z"}"#, "current_period_start"),
            (#"{"plan":"pro","status":"active","current_period_end":"0001-01-01T00:00:00Z"}"#, "current_period_end"),
            (#"{"plan":"pro","status":"active","trial_end":"10000-01-01T00:00:00Z"}"#, "trial_end"),
            (#"{"plan":"pro","status":"active","trial_end":"next tuesday"}"#, "trial_end"),
        ]
        for (body, field) in cases {
            let response = try harness.send("POST", "/v1/customers/org_acme/subscription", token: write, body: Array(body.utf8))
            #expect(response.status == 400 && response.errorCode == "parameter_invalid", "\(body): \(response.text)")
            #expect(response.errorField == field, "\(body): \(response.text)")
        }
        let grant = try harness.send("POST", "/v1/customers/org_acme/grants", token: write,
                                     body: Array(#"{"feature":"seats","value":5,"reason":"x","expires_at":"1900-01-01T00:00:00Z"}"#.utf8))
        #expect(grant.status == 400 && grant.errorField == "expires_at", "\(grant.text)")
        #expect(try harness.get("/v1/customers/org_acme/subscription", token: read).text == before, "nothing changed")
        #expect(try harness.get("/v1/customers/org_acme/grants", token: read).json()["data"] as? [Any] == nil
                || (try harness.get("/v1/customers/org_acme/grants", token: read).json()["data"] as? [Any])?.isEmpty == true)

        // The edges of the range are kept exactly.
        let edges = #"{"plan":"pro","status":"active","current_period_start":"1970-01-01T00:00:00Z","current_period_end":"9999-12-31T23:59:59Z"}"#
        let kept = try harness.send("POST", "/v1/customers/org_acme/subscription", token: write, body: Array(edges.utf8))
        #expect(kept.status == 200 || kept.status == 201, "\(kept.text)")
        let stored = try harness.get("/v1/customers/org_acme/subscription", token: read).json()
        #expect(stored["current_period_start"] as? String == "1970-01-01T00:00:00Z", "\(stored)")
        #expect(stored["current_period_end"] as? String == "9999-12-31T23:59:59Z", "\(stored)")
    }

    @Test(arguments: Backend.allCases)
    func purgingDeadMailOlderThanACenturyIsNotAnError(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let admin = try harness.token(.admin)
        let purged = try harness.send("POST", "/v1/outbox/purge", token: admin, body: Array(#"{"status":"dead","older_than_days":36499}"#.utf8))
        #expect(purged.status == 200, "\(purged.text)")
        #expect(try purged.json()["purged"] as? Int == 0)
    }

    @Test(arguments: Backend.allCases)
    func nulAndControlCharactersAreRefusedNamingTheFieldAndStoreNothing(backend: Backend) throws {
        let (harness, write, read) = try Self.proCustomer(backend)
        let admin = try harness.token(.admin)
        let nul = #"\u0000"#
        let cases: [(String, String, String, String)] = [
            ("/v1/customers", write, #"{"external_id":"org\#(nul)x"}"#, "external_id"),
            ("/v1/customers", write, #"{"external_id":"org_\u0015"}"#, "external_id"),
            ("/v1/customers", write, #"{"external_id":"org_b","name":"A\#(nul)B"}"#, "name"),
            ("/v1/customers", write, #"{"external_id":"org_b","metadata":{"region":"e\#(nul)u"}}"#, "metadata.region"),
            ("/v1/customers/org_acme/grants", write, #"{"feature":"seats","value":5,"reason":"r\#(nul)"}"#, "reason"),
            ("/v1/usage", write, #"{"customer":"org_acme","feature":"api.requests","idempotency_key":"k\#(nul)"}"#, "idempotency_key"),
            ("/v1/usage/consume", write, #"{"customer":"org\#(nul)acme","feature":"api.requests"}"#, "customer"),
            ("/v1/rate-limits/consume", write, #"{"customer":"org_acme","policy":"p\#(nul)"}"#, "policy"),
            ("/v1/suppressions", admin, #"{"address":"a\#(nul)@example.com"}"#, "address"),
            ("/v1/customers/org_acme/subscription", write, #"{"plan":"pro\#(nul)","status":"active"}"#, "plan"),
        ]
        for (path, token, body, field) in cases {
            let response = try harness.send("POST", path, token: token, body: Array(body.utf8))
            #expect(response.status == 400, "\(path) \(body): \(response.status) \(response.text)")
            #expect(response.errorField == field, "\(path) \(body): \(response.text)")
        }
        let query = try harness.get("/v1/entitlements/check?customer=org_acme%00x&feature=seats", token: read)
        #expect(query.status == 400 && query.errorField == "customer", "a decoded %00 is refused, not cut short: \(query.text)")
        #expect(try harness.services.customers.list(page: PageRequest()).items.map(\.externalID) == ["org_acme"])
        #expect(try harness.services.suppressions.find("a@example.com") == nil)
        let usage = try harness.get("/v1/entitlements/check?customer=org_acme&feature=api.requests", token: read).json()
        #expect(usage["used"] as? Int == 0, "\(usage)")
    }

    @Test(arguments: Backend.allCases)
    func bodiesAreReadStrictlyAsStripeReadsParameters(backend: Backend) throws {
        let (harness, write, _) = try Self.proCustomer(backend)
        let cases: [(String, String, Int, String, String?)] = [
            ("/v1/customers", #"{"external_id":"org_b","emial":"a@b.c"}"#, 400, "parameter_unknown", "emial"),
            ("/v1/customers", #"{"external_id":"org_b","metadata":{"a":"b"},"extra":{"x":1}}"#, 400, "parameter_unknown", "extra"),
            ("/v1/customers", #"{"email":"a@b.c"}"#, 400, "parameter_missing", "external_id"),
            ("/v1/customers", #"{"external_id":["org_b"]}"#, 400, "parameter_invalid", "external_id"),
            ("/v1/customers", #"{"external_id":null}"#, 400, "parameter_invalid", "external_id"),
            ("/v1/customers", #"["org_b"]"#, 400, "invalid_json", nil),
            ("/v1/usage", #"{"customer":"org_acme","feature":"api.requests","quantity":"two"}"#, 400, "parameter_invalid", "quantity"),
            ("/v1/usage", #"{"customer":"org_acme","feature":"api.requests","idempotencyKey":"k"}"#, 400, "parameter_unknown", "idempotencyKey"),
            ("/v1/customers/org_acme/subscription", #"{"plan":"pro"}"#, 400, "parameter_missing", "status"),
            ("/v1/customers/org_acme/subscription/cancel", #"{"at_period_end":true,"now":true}"#, 400, "parameter_unknown", "now"),
        ]
        for (path, body, status, code, field) in cases {
            let response = try harness.send("POST", path, token: write, body: Array(body.utf8))
            #expect(response.status == status && response.errorCode == code, "\(path) \(body): \(response.status) \(response.text)")
            if let field { #expect(response.errorField == field, "\(path) \(body): \(response.text)") }
            #expect(!response.text.contains("externalID") && !response.text.contains("idempotencyKey\"") || field == "idempotencyKey",
                    "Swift names never show: \(response.text)")
        }
        #expect(try harness.services.customers.list(page: PageRequest()).items.map(\.externalID) == ["org_acme"])
    }
}

extension TestResponse {
    /// `error.details[0].field` of an error body.
    var errorField: String? {
        guard let error = (try? json())?["error"] as? [String: Any], let details = error["details"] as? [[String: Any]] else { return nil }
        return details.first?["field"] as? String
    }
}
