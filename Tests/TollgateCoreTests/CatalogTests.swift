import Foundation
import Testing
import Tollgate
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateTestSupport

func exampleCatalog() throws -> Catalog {
    try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")))
}

@Suite struct CatalogParsingTests {
    @Test func exampleCatalogParsesWithOneDefaultPlan() throws {
        let catalog = try exampleCatalog()
        #expect(catalog.features.count == 7)
        #expect(catalog.defaultPlan?.key == "free")
        #expect(catalog.plan("pro")?.trialDays == 14)
        #expect(catalog.plan("pro")?.entitlements["projects"] == .unlimited)
        #expect(catalog.plan("enterprise")?.entitlements["sso"] == .enabled)
    }

    /// Each broken catalog is refused with a problem that names the place.
    @Test(arguments: [
        (#"{"features":[{"key":"seats","name":"Seats","kind":"limit"}],"plans":[{"key":"p","name":"P","entitlements":{"seatz":1}}]}"#,
         "plans[0].entitlements.seatz", "unknown feature"),
        (#"{"features":[{"key":"seats","name":"Seats","kind":"limit"},{"key":"seats","name":"Again","kind":"limit"}],"plans":[]}"#,
         "features[1].key", "duplicate feature key"),
        (#"{"features":[],"plans":[{"key":"p","name":"P"},{"key":"p","name":"Q"}]}"#, "plans[1].key", "duplicate plan key"),
        (#"{"features":[{"key":"seats","name":"Seats","kind":"limit"}],"plans":[{"key":"p","name":"P","entitlements":{"seats":-1}}]}"#,
         "plans[0].entitlements.seats", "negative"),
        (#"{"features":[{"key":"calls","name":"Calls","kind":"metered"}],"plans":[]}"#, "features[0].reset", "needs a reset period"),
        (#"{"features":[],"plans":[{"key":"a","name":"A","is_default":true},{"key":"b","name":"B","is_default":true}]}"#,
         "plans[1].is_default", "second default plan"),
        (#"{"features":[{"key":"Seats","name":"Seats","kind":"limit"}],"plans":[]}"#, "features[0].key", "invalid feature key"),
        (#"{"features":[{"key":"sso","name":"SSO","kind":"boolean"}],"plans":[{"key":"p","name":"P","entitlements":{"sso":5}}]}"#,
         "plans[0].entitlements.sso", "takes true"),
        (#"{"features":[],"plans":[{"key":"p","name":"P","prices":[{"interval":"month","currency":"USD","unit_amount":5}]}]}"#,
         "plans[0].prices[0].currency", "lowercase"),
        (#"{"features":[{"key":"seats","name":"Seats","kind":"limit"}],"plans":[{"name":"P"}]}"#, "plans[0].key", "required"),
        (#"{"features": [}"#, "catalog", "JSON"),
    ])
    func invalidCatalogIsRefusedNamingThePlace(json: String, place: String, message: String) {
        #expect {
            _ = try Catalog.parse(Data(json.utf8))
        } throws: { error in
            guard let error = error as? CatalogError else { return false }
            return error.problems.contains { $0.place == place && $0.message.contains(message) }
        }
    }
}

@Suite struct CatalogRepositoryTests {
    @Test(arguments: Backend.allCases)
    func applyingTheSameFileTwiceChangesNothingTheSecondTime(backend: Backend) throws {
        let store = try migratedStore(backend)
        let repository = CatalogRepository(database: store.database)
        let catalog = try exampleCatalog()
        let first = try repository.apply(catalog)
        #expect(first.changes.filter { $0.action == .add }.count == 10)
        #expect(try repository.revision() == 1)
        let stored = try repository.load()
        #expect(Set(stored.features) == Set(catalog.features))
        #expect(stored.plans.count == 3)
        #expect(stored.plan("pro") == catalog.plan("pro").map { plan in
            var plan = plan
            plan.prices.sort { ($0.interval.rawValue, $0.currency) < ($1.interval.rawValue, $1.currency) }
            return plan
        })
        #expect(try repository.apply(catalog).isEmpty)
        #expect(try repository.revision() == 1)
    }

    @Test(arguments: Backend.allCases)
    func dryRunReportsTheDiffAndWritesNothing(backend: Backend) throws {
        let store = try migratedStore(backend)
        let repository = CatalogRepository(database: store.database)
        let diff = try repository.apply(try exampleCatalog(), dryRun: true)
        #expect(!diff.isEmpty)
        #expect(try repository.load() == Catalog())
        #expect(try repository.revision() == 0)
    }

    @Test(arguments: Backend.allCases)
    func changesAreDescribedFieldByFieldAndMissingPlansAreArchived(backend: Backend) throws {
        let store = try migratedStore(backend)
        let repository = CatalogRepository(database: store.database)
        var catalog = try exampleCatalog()
        _ = try repository.apply(catalog)
        catalog.plans[1].prices[0].unitAmount = 5900
        catalog.plans[1].entitlements["seats"] = .limit(20)
        catalog.plans.removeAll { $0.key == "enterprise" }
        let diff = try repository.apply(catalog)
        let text = diff.changes.map(\.description).joined(separator: "\n")
        #expect(text.contains("~ change plan pro"))
        #expect(text.contains("entitlements.seats: 10 → 20"))
        #expect(text.contains("prices: $49.00 / month, $490.00 / year → $490.00 / year, $59.00 / month"))
        #expect(text.contains("- archive plan enterprise"))
        #expect(try repository.load().plan("enterprise")?.status == .archived)
    }

    @Test(arguments: Backend.allCases)
    func removingAFeatureStillUsedIsRefusedAndChangesNothing(backend: Backend) throws {
        let store = try migratedStore(backend)
        let repository = CatalogRepository(database: store.database)
        var catalog = try exampleCatalog()
        _ = try repository.apply(catalog)
        let before = try repository.load()
        // sso is used by enterprise; dropping both the feature and the plan from the file leaves the
        // archived plan still using it.
        catalog.features.removeAll { $0.key == "sso" }
        catalog.plans.removeAll { $0.key == "enterprise" }
        #expect(throws: CatalogError.self) { try repository.apply(catalog) }
        // Removing it from a plan that stays in the file is a plain unknown-feature error.
        var other = try exampleCatalog()
        other.features.removeAll { $0.key == "sso" }
        #expect {
            try repository.apply(other)
        } throws: { error in
            (error as? CatalogError)?.problems.contains { $0.place == "plans[2].entitlements.sso" } == true
        }
        #expect(try repository.load() == before)
        #expect(try repository.revision() == 1)
    }
}
