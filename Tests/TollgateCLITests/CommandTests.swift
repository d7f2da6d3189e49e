import Foundation
import Testing
import TollgateTestSupport

/// Commands as an operator uses them, run in-process (``InProcessCLI``), on both backends.
@Suite struct CommandTests {
    @Test(arguments: Backend.allCases)
    func migrateAppliesThenReportsCurrentAndStatusShowsApplied(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        let before = InProcessCLI.run(["migrate", "--status", "--json"], environment: environment)
        #expect(before.status == 0, "\(before.standardError)")
        #expect(before.standardOutput.contains("\"pending\""))

        let first = InProcessCLI.run(["migrate"], environment: environment)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("applied 0001 api_keys"))
        let second = InProcessCLI.run(["migrate"], environment: environment)
        #expect(second.standardOutput.contains("nothing to apply"))

        let status = InProcessCLI.run(["migrate", "--status", "--json"], environment: environment)
        let lines = try #require((try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [String: Any])?["data"] as? [[String: Any]])
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0["state"] as? String == "applied" })
    }

    @Test(arguments: Backend.allCases)
    func keysAreCreatedShownOnceListedAndRevoked(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)

        let created = InProcessCLI.run(["keys", "create", "--name", "billing", "--scope", "write", "--json"], environment: environment)
        #expect(created.status == 0, "\(created.standardError)")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(created.standardOutput.utf8)) as? [String: Any])
        let secret = try #require(body["secret"] as? String)
        let id = try #require((body["key"] as? [String: Any])?["id"] as? String)
        #expect(secret.hasPrefix("tg_\(id)_"))

        let human = InProcessCLI.run(["keys", "create", "--name", "ops", "--scope", "admin"], environment: environment)
        #expect(human.standardOutput.contains("shown only this once"))

        let list = InProcessCLI.run(["keys", "list"], environment: environment)
        #expect(list.status == 0)
        #expect(list.standardOutput.contains(id) && list.standardOutput.contains("billing"))
        #expect(!list.standardOutput.contains(secret))

        let revoke = InProcessCLI.run(["keys", "revoke", id, "--yes"], environment: environment)
        #expect(revoke.status == 0)
        #expect(revoke.standardOutput.contains("Revoked"))
        let listed = InProcessCLI.run(["keys", "list", "--json"], environment: environment)
        let keys = try #require((try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [String: Any])?["data"] as? [[String: Any]])
        #expect(keys.first { $0["id"] as? String == id }?["revoked_at"] is String)

        let unknown = InProcessCLI.run(["keys", "revoke", "nope", "--yes"], environment: environment)
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("not found"))
    }

    @Test(arguments: Backend.allCases)
    func customersAreUpsertedShownAndListed(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        let created = InProcessCLI.run(["customers", "upsert", "--external-id", "org_7", "--name", "Seven", "--metadata", #"{"plan":"x"}"#], environment: environment)
        #expect(created.status == 0, "\(created.standardError)")
        #expect(created.standardOutput.contains("Created customer org_7"))
        let updated = InProcessCLI.run(["customers", "upsert", "--external-id", "org_7", "--email", "s@example.test"], environment: environment)
        #expect(updated.standardOutput.contains("Updated customer org_7"))
        let shown = InProcessCLI.run(["customers", "show", "org_7", "--json"], environment: environment)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(shown.standardOutput.utf8)) as? [String: Any])
        #expect(body["name"] as? String == "Seven")
        #expect(body["email"] as? String == "s@example.test")
        let listed = InProcessCLI.run(["customers", "list"], environment: environment)
        #expect(listed.standardOutput.contains("org_7"))
        let missing = InProcessCLI.run(["customers", "show", "nobody"], environment: environment)
        #expect(missing.status == 1)
        let bad = InProcessCLI.run(["customers", "upsert", "--external-id", "a b"], environment: environment)
        #expect(bad.status == 1)
        #expect(bad.standardError.contains("external_id"))
        #expect(InProcessCLI.run(["customers", "list", "--limit", "x"], environment: environment).status == 2)
    }

    @Test func configCheckPrintsTheConfigurationWithSecretsRedacted() throws {
        let environment = TollgateBinary.environment(databaseURL: "postgres://app:s3cr3t-pw@db.example/tollgate")
        let result = InProcessCLI.run(["config", "check", "--json"], environment: environment)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!result.standardOutput.contains("s3cr3t-pw"))
        #expect(result.standardOutput.contains("postgres://app:****@db.example/tollgate"))
    }
}
