import Foundation
import Testing
import TollgateTestSupport
@testable import TollgateCLI

/// Destructive commands (issue 18, item 5) ask on a terminal and need `--yes` otherwise: revoking
/// a key or a grant, disconnecting a connection, purging dead mail or old events, deleting a
/// webhook endpoint, archiving a plan that customers are on. Refused or unconfirmed, they change
/// nothing.
@Suite struct ConfirmationTests {
    /// A migrated store with the example catalog, a key, a customer on `pro` with a grant, and a
    /// webhook endpoint; the ids of what the commands would remove.
    struct Fixture {
        var store: TestDatabase
        var environment: [String: String]
        var key: String
        var grant: String
        var endpoint: String

        init(_ backend: Backend) throws {
            store = try TestDatabase.make(backend)
            environment = TollgateBinary.environment(databaseURL: store.url)
            let environment = environment
            func json(_ arguments: String...) throws -> [String: Any] {
                let result = InProcessCLI.run(arguments + ["--json"], environment: environment)
                #expect(result.status == 0, "\(arguments): \(result.standardError)")
                return try ErrorParityTests.object(result.standardOutput)
            }
            #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
            #expect(InProcessCLI.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
            key = try #require((try json("keys", "create", "--name", "ops", "--scope", "admin")["key"] as? [String: Any])?["id"] as? String)
            _ = try json("customers", "upsert", "--external-id", "org_1")
            _ = try json("subscriptions", "set", "org_1", "--plan", "pro", "--status", "active")
            grant = try #require(try json("grants", "create", "org_1", "--feature", "sso", "--value", "true", "--reason", "pilot")["id"] as? String)
            endpoint = try #require(try json("webhook-endpoints", "create", "--url", "http://127.0.0.1:1/hook")["id"] as? String)
        }

        /// Each destructive command line, without `--yes`.
        var destructive: [[String]] {
            [
                ["keys", "revoke", key], ["grants", "revoke", "org_1", grant], ["connections", "disconnect", "con_nope"],
                ["outbox", "purge", "--dead"], ["events", "purge"], ["webhook-endpoints", "delete", endpoint],
                ["plans", "apply", ConfirmationTests.catalogWithoutPro],
            ]
        }

        /// Nothing was removed: the key unrevoked, the grant active, the endpoint there, `pro` active.
        func expectUnchanged(_ context: String) throws {
            func json(_ arguments: String...) throws -> [String: Any] {
                try ErrorParityTests.object(InProcessCLI.run(arguments + ["--json"], environment: environment).standardOutput)
            }
            let keys = try #require(try json("keys", "list")["data"] as? [[String: Any]])
            #expect(keys.first { $0["id"] as? String == key }?["revoked_at"] == nil, "\(context): the key was revoked")
            let grants = try #require(try json("grants", "list", "org_1")["data"] as? [[String: Any]])
            #expect(grants.first { $0["id"] as? String == grant }?["revoked_at"] == nil, "\(context): the grant was revoked")
            #expect(InProcessCLI.run(["webhook-endpoints", "show", endpoint], environment: environment).status == 0, "\(context): the endpoint is gone")
            #expect(try json("plans", "show", "pro")["status"] as? String == "active", "\(context): pro was archived")
        }
    }

    /// The example catalog without the plan `pro` (which applying archives).
    static let catalogWithoutPro: String = {
        let source = TestDatabase.repositoryRoot + "/examples/catalog.json"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-catalog-without-pro.json").path
        if let data = FileManager.default.contents(atPath: source),
           var catalog = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let plans = catalog["plans"] as? [[String: Any]] {
            catalog["plans"] = plans.filter { $0["key"] as? String != "pro" }
            try? JSONSerialization.data(withJSONObject: catalog).write(to: URL(fileURLWithPath: path))
        }
        return path
    }()

