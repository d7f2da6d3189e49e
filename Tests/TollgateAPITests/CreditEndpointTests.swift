import Foundation
import Testing
import TollgateCore
import TollgateEntitlements
import TollgateTestSupport

/// The credits endpoints end to end through a real server, on both backends: grants, balances,
/// credit-priced usage and the ledger agree; holds reserve, commit, release and expire; a repeated
/// idempotency key answers the first result; and every bad input is a 4xx that changes nothing.
/// (The harness checks every response against the OpenAPI document.)
@Suite struct CreditEndpointTests {
    /// `ai.generation` costs 5 `ai_credits` a unit and is unlimited on the default plan, so only
    /// credits gate it (the catalog of `CreditTests`).
    static let catalog = """
        {
          "credit_pools": [{ "key": "ai_credits", "name": "AI credits", "overage_floor": 0 }],
          "features": [{ "key": "ai.generation", "name": "Generations", "kind": "metered", "reset": "month",
                         "credits": { "pool": "ai_credits", "cost": 5 } }],
          "plans": [{ "key": "free", "name": "Free", "is_default": true, "entitlements": { "ai.generation": "unlimited" } }]
        }
        """

    static let base = "/v1/customers/org_1/credits"

    /// A harness with the credit catalog and customer `org_1`; a write key.
    private func prepared(_ backend: Backend) throws -> (APIHarness, String) {
        let harness = try APIHarness(backend)
        _ = try harness.services.catalog.apply(try Catalog.parse(Data(Self.catalog.utf8)))
        _ = try harness.services.customers.upsert(.init(externalID: "org_1"))
        return (harness, try harness.token(.write))
    }

