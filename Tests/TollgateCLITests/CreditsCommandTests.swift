import Foundation
import Testing
import TollgateTestSupport

/// `tollgate credits …` as an operator uses it, in-process, on both backends: text for people,
/// `--json` in the API's shapes, exit 1 for a refusal and 2 for a malformed command line.
@Suite struct CreditsCommandTests {
    /// A migrated store with a credit pool `ai_credits` (`ai.generation` costs 5 a unit) and
    /// customer `org_1`.
    private func prepared(_ backend: Backend) throws -> (TestDatabase, [String: String]) {
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        let catalog = FileManager.default.temporaryDirectory.appendingPathComponent("credits-\(UUID().uuidString).json").path
        try """
            {
              "credit_pools": [{ "key": "ai_credits", "name": "AI credits" }],
              "features": [{ "key": "ai.generation", "name": "Generations", "kind": "metered", "reset": "month",
                             "credits": { "pool": "ai_credits", "cost": 5 } }],
              "plans": [{ "key": "free", "name": "Free", "is_default": true, "entitlements": { "ai.generation": "unlimited" } }]
            }
            """.write(toFile: catalog, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: catalog) }
        let applied = InProcessCLI.run(["plans", "apply", catalog], environment: environment)
        #expect(applied.status == 0, "\(applied.standardError)")
        #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "org_1"], environment: environment).status == 0)
        return (store, environment)
    }

    private func json(_ result: TollgateBinary.Result, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any], sourceLocation: sourceLocation)
    }

    @Test(arguments: Backend.allCases)
    func grantBalanceAndLedgerReadForPeopleAndAsJSON(backend: Backend) throws {
        let (store, environment) = try prepared(backend)
        defer { withExtendedLifetime(store) {} }
        let granted = InProcessCLI.run(["credits", "grant", "org_1", "ai_credits", "100", "--reason", "launch promo", "--idempotency-key", "p1"],
                                       environment: environment)
        #expect(granted.status == 0, "\(granted.standardError)")
        #expect(granted.standardOutput.contains("Granted 100 ai_credits to org_1 (cb_"), "\(granted.standardOutput)")
        let repeated = InProcessCLI.run(["credits", "grant", "org_1", "ai_credits", "100", "--reason", "launch promo", "--idempotency-key", "p1", "--json"],
                                        environment: environment)
        #expect(repeated.status == 0, "\(repeated.standardError)")
        #expect(try json(repeated)["remaining"] as? Int == 100)
        #expect(InProcessCLI.run(["usage", "consume", "org_1", "ai.generation", "--quantity", "2"], environment: environment).status == 0)

        let balance = InProcessCLI.run(["credits", "balance", "org_1"], environment: environment)
        #expect(balance.status == 0, "\(balance.standardError)")
        let lines = balance.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["POOL", "BALANCE", "HELD", "DEBT", "AVAILABLE"], "\(balance.standardOutput)")
        #expect(lines.count > 1 && lines[1].split(separator: " ", omittingEmptySubsequences: true) == ["ai_credits", "90", "0", "0", "90"], "\(balance.standardOutput)")
        #expect(balance.standardOutput.contains("launch promo"))
        let balanceJSON = try json(InProcessCLI.run(["credits", "balance", "org_1", "--json"], environment: environment))
        #expect(balanceJSON["has_more"] as? Bool == false)
        #expect((balanceJSON["data"] as? [[String: Any]])?.first?["available"] as? Int == 90)

        let ledger = InProcessCLI.run(["credits", "ledger", "org_1"], environment: environment)
        #expect(ledger.status == 0, "\(ledger.standardError)")
        #expect(ledger.standardOutput.contains("added") && ledger.standardOutput.contains("+100") && ledger.standardOutput.contains("-10"),
                "\(ledger.standardOutput)")
        let usage = try json(InProcessCLI.run(["credits", "ledger", "org_1", "--cause", "usage", "--pool", "ai_credits", "--json"], environment: environment))
        #expect((usage["data"] as? [[String: Any]])?.map { $0["balance_after"] as? Int } == [90])
        let firstPage = InProcessCLI.run(["credits", "ledger", "org_1", "--limit", "1"], environment: environment)
        #expect(firstPage.standardOutput.contains("More: --starting-after "), "\(firstPage.standardOutput)")
        let paged = try json(InProcessCLI.run(["credits", "ledger", "org_1", "--limit", "1", "--json"], environment: environment))
        #expect(paged["has_more"] as? Bool == true)
    }

    @Test(arguments: Backend.allCases)
    func holdsArePlacedShownCommittedAndReleased(backend: Backend) throws {
        let (store, environment) = try prepared(backend)
        defer { withExtendedLifetime(store) {} }
        #expect(InProcessCLI.run(["credits", "grant", "org_1", "ai_credits", "50", "--reason", "promo"], environment: environment).status == 0)

        let placed = InProcessCLI.run(["credits", "hold", "org_1", "ai_credits", "30", "--ttl", "600", "--reason", "generation", "--json"],
                                      environment: environment)
        #expect(placed.status == 0, "\(placed.standardError)")
        let id = try #require(try json(placed)["id"] as? String)
        let shown = InProcessCLI.run(["credits", "hold-show", "org_1", id], environment: environment)
        #expect(shown.standardOutput.contains("\(id)  open  30 ai_credits") && shown.standardOutput.contains("reason: generation"), "\(shown.standardOutput)")

        let refused = InProcessCLI.run(["credits", "hold", "org_1", "ai_credits", "21", "--json"], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("insufficient_credits"), "\(refused.standardError)")

        let committed = InProcessCLI.run(["credits", "commit", "org_1", id, "12"], environment: environment)
        #expect(committed.status == 0 && committed.standardOutput.contains("Committed 12 of 30 ai_credits"), "\(committed.standardOutput)\(committed.standardError)")
        let conflict = InProcessCLI.run(["credits", "release", "org_1", id], environment: environment)
        #expect(conflict.status == 1 && conflict.standardError.contains("committed"), "\(conflict.standardError)")

        let second = try #require(try json(InProcessCLI.run(["credits", "hold", "org_1", "ai_credits", "8", "--json"], environment: environment))["id"] as? String)
        let released = InProcessCLI.run(["credits", "release", "org_1", second], environment: environment)
        #expect(released.status == 0 && released.standardOutput.contains("Released 8 ai_credits"), "\(released.standardOutput)\(released.standardError)")
        let balance = try json(InProcessCLI.run(["credits", "balance", "org_1", "--json"], environment: environment))
        let account = try #require((balance["data"] as? [[String: Any]])?.first)
        #expect(account["balance"] as? Int == 38 && account["held"] as? Int == 0 && account["available"] as? Int == 38)
    }

    /// A refusal is exit 1 with the API's error code; a malformed command line is exit 2; neither
    /// changes the ledger.
    @Test(arguments: Backend.allCases)
    func badInputExitsNonZeroAndChangesNothing(backend: Backend) throws {
        let (store, environment) = try prepared(backend)
        defer { withExtendedLifetime(store) {} }
        #expect(InProcessCLI.run(["credits", "grant", "org_1", "ai_credits", "50", "--reason", "promo"], environment: environment).status == 0)
        let before = InProcessCLI.run(["credits", "ledger", "org_1", "--json"], environment: environment).standardOutput

        let refusals: [([String], Int32, String)] = [
            (["credits", "grant", "ghost", "ai_credits", "5", "--reason", "r"], 1, "no customer with external id ghost"),
            (["credits", "grant", "org_1", "nope", "5", "--reason", "r"], 1, "pool"),
            (["credits", "grant", "org_1", "ai_credits", "0", "--reason", "r"], 1, "amount"),
            (["credits", "grant", "org_1", "ai_credits", "5", "--reason", "  "], 1, "reason"),
            (["credits", "grant", "org_1", "ai_credits", "5", "--reason", "r", "--expires-at", "2001-01-01T00:00:00Z"], 1, "expires_at"),
            (["credits", "grant", "org_1", "ai_credits", "5"], 2, "--reason"),
            (["credits", "grant", "org_1", "ai_credits", "five", "--reason", "r"], 2, "AMOUNT"),
            (["credits", "hold", "org_1", "ai_credits", "5", "--ttl", "0"], 2, "--ttl"),
            (["credits", "ledger", "org_1", "--cause", "bogus"], 2, "--cause"),
            (["credits", "ledger", "org_1", "--limit", "1001"], 2, "--limit"),
            (["credits", "commit", "org_1", "chd_nope", "1"], 1, "not found"),
            (["credits", "release", "org_1", "chd_nope"], 1, "not found"),
            (["credits", "hold-show", "org_1", "chd_nope"], 1, "not found"),
        ]
        for (arguments, status, mention) in refusals {
            let result = InProcessCLI.run(arguments, environment: environment)
            #expect(result.status == status, "\(arguments): \(result.status) \(result.standardError)")
            #expect(result.standardError.contains(mention), "\(arguments): \(result.standardError)")
        }
        let jsonRefusal = InProcessCLI.run(["credits", "grant", "org_1", "ai_credits", "0", "--reason", "r", "--json"], environment: environment)
        let error = try #require(try JSONSerialization.jsonObject(with: Data(jsonRefusal.standardError.utf8)) as? [String: Any])
        #expect((error["error"] as? [String: Any])?["code"] as? String == "invalid_request")
        #expect(InProcessCLI.run(["credits", "ledger", "org_1", "--json"], environment: environment).standardOutput == before)
    }
}
