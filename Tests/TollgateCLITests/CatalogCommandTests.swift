import Foundation
import Testing
import TollgateTestSupport

/// The operator's path through issue 3: catalog as code, subscriptions, grants, usage, entitlements.
@Suite struct CatalogCommandTests {
    private func migrated(_ backend: Backend) throws -> (TestDatabase, [String: String]) {
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        #expect(try TollgateBinary.run(["migrate"], environment: environment).status == 0)
        return (store, environment)
    }

    private var exampleCatalog: String { TestDatabase.repositoryRoot + "/examples/catalog.json" }

    @Test(arguments: Backend.allCases)
    func planApplyShowsTheDiffAppliesOnceAndDryRunWritesNothing(backend: Backend) throws {
        let (store, environment) = try migrated(backend)
        defer { withExtendedLifetime(store) {} }
        let dry = try TollgateBinary.run(["plans", "apply", exampleCatalog, "--dry-run"], environment: environment)
        #expect(dry.status == 0, "\(dry.standardError)")
        #expect(dry.standardOutput.contains("+ add plan pro"))
        #expect(dry.standardOutput.contains("Dry run"))
        #expect(try TollgateBinary.run(["plans", "list", "--json"], environment: environment).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]")

        let applied = try TollgateBinary.run(["plans", "apply", exampleCatalog], environment: environment)
        #expect(applied.standardOutput.contains("Applied 10 changes"))
        let again = try TollgateBinary.run(["plans", "apply", exampleCatalog], environment: environment)
        #expect(again.standardOutput.contains("No changes"))

        let list = try TollgateBinary.run(["plans", "list"], environment: environment)
        #expect(list.standardOutput.contains("enterprise") && list.standardOutput.contains("4900 usd/month"))
        let show = try TollgateBinary.run(["plans", "show", "pro"], environment: environment)
        #expect(show.standardOutput.contains("seats: 10"))
        #expect(try TollgateBinary.run(["plans", "show", "gold"], environment: environment).status == 1)
    }

    @Test(arguments: Backend.allCases)
    func invalidCatalogFileIsRefusedNamingThePlace(backend: Backend) throws {
        let (store, environment) = try migrated(backend)
        defer { withExtendedLifetime(store) {} }
        let folder = try TollgateBinary.temporaryFolder()
        let file = folder + "/bad.json"
        try Data(#"{"features":[{"key":"calls","name":"Calls","kind":"metered"}],"plans":[{"key":"p","name":"P","entitlements":{"seats":1}}]}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let result = try TollgateBinary.run(["plans", "apply", file], environment: environment)
        #expect(result.status == 1)
        #expect(result.standardError.contains("features[0].reset"))
        #expect(result.standardError.contains("plans[0].entitlements.seats"))
        #expect(try TollgateBinary.run(["plans", "list", "--json"], environment: environment).standardOutput.contains("[\n\n]"))
    }

    @Test(arguments: Backend.allCases)
    func subscriptionGrantAndUsageChangeWhatTheCustomerMayDo(backend: Backend) throws {
        let (store, environment) = try migrated(backend)
        defer { withExtendedLifetime(store) {} }
        #expect(try TollgateBinary.run(["plans", "apply", exampleCatalog], environment: environment).status == 0)
        #expect(try TollgateBinary.run(["customers", "upsert", "--external-id", "org_9"], environment: environment).status == 0)

        #expect(try TollgateBinary.run(["entitlements", "check", "org_9", "integrations.github"], environment: environment)
            .standardOutput.contains("denied: no_active_subscription"))
        let set = try TollgateBinary.run(["subscriptions", "set", "org_9", "--plan", "pro", "--status", "active", "--quantity", "3"], environment: environment)
        #expect(set.status == 0, "\(set.standardError)")
        #expect(try TollgateBinary.run(["entitlements", "check", "org_9", "integrations.github"], environment: environment).standardOutput.hasPrefix("allowed"))
        #expect(try TollgateBinary.run(["subscriptions", "show", "org_9"], environment: environment).standardOutput.contains("pro, active, quantity 3"))

        let grant = try TollgateBinary.run(["grants", "create", "org_9", "--feature", "sso", "--value", "true", "--reason", "pilot", "--json"], environment: environment)
        #expect(grant.status == 0, "\(grant.standardError)")
        #expect(try TollgateBinary.run(["entitlements", "check", "org_9", "sso"], environment: environment).standardOutput.hasPrefix("allowed"))

        let consumed = try TollgateBinary.run(["usage", "consume", "org_9", "exports.daily", "--quantity", "100"], environment: environment)
        #expect(consumed.standardOutput.contains("used 100, remaining 0"))
        let refused = try TollgateBinary.run(["usage", "consume", "org_9", "exports.daily"], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("limit_exceeded"))
        let shown = try TollgateBinary.run(["entitlements", "show", "org_9", "--json"], environment: environment)
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(shown.standardOutput.utf8)) as? [String: Any])
        #expect(snapshot["plan"] as? String == "pro")
        #expect(try TollgateBinary.run(["usage", "consume", "org_9", "Bad Key"], environment: environment).status == 2)
        #expect(try TollgateBinary.run(["entitlements", "show", "ghost"], environment: environment).status == 1)
        #expect(try TollgateBinary.run(["subscriptions", "history", "org_9"], environment: environment).standardOutput.contains("cli"))
    }
}
