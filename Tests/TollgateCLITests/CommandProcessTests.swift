import Foundation
import Testing
import TollgateTestSupport

/// The `tollgate` binary as a process: `main` turns the outcome into the process's exit status and
/// writes to its standard output and error. (Commands themselves are tested in-process:
/// ``CommandTests``.)
@Suite struct CommandProcessTests {
    @Test func exitCodesAreZeroForHelpOneForFailureTwoForUsage() throws {
        let store = try TestDatabase.make(.sqlite)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        for command in [["--help"], ["serve", "--help"], ["migrate", "--help"], ["keys", "--help"], ["keys", "create", "--help"],
                        ["keys", "list", "--help"], ["keys", "revoke", "--help"], ["config", "check", "--help"], ["version", "--help"]] {
            let result = try TollgateBinary.run(command, environment: environment)
            #expect(result.status == 0, "\(command)")
            #expect(result.standardOutput.contains("Usage:"), "\(command)")
        }
        #expect(try TollgateBinary.run(["frobnicate"], environment: environment).status == 2)
        #expect(try TollgateBinary.run(["keys", "create", "--name", "x"], environment: environment).status == 2)
        #expect(try TollgateBinary.run(["migrate", "--bogus"], environment: environment).status == 2)
        let bad = try TollgateBinary.run(["config", "check"], environment: environment.merging(["TOLLGATE_LOG_LEVEL": "loud"]) { $1 })
        #expect(bad.status == 1)
        #expect(bad.standardError.contains("TOLLGATE_LOG_LEVEL"))
    }

    /// A failure through the process: one error body on standard error (`--json`), nothing on
    /// standard output, exit status 1; `--version` and a denial exit 0.
    @Test func aFailedCommandWritesItsErrorBodyToStandardErrorAndExitsOne() throws {
        let store = try TestDatabase.make(.sqlite)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        #expect(try TollgateBinary.run(["migrate"], environment: environment).status == 0)
        let missing = try TollgateBinary.run(["customers", "show", "nobody", "--json"], environment: environment)
        #expect(missing.status == 1 && missing.standardOutput.isEmpty)
        #expect(missing.standardError == #"{"error":{"code":"unknown_customer","details":[],"message":"no customer with external id nobody"}}"# + "\n")
        #expect(try TollgateBinary.run(["--version"], environment: environment).standardOutput.hasPrefix("tollgate "))
        #expect(try TollgateBinary.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
        #expect(try TollgateBinary.run(["customers", "upsert", "--external-id", "org_1"], environment: environment).status == 0)
        let denied = try TollgateBinary.run(["usage", "consume", "org_1", "exports.daily", "--quantity", "1000"], environment: environment)
        #expect(denied.status == 0 && denied.standardOutput.hasPrefix("Not recorded: limit_exceeded"), "\(denied.standardError)")
    }
}