    @Test(arguments: Backend.allCases)
    func withoutATerminalEachNeedsYesAndChangesNothing(backend: Backend) throws {
        let fixture = try Fixture(backend)
        for arguments in fixture.destructive {
            let text = InProcessCLI.run(arguments, environment: fixture.environment)
            #expect(text.status == 2, "\(arguments): \(text.standardError)")
            #expect(text.standardError.hasPrefix("tollgate: ") && text.standardError.contains("pass --yes to confirm"), "\(arguments): \(text.standardError)")
            let json = InProcessCLI.run(arguments + ["--json"], environment: fixture.environment)
            #expect(json.status == 2)
            let error = try #require(try ErrorParityTests.object(json.standardError)["error"] as? [String: Any])
            #expect(error["code"] as? String == "usage" && (error["message"] as? String)?.contains("--yes") == true, "\(error)")
            try fixture.expectUnchanged(arguments.joined(separator: " "))
        }
        // With --yes they run (disconnecting a connection that does not exist fails as it would anyway).
        for arguments in fixture.destructive {
            let result = InProcessCLI.run(arguments + ["--yes"], environment: fixture.environment)
            #expect(result.status == (arguments[0] == "connections" ? 1 : 0), "\(arguments): \(result.standardError)")
        }
        let plan = try ErrorParityTests.object(InProcessCLI.run(["plans", "show", "pro", "--json"], environment: fixture.environment).standardOutput)
        #expect(plan["status"] as? String == "archived")
    }

    /// On a terminal the command asks on standard error; `y` or `yes` goes ahead, anything else
    /// (or the end of the input) stops it with nothing changed (exit 1).
    @Test(arguments: Backend.allCases)
    func aTerminalIsAskedAndOnlyYesGoesAhead(backend: Backend) throws {
        let fixture = try Fixture(backend)
        for answer in ["n", "", "nope", nil] as [String?] {
            for arguments in fixture.destructive where arguments[0] != "connections" {
                let result = InProcessCLI.run(arguments, environment: fixture.environment, input: Input(isTerminal: true) { answer })
                #expect(result.status == 1, "\(arguments) answered \(answer ?? "EOF"): \(result.standardError)")
                #expect(result.standardError.contains("? [y/N] error: not confirmed: nothing was changed"), "\(result.standardError)")
                try fixture.expectUnchanged("\(arguments) answered \(answer ?? "EOF")")
            }
        }
        let archive = InProcessCLI.run(["plans", "apply", Self.catalogWithoutPro], environment: fixture.environment, input: Input(isTerminal: true) { "yes" })
        #expect(archive.standardError == "Archive plan pro (1 customer on it)? [y/N] ", "\(archive.standardError)")
        #expect(archive.status == 0 && archive.standardOutput.contains("archive plan pro"), "\(archive.standardOutput)")
        let revoke = InProcessCLI.run(["keys", "revoke", fixture.key], environment: fixture.environment, input: Input(isTerminal: true) { " Y " })
        #expect(revoke.status == 0 && revoke.standardOutput.contains("Revoked API key \(fixture.key)"), "\(revoke.standardError)")
    }

    /// Archiving a plan nobody is on, or applying a catalog that archives nothing, asks nothing.
    @Test(arguments: Backend.allCases)
    func archivingAPlanNobodyIsOnAsksNothing(backend: Backend) throws {
        let fixture = try Fixture(backend)
        #expect(InProcessCLI.run(["subscriptions", "set", "org_1", "--plan", "free", "--status", "active"], environment: fixture.environment).status == 0)
        let applied = InProcessCLI.run(["plans", "apply", Self.catalogWithoutPro], environment: fixture.environment)
        #expect(applied.status == 0, "\(applied.standardError)")
        let again = InProcessCLI.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: fixture.environment)
        #expect(again.status == 0, "\(again.standardError)")
    }

    /// The real binary on a pseudo-terminal (`script` gives it one): it asks, reads the answer
    /// typed there, and acts on it.
    @Test func theBinaryAsksOnAPseudoTerminal() throws {
        let fixture = try Fixture(.sqlite)
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func typed(_ answer: String) throws -> (Int32?, String) {
            let command = "printf '\(answer)\\n' | script -qec '\(TollgateBinary.path) keys revoke \(fixture.key)' /dev/null"
            let child = try ChildProcess(
                executable: "/bin/sh", arguments: ["-c", command], environment: fixture.environment,
                standardOutput: .file(folder + "/out"), standardError: .file(folder + "/err"))
            let status = child.waitForExit(timeout: .seconds(60))
            return (status, (try? String(contentsOfFile: folder + "/out", encoding: .utf8)) ?? "")
        }
        let (refused, declined) = try typed("n")
        #expect(refused == 1, "\(declined)")
        #expect(declined.contains("Revoke API key \(fixture.key) (requests with it are refused from then on)? [y/N] "), "\(declined)")
        #expect(declined.contains("not confirmed: nothing was changed"))
        try fixture.expectUnchanged("answered n on a terminal")
        let (done, accepted) = try typed("y")
        #expect(done == 0, "\(accepted)")
        #expect(accepted.contains("Revoked API key \(fixture.key) (ops)."), "\(accepted)")
    }
}
