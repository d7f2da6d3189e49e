import Foundation
import Testing
import TollgateTestSupport

/// The CLI never guesses a database (issue 18): a command other than `migrate` (and `serve
/// --migrate`) run against a SQLite file that does not exist says so, naming
/// `TOLLGATE_DATABASE_URL` and `tollgate migrate`, and creates nothing; against a store without
/// the schema (or behind it) it says the store is not ready, on both backends.
@Suite struct DatabaseGuessTests {
    @Test func aMissingSQLiteFileIsNamedAndNotCreated() throws {
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/elsewhere.db"
        let environment = TollgateBinary.environment(databaseURL: "sqlite:\(path)")
        for command in [["customers", "list"], ["plans", "list"], ["keys", "create", "--name", "x", "--scope", "read"], ["migrate", "--status"], ["serve"]] {
            let result = InProcessCLI.run(command, environment: environment)
            #expect(result.status != 0, "\(command)")
            #expect(result.standardError.contains("no database at \(path)"), "\(command): \(result.standardError)")
            #expect(result.standardError.contains("TOLLGATE_DATABASE_URL") && result.standardError.contains("tollgate migrate"), "\(command)")
            #expect(!FileManager.default.fileExists(atPath: path), "\(command) created the file")
        }
        let migrated = InProcessCLI.run(["migrate"], environment: environment)
        #expect(migrated.status == 0, "\(migrated.standardError)")
        let listed = InProcessCLI.run(["customers", "list", "--json"], environment: environment)
        #expect(listed.status == 0, "\(listed.standardError)")
    }

    @Test(arguments: Backend.allCases)
    func aStoreWithoutTheSchemaIsNotReady(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        let result = InProcessCLI.run(["customers", "list"], environment: environment)
        #expect(result.status != 0)
        #expect(result.standardError.contains("not ready") && result.standardError.contains("tollgate migrate"), "\(result.standardError)")
        _ = try store.migrate()
        #expect(InProcessCLI.run(["customers", "list"], environment: environment).status == 0)
    }
}
