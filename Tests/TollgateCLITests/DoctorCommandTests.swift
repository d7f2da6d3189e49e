import Foundation
import Testing
import TollgateTestSupport

/// `tollgate doctor` (issue 18): every check with its outcome, exit 1 when one failed — a
/// configuration with every variable at fault named, a missing or unmigrated store, and Stripe
/// when configured (localstripe accepts the key; a closed port does not).
@Suite struct DoctorCommandTests {
    static func states(_ result: TollgateBinary.Result) throws -> [String: String] {
        let page = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let checks = try #require(page["data"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: checks.map { ($0["name"] as! String, $0["state"] as! String) })
    }

    @Test(arguments: Backend.allCases)
    func aMigratedStoreIsHealthyAndAnEmptyOneIsNot(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        let before = InProcessCLI.run(["doctor", "--json"], environment: environment)
        #expect(before.status == 1)
        #expect(try Self.states(before) == ["configuration": "ok", "database": "ok", "schema": "failed", "mail templates": "skipped", "stripe": "skipped"])
        _ = try store.migrate()
        let after = InProcessCLI.run(["doctor"], environment: environment)
        #expect(after.status == 0, "\(after.standardOutput)\(after.standardError)")
        #expect(after.standardOutput.contains("ok    schema: current"))
    }

    @Test func everyBadVariableIsNamedAndAMissingFileIsNotCreated() throws {
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bad = InProcessCLI.run(["doctor"], environment: ["TOLLGATE_LISTEN": "nowhere", "TOLLGATE_LOG_LEVEL": "loud"])
        #expect(bad.status == 1)
        #expect(bad.standardOutput.contains("TOLLGATE_LISTEN") && bad.standardOutput.contains("TOLLGATE_LOG_LEVEL"), "\(bad.standardOutput)")
        let missing = InProcessCLI.run(["doctor", "--json"], environment: TollgateBinary.environment(databaseURL: "sqlite:\(folder)/none.db"))
        #expect(missing.status == 1)
        #expect(try Self.states(missing)["database"] == "failed")
        #expect(!FileManager.default.fileExists(atPath: folder + "/none.db"))
    }

    @Test func stripeIsProbedWhenConfigured() throws {
        let stripeURL = try #require(ProcessInfo.processInfo.environment["TOLLGATE_TEST_STRIPE_URL"], "needs localstripe (scripts/test starts it)")
        let store = try TestDatabase.make(.sqlite)
        _ = try store.migrate()
        let reachable = InProcessCLI.run(["doctor", "--json"], environment: TollgateBinary.environment(databaseURL: store.url, extra: [
            "TOLLGATE_STRIPE_API_KEY": "sk_test_doctor", "TOLLGATE_STRIPE_API_BASE": stripeURL,
        ]))
        #expect(try Self.states(reachable)["stripe"] == "ok", "\(reachable.standardOutput)")
        let port = try #require(FreePort.reserve())
        let closed = InProcessCLI.run(["doctor", "--json"], environment: TollgateBinary.environment(databaseURL: store.url, extra: [
            "TOLLGATE_STRIPE_API_KEY": "sk_test_doctor", "TOLLGATE_STRIPE_API_BASE": "http://127.0.0.1:\(port)",
        ]))
        #expect(closed.status == 1)
        #expect(try Self.states(closed)["stripe"] == "failed")
    }
}
