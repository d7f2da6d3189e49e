import Foundation
import Testing
import TollgateTestSupport

/// The operator's path through issue 3: catalog as code, subscriptions, grants, usage, entitlements (in-process).
@Suite struct CatalogCommandTests {
    private func migrated(_ backend: Backend) throws -> (TestDatabase, [String: String]) {
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        return (store, environment)
    }

    private var exampleCatalog: String { TestDatabase.repositoryRoot + "/examples/catalog.json" }

    /// The plan keys of `plans list --json`: a page.
    private func planKeys(_ result: TollgateBinary.Result) throws -> [String] {
        let page = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any], "\(result.standardOutput)")
        #expect(page["has_more"] as? Bool == false)
        return try #require(page["data"] as? [[String: Any]]).compactMap { $0["key"] as? String }
    }

    @Test(arguments: Backend.allCases)
    func planApplyShowsTheDiffAppliesOnceAndDryRunWritesNothing(backend: Backend) throws {
        let (store, environment) = try migrated(backend)
        defer { withExtendedLifetime(store) {} }
        let dry = InProcessCLI.run(["plans", "apply", exampleCatalog, "--dry-run"], environment: environment)
        #expect(dry.status == 0, "\(dry.standardError)")
        #expect(dry.standardOutput.contains("+ add plan pro"))
        #expect(dry.standardOutput.contains("Dry run"))
        #expect(try planKeys(InProcessCLI.run(["plans", "list", "--json"], environment: environment)) == [])

        let applied = InProcessCLI.run(["plans", "apply", exampleCatalog], environment: environment)
        #expect(applied.standardOutput.contains("Applied 10 changes"))
        let again = InProcessCLI.run(["plans", "apply", exampleCatalog], environment: environment)
        #expect(again.standardOutput.contains("No changes"))

        let list = InProcessCLI.run(["plans", "list"], environment: environment)
        #expect(list.standardOutput.contains("enterprise") && list.standardOutput.contains("$49.00 / month"))
        let show = InProcessCLI.run(["plans", "show", "pro"], environment: environment)
        #expect(show.standardOutput.contains("seats: 10"))
        #expect(InProcessCLI.run(["plans", "show", "gold"], environment: environment).status == 1)
    }

    @Test(arguments: Backend.allCases)
    func invalidCatalogFileIsRefusedNamingThePlace(backend: Backend) throws {
        let (store, environment) = try migrated(backend)
        defer { withExtendedLifetime(store) {} }
        let folder = try TollgateBinary.temporaryFolder()
        let file = folder + "/bad.json"
        try Data(#"{"features":[{"key":"calls","name":"Calls","kind":"metered"}],"plans":[{"key":"p","name":"P","entitlements":{"seats":1}}]}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let result = InProcessCLI.run(["plans", "apply", file], environment: environment)
        #expect(result.status == 1)
        #expect(result.standardError.contains("features[0].reset"))
        #expect(result.standardError.contains("plans[0].entitlements.seats"))
        #expect(try planKeys(InProcessCLI.run(["plans", "list", "--json"], environment: environment)) == [])
    }

    @Test(arguments: Backend.allCases)
    func subscriptionGrantAndUsageChangeWhatTheCustomerMayDo(backend: Backend) throws {
        let (store, environment) = try migrated(backend)
        defer { withExtendedLifetime(store) {} }
        #expect(InProcessCLI.run(["plans", "apply", exampleCatalog], environment: environment).status == 0)
        #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "org_9"], environment: environment).status == 0)

        #expect(InProcessCLI.run(["entitlements", "check", "org_9", "integrations.github"], environment: environment)
            .standardOutput.contains("denied: no_active_subscription"))
        let set = InProcessCLI.run(["subscriptions", "set", "org_9", "--plan", "pro", "--status", "active", "--quantity", "3"], environment: environment)
        #expect(set.status == 0, "\(set.standardError)")
        #expect(InProcessCLI.run(["entitlements", "check", "org_9", "integrations.github"], environment: environment).standardOutput.hasPrefix("allowed"))
        #expect(InProcessCLI.run(["subscriptions", "show", "org_9"], environment: environment).standardOutput.contains("pro, active, quantity 3"))

        let grant = InProcessCLI.run(["grants", "create", "org_9", "--feature", "sso", "--value", "true", "--reason", "pilot", "--json"], environment: environment)
        #expect(grant.status == 0, "\(grant.standardError)")
        #expect(InProcessCLI.run(["entitlements", "check", "org_9", "sso"], environment: environment).standardOutput.hasPrefix("allowed"))

        let consumed = InProcessCLI.run(["usage", "consume", "org_9", "exports.daily", "--quantity", "100"], environment: environment)
        #expect(consumed.standardOutput.contains("used 100, remaining 0"))
        let refused = InProcessCLI.run(["usage", "consume", "org_9", "exports.daily"], environment: environment)
        #expect(refused.status == 0, "a denial is an answer")
        #expect(refused.standardOutput == "Not recorded: limit_exceeded (used 100).\n")
        let shown = InProcessCLI.run(["entitlements", "show", "org_9", "--json"], environment: environment)
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(shown.standardOutput.utf8)) as? [String: Any])
        #expect(snapshot["plan"] as? String == "pro")
        #expect(InProcessCLI.run(["usage", "consume", "org_9", "Bad Key"], environment: environment).status == 2)
        #expect(InProcessCLI.run(["entitlements", "show", "ghost"], environment: environment).status == 1)
        #expect(InProcessCLI.run(["subscriptions", "history", "org_9"], environment: environment).standardOutput.contains("cli"))
    }
}
