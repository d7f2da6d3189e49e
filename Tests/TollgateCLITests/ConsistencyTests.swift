import Foundation
import Testing
import TollgateCore
import TollgateTestSupport

/// The rules `tollgate --help` states, held for every command they name: every `--json` list is a
/// page (`{"data": […], "has_more": bool}`), and a denial exits 0 with and without `--json`.
@Suite struct ConsistencyTests {
    /// Every list command, with what it needs: `CUSTOMER` is a customer with a subscription and a grant.
    static let listCommands: [[String]] = [
        ["keys", "list"], ["customers", "list"], ["plans", "list"], ["subscriptions", "history", "CUSTOMER"], ["grants", "list", "CUSTOMER"],
        ["credits", "balance", "CUSTOMER"], ["credits", "ledger", "CUSTOMER"],
        ["webhooks", "list"], ["outbox", "list"], ["suppressions", "list"], ["connections", "list"], ["migrate", "--status"], ["config", "check"],
    ]

    /// Before pages were declared once, six of these printed a bare array.
    @Test(arguments: Backend.allCases)
    func everyListCommandPrintsAPageWithJSON(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(databaseURL: store.url)
        func tollgate(_ arguments: [String]) -> TollgateBinary.Result { InProcessCLI.run(arguments, environment: environment) }
        for setup in [["migrate"], ["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"],
                      ["customers", "upsert", "--external-id", "org_pages"], ["keys", "create", "--name", "pages", "--scope", "read"],
                      ["subscriptions", "set", "org_pages", "--plan", "pro", "--status", "active"],
                      ["grants", "create", "org_pages", "--feature", "sso", "--value", "true", "--reason", "pilot"],
                      ["suppressions", "add", "ann@example.com"]] {
            let result = tollgate(setup)
            #expect(result.status == 0, "\(setup): \(result.standardError)")
        }
        for command in Self.listCommands.map({ $0.map { $0 == "CUSTOMER" ? "org_pages" : $0 } }) {
            let result = tollgate(command + ["--json"])
            #expect(result.status == 0, "\(command): \(result.standardError)")
            guard let page = try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any] else {
                Issue.record("\(command) printed no JSON object: \(result.standardOutput.prefix(200))")
                continue
            }
            #expect(Set(page.keys) == ["data", "has_more"], "\(command): \(page.keys.sorted())")
            #expect(page["data"] is [Any] && page["has_more"] is Bool, "\(command): \(result.standardOutput)")
        }
        let customers = try JSONSerialization.jsonObject(with: Data(tollgate(["customers", "list", "--json"]).standardOutput.utf8)) as? [String: Any]
        #expect((customers?["data"] as? [[String: Any]])?.first?["external_id"] as? String == "org_pages")
    }

    /// A denial is an answer: exit 0 in both modes, the reason in the text and in the JSON. (A denied
    /// `usage consume` exited 1 in text and 0 with `--json`.)
    @Test(arguments: Backend.allCases)
    func aDenialExitsZeroWithAndWithoutJSON(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(databaseURL: store.url)
        func tollgate(_ arguments: [String]) -> TollgateBinary.Result { InProcessCLI.run(arguments, environment: environment) }
        #expect(tollgate(["migrate"]).status == 0)
        #expect(tollgate(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"]).status == 0)
        #expect(tollgate(["customers", "upsert", "--external-id", "org_denied"]).status == 0)

        let denials: [(command: [String], text: String, reason: String)] = [
            (["entitlements", "check", "org_denied", "integrations.github"], "denied: no_active_subscription\n", "no_active_subscription"),
            (["usage", "consume", "org_denied", "exports.daily", "--quantity", "1000"], "Not recorded: limit_exceeded (used 0).\n", "limit_exceeded"),
        ]
        for denial in denials {
            let text = tollgate(denial.command)
            #expect(text.status == 0 && text.standardOutput == denial.text && text.standardError.isEmpty, "\(denial.command): \(text)")
            let json = tollgate(denial.command + ["--json"])
            #expect(json.status == text.status && json.standardError.isEmpty, "\(denial.command): \(json)")
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            #expect(answer["allowed"] as? Bool == false && answer["reason"] as? String == denial.reason, "\(answer)")
        }
        // Nothing was counted by the denied consume.
        let consumed = tollgate(["usage", "consume", "org_denied", "exports.daily", "--json"])
        #expect(consumed.status == 0)
        #expect((try JSONSerialization.jsonObject(with: Data(consumed.standardOutput.utf8)) as? [String: Any])?["used"] as? Int == 1)
    }
}
