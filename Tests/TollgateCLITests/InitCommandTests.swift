import Foundation
import Testing
import TollgateTestSupport
@testable import TollgateCore

/// `tollgate init` (issue 18): the example catalog and an environment file with every setting at its
/// default (from the same declarations as the configuration reference's table), never over an existing file without
/// `--force`; the catalog it writes applies as it is.
@Suite struct InitCommandTests {
    @Test func writesAStarterThatAppliesAndKeepsWhatExists() throws {
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/starter"
        let first = InProcessCLI.run(["init", target], environment: [:])
        #expect(first.status == 0, "\(first.standardError)")
        let catalog = try String(contentsOfFile: target + "/catalog.json", encoding: .utf8)
        #expect(catalog == (try String(contentsOfFile: TestDatabase.repositoryRoot + "/examples/catalog.json", encoding: .utf8)))
        let environment = try String(contentsOfFile: target + "/tollgate.env", encoding: .utf8)
        for setting in Configuration.settings {
            #expect(environment.contains("\n# \(setting.name)=\(setting.defaultText ?? "")\n"), "\(setting.name)")
        }

        // Kept without --force (the edit survives), replaced with it.
        try "edited".write(toFile: target + "/tollgate.env", atomically: true, encoding: .utf8)
        let again = InProcessCLI.run(["init", target], environment: [:])
        #expect(again.status == 1)
        #expect(again.standardError.contains("tollgate.env"))
        #expect(try String(contentsOfFile: target + "/tollgate.env", encoding: .utf8) == "edited")
        #expect(InProcessCLI.run(["init", target, "--force"], environment: [:]).status == 0)
        #expect(try String(contentsOfFile: target + "/tollgate.env", encoding: .utf8) == environment)

        // The catalog applies as written.
        let store = TollgateBinary.environment(databaseURL: "sqlite:\(folder)/store.db")
        #expect(InProcessCLI.run(["migrate"], environment: store).status == 0)
        let applied = InProcessCLI.run(["plans", "apply", target + "/catalog.json"], environment: store)
        #expect(applied.status == 0, "\(applied.standardError)")
    }
}