    private func post(_ harness: APIHarness, _ path: String, _ body: String?, token: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> TestResponse {
        try harness.send("POST", path, token: token, body: body.map { Array($0.utf8) }, sourceLocation: sourceLocation)
    }

    /// The one account of `ai_credits`.
    private func account(_ harness: APIHarness, token: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let response = try harness.get(Self.base, token: token, sourceLocation: sourceLocation)
        #expect(response.status == 200, "\(response.text)", sourceLocation: sourceLocation)
        let accounts = try #require(try response.json()["data"] as? [[String: Any]], sourceLocation: sourceLocation)
        return try #require(accounts.first { $0["pool"] as? String == "ai_credits" }, sourceLocation: sourceLocation)
    }

    private func ledger(_ harness: APIHarness, _ query: String = "", token: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let response = try harness.get(Self.base + "/ledger" + query, token: token, sourceLocation: sourceLocation)
        #expect(response.status == 200, "\(response.text)", sourceLocation: sourceLocation)
        return try #require(try response.json()["data"] as? [[String: Any]], sourceLocation: sourceLocation)
    }

    @Test(arguments: Backend.allCases)
    func grantBalanceConsumeAndLedgerAgree(backend: Backend) throws {
        let (harness, token) = try prepared(backend)
        let reader = try harness.token(.read, name: "reader")
        let empty = try account(harness, token: reader)
        #expect(empty["balance"] as? Int == 0 && empty["available"] as? Int == 0 && (empty["blocks"] as? [Any])?.isEmpty == true)

        let body = #"{"pool":"ai_credits","amount":100,"reason":"  launch promotion ","idempotency_key":"promo-1"}"#
        let granted = try post(harness, Self.base + "/grants", body, token: token)
        #expect(granted.status == 201, "\(granted.text)")
        let block = try granted.json()
        #expect(block["source"] as? String == "promotion" && block["priority"] as? Int == 20)
        #expect(block["amount"] as? Int == 100 && block["remaining"] as? Int == 100)
        #expect(block["reason"] as? String == "launch promotion" && block["reference"] as? String == "promo-1")
        let repeated = try post(harness, Self.base + "/grants", body, token: token)
        #expect(repeated.status == 200, "\(repeated.text)")
        #expect(try repeated.json()["id"] as? String == block["id"] as? String)
        #expect(try post(harness, Self.base + "/grants", body, token: reader).status == 403)

        let later = try post(harness, Self.base + "/grants",
                             #"{"pool":"ai_credits","amount":20,"reason":"goodwill","expires_at":"2999-01-01T00:00:00Z","priority":5}"#, token: token)
        #expect(later.status == 201, "\(later.text)")
        var current = try account(harness, token: reader)
        #expect(current["balance"] as? Int == 120 && current["available"] as? Int == 120 && current["held"] as? Int == 0)
        // Burn order: priority 5 before 20.
        #expect((current["blocks"] as? [[String: Any]])?.map { $0["amount"] as? Int } == [20, 100])

        let consumed = try post(harness, "/v1/usage/consume", #"{"customer":"org_1","feature":"ai.generation","quantity":3}"#, token: token).json()
        #expect(consumed["allowed"] as? Bool == true)
        let refused = try post(harness, "/v1/usage/consume", #"{"customer":"org_1","feature":"ai.generation","quantity":100}"#, token: token).json()
        #expect(refused["allowed"] as? Bool == false && refused["reason"] as? String == "insufficient_credits")
        current = try account(harness, token: reader)
        #expect(current["balance"] as? Int == 105 && current["available"] as? Int == 105)
        // The check answers with the balance, and refuses what it does not cover.
        let check = try harness.get("/v1/entitlements/check?customer=org_1&feature=ai.generation&quantity=22", token: reader).json()
        #expect(check["allowed"] as? Bool == false && check["reason"] as? String == "insufficient_credits")
        let checkCredits = check["credits"] as? [String: Any]
        #expect(checkCredits?["available"] as? Int == 105 && checkCredits?["cost"] as? Int == 5 && checkCredits?["pool"] as? String == "ai_credits")

        let entries = try ledger(harness, token: reader)
        #expect(entries.map { $0["cause"] as? String } == ["added", "added", "usage"])
        #expect(entries.map { $0["amount"] as? Int } == [100, 20, -15])
        #expect(entries.map { $0["balance_after"] as? Int } == [100, 120, 105])
        #expect(entries.map { $0["seq"] as? Int } == [1, 2, 3])
        #expect(try ledger(harness, "?cause=usage&pool=ai_credits", token: reader).map { $0["amount"] as? Int } == [-15])
        #expect(try ledger(harness, "?since=2999-01-01T00:00:00Z", token: reader).isEmpty)

        // Pages by entry id.
        let first = try harness.get(Self.base + "/ledger?limit=2", token: reader).json()
        #expect(first["has_more"] as? Bool == true)
        let cursor = try #require((first["data"] as? [[String: Any]])?.last?["id"] as? String)
        let second = try harness.get(Self.base + "/ledger?limit=2&starting_after=\(cursor)", token: reader).json()
        #expect(second["has_more"] as? Bool == false)
        #expect((second["data"] as? [[String: Any]])?.map { $0["cause"] as? String } == ["usage"])
    }

    @Test(arguments: Backend.allCases)
    func holdsReserveCommitReleaseAndExpire(backend: Backend) throws {
        let (harness, token) = try prepared(backend)
        #expect(try post(harness, Self.base + "/grants", #"{"pool":"ai_credits","amount":100,"reason":"promo"}"#, token: token).status == 201)

        let body = #"{"pool":"ai_credits","amount":40,"reason":"generation","idempotency_key":"h1"}"#
        let placed = try post(harness, Self.base + "/holds", body, token: token)
        #expect(placed.status == 201, "\(placed.text)")
        let hold = try placed.json()
        let id = try #require(hold["id"] as? String)
        #expect(hold["status"] as? String == "open" && hold["amount"] as? Int == 40 && hold["customer"] as? String == "org_1")
        let again = try post(harness, Self.base + "/holds", body, token: token)
        let againID = try again.json()["id"] as? String
        #expect(again.status == 200 && againID == id, "\(again.text)")
        var current = try account(harness, token: token)
        #expect(current["balance"] as? Int == 100 && current["held"] as? Int == 40 && current["available"] as? Int == 60)

        let tooMuch = try post(harness, Self.base + "/holds", #"{"pool":"ai_credits","amount":61}"#, token: token)
        #expect(tooMuch.status == 409 && tooMuch.errorCode == "insufficient_credits", "\(tooMuch.text)")
        #expect(try harness.get(Self.base + "/holds/\(id)", token: token).json()["status"] as? String == "open")

        // Commit part of it: that is spent, the rest returns; the same commit again answers the hold.
        let committed = try post(harness, Self.base + "/holds/\(id)/commit", #"{"amount":25}"#, token: token)
        #expect(committed.status == 200, "\(committed.text)")
        let settled = try committed.json()
        #expect(settled["status"] as? String == "committed" && settled["settled_amount"] as? Int == 25)
        #expect(try post(harness, Self.base + "/holds/\(id)/commit", #"{"amount":25}"#, token: token).status == 200)
        let otherAmount = try post(harness, Self.base + "/holds/\(id)/commit", #"{"amount":30}"#, token: token)
        #expect(otherAmount.status == 409 && otherAmount.errorCode == "conflict", "\(otherAmount.text)")
        #expect(try post(harness, Self.base + "/holds/\(id)/release", nil, token: token).status == 409)
        current = try account(harness, token: token)
        #expect(current["balance"] as? Int == 75 && current["held"] as? Int == 0 && current["available"] as? Int == 75)

        // Release: everything returns; again answers the hold; a commit after it is a conflict.
        let second = try #require(try post(harness, Self.base + "/holds", #"{"pool":"ai_credits","amount":10}"#, token: token).json()["id"] as? String)
        let overCommit = try post(harness, Self.base + "/holds/\(second)/commit", #"{"amount":11}"#, token: token)
        #expect(overCommit.status == 400 && overCommit.errorCode == "invalid_request", "\(overCommit.text)")
        let released = try post(harness, Self.base + "/holds/\(second)/release", nil, token: token)
        let releasedStatus = try released.json()["status"] as? String
        #expect(released.status == 200 && releasedStatus == "released", "\(released.text)")
        #expect(try post(harness, Self.base + "/holds/\(second)/release", "{}", token: token).status == 200)
        #expect(try post(harness, Self.base + "/holds/\(second)/commit", #"{"amount":1}"#, token: token).status == 409)

        // Expiry: the hold returns by itself and can no longer be settled.
        let short = try #require(try post(harness, Self.base + "/holds", #"{"pool":"ai_credits","amount":5,"ttl_seconds":1}"#, token: token).json()["id"] as? String)
        #expect(try account(harness, token: token)["held"] as? Int == 5)
        Thread.sleep(forTimeInterval: 1.2)
        #expect(try harness.get(Self.base + "/holds/\(short)", token: token).json()["status"] as? String == "expired")
        #expect(try post(harness, Self.base + "/holds/\(short)/commit", #"{"amount":5}"#, token: token).status == 409)
        #expect(try post(harness, Self.base + "/holds/\(short)/release", nil, token: token).status == 409)
        current = try account(harness, token: token)
        #expect(current["balance"] as? Int == 75 && current["held"] as? Int == 0 && current["available"] as? Int == 75)

        for path in ["/holds/chd_nope", "/holds/chd_nope/commit", "/holds/chd_nope/release"] {
            let response = path.hasSuffix("nope") ? try harness.get(Self.base + path, token: token)
                : try post(harness, Self.base + path, path.hasSuffix("commit") ? #"{"amount":1}"# : nil, token: token)
            #expect(response.status == 404 && response.errorCode == "not_found", "\(path): \(response.text)")
        }
        let causes = try ledger(harness, token: token).map { $0["cause"] as? String ?? "" }
        // A commit ends the reservation, then spends; the expiry is written when the account next changes.
        #expect(causes == ["added", "hold_placed", "hold_committed", "hold_committed", "hold_placed", "hold_released", "hold_placed"], "\(causes)")
    }

    /// Every bad input is a 4xx naming what is wrong, and the accounts and the ledger read the same
    /// bytes before and after.
    @Test(arguments: Backend.allCases)
    func badInputIsRefusedAndChangesNothing(backend: Backend) throws {
        let (harness, token) = try prepared(backend)
        #expect(try post(harness, Self.base + "/grants", #"{"pool":"ai_credits","amount":50,"reason":"promo"}"#, token: token).status == 201)
        let hold = try #require(try post(harness, Self.base + "/holds", #"{"pool":"ai_credits","amount":10}"#, token: token).json()["id"] as? String)
        let before = (try harness.get(Self.base, token: token).text, try harness.get(Self.base + "/ledger", token: token).text)

        let long = String(repeating: "x", count: 501)
        // (path under the customer's credits, body, status, error code, the field named)
        let posts: [(String, String?, Int, String, String?)] = [
            ("/grants", #"{"pool":"nope","amount":5,"reason":"r"}"#, 400, "invalid_request", "pool"),
            ("/grants", #"{"pool":"ai_credits","amount":0,"reason":"r"}"#, 400, "invalid_request", "amount"),
            ("/grants", #"{"pool":"ai_credits","amount":-5,"reason":"r"}"#, 400, "invalid_request", "amount"),
            ("/grants", #"{"pool":"ai_credits","amount":1000000000001,"reason":"r"}"#, 400, "invalid_request", "amount"),
            ("/grants", #"{"pool":"ai_credits","amount":"5","reason":"r"}"#, 400, "parameter_invalid", "amount"),
            ("/grants", #"{"pool":"ai_credits","amount":5.5,"reason":"r"}"#, 400, "invalid_json", nil),
            ("/grants", #"{"pool":"ai_credits","amount":5}"#, 400, "parameter_missing", "reason"),
            ("/grants", #"{"pool":"ai_credits","amount":5,"reason":"   "}"#, 400, "invalid_request", "reason"),
            ("/grants", #"{"pool":"ai_credits","amount":5,"reason":"\#(long)"}"#, 400, "invalid_request", "reason"),
            ("/grants", #"{"pool":"ai_credits","amount":5,"reason":"r","expires_at":"2001-01-01T00:00:00Z"}"#, 400, "invalid_request", "expires_at"),
            ("/grants", #"{"pool":"ai_credits","amount":5,"reason":"r","expires_at":"tomorrow"}"#, 400, "parameter_invalid", "expires_at"),
            ("/grants", #"{"pool":"ai_credits","amount":5,"reason":"r","priority":1001}"#, 400, "invalid_request", "priority"),
            ("/grants", #"{"pool":"ai_credits","amount":5,"reason":"r","idempotency_key":""}"#, 400, "invalid_request", "idempotency_key"),
            ("/grants", #"{"pool":"ai_credits","amount":5,"reason":"r","source":"purchase"}"#, 400, "parameter_unknown", "source"),
            ("/grants", #"{"pool":"ai_credits","#, 400, "invalid_json", nil),
            ("/grants", nil, 400, "invalid_json", nil),
            ("/holds", #"{"pool":"nope","amount":5}"#, 400, "invalid_request", "pool"),
            ("/holds", #"{"pool":"ai_credits","amount":0}"#, 400, "invalid_request", "amount"),
            ("/holds", #"{"pool":"ai_credits","amount":41}"#, 409, "insufficient_credits", nil),
            ("/holds", #"{"pool":"ai_credits","amount":5,"ttl_seconds":0}"#, 400, "invalid_request", "ttl_seconds"),
            ("/holds", #"{"pool":"ai_credits","amount":5,"ttl_seconds":604801}"#, 400, "invalid_request", "ttl_seconds"),
            ("/holds", #"{"pool":"ai_credits","amount":5,"ttl_seconds":"60"}"#, 400, "parameter_invalid", "ttl_seconds"),
            ("/holds", #"{"pool":"ai_credits","amount":5,"reason":""}"#, 400, "invalid_request", "reason"),
            ("/holds", #"{"pool":"ai_credits","amount":5,"customer":"org_2"}"#, 400, "parameter_unknown", "customer"),
            ("/holds/\(hold)/commit", #"{"amount":-1}"#, 400, "invalid_request", "amount"),
            ("/holds/\(hold)/commit", #"{"amount":11}"#, 400, "invalid_request", "amount"),
            ("/holds/\(hold)/commit", "{}", 400, "parameter_missing", "amount"),
            ("/holds/\(hold)/commit", #"{"amount":1,"extra":true}"#, 400, "parameter_unknown", "extra"),
            ("/holds/\(hold)/release", #"{"amount":1}"#, 400, "parameter_unknown", "amount"),
            ("/holds/chd_nope/commit", #"{"amount":1}"#, 404, "not_found", nil),
        ]
        for (path, body, status, code, field) in posts {
            let response = try post(harness, Self.base + path, body, token: token)
            #expect(response.status == status && response.errorCode == code, "\(path) \(body ?? "(no body)"): \(response.text)")
            if let field { #expect(response.errorField == field, "\(path) \(body ?? ""): \(response.text)") }
        }
        let ghost = try post(harness, "/v1/customers/ghost/credits/grants", #"{"pool":"ai_credits","amount":5,"reason":"r"}"#, token: token)
        #expect(ghost.status == 404 && ghost.errorCode == "unknown_customer", "\(ghost.text)")
        let ghostHold = try post(harness, "/v1/customers/ghost/credits/holds", #"{"pool":"ai_credits","amount":5}"#, token: token)
        #expect(ghostHold.status == 404 && ghostHold.errorCode == "unknown_customer", "\(ghostHold.text)")

        let queries: [(String, Int, String?)] = [
            ("?cause=bogus", 400, "cause"), ("?since=yesterday", 400, "since"), ("?limit=0", 400, "limit"), ("?limit=1001", 400, "limit"),
            ("?limit=x", 400, "limit"), ("?starting_after=nope", 400, "starting_after"), ("?pool=nope", 400, "pool"),
        ]
        for (query, status, field) in queries {
            let response = try harness.get(Self.base + "/ledger" + query, token: token)
            #expect(response.status == status && response.errorField == field, "\(query): \(response.text)")
        }
        #expect(try harness.get("/v1/customers/ghost/credits/ledger", token: token).errorCode == "unknown_customer")
        #expect(try harness.get("/v1/customers/ghost/credits", token: token).errorCode == "unknown_customer")
        #expect(try harness.get(Self.base + "/ledger?limit=1000", token: token).status == 200)

        let after = (try harness.get(Self.base, token: token).text, try harness.get(Self.base + "/ledger", token: token).text)
        #expect(after.0 == before.0, "the accounts changed")
        #expect(after.1 == before.1, "the ledger changed")
        #expect(try harness.get(Self.base + "/holds/\(hold)", token: token).json()["status"] as? String == "open")
    }
}
