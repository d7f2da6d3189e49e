import Foundation
import Testing
import TollgateLogging
import TollgateStore
import TollgateTestSupport

@Suite("Migrator")
struct MigratorTests {
    private func migrator(_ test: TestDatabase, _ folder: MigrationFolder) -> Migrator {
        Migrator(database: test.database, root: folder.root, logger: .disabled)
    }

    private func tableExists(_ table: String, in test: TestDatabase) throws -> Bool {
        let sql: SQL = switch test.backend {
        case .sqlite: "SELECT count(*) > 0 AS present FROM sqlite_master WHERE type = 'table' AND name = \(table)"
        case .postgres: "SELECT to_regclass(\(table)) IS NOT NULL AS present"
        }
        return try test.database.withConnection { connection in
            try connection.queryFirst(sql)?.get("present", as: Bool.self) ?? false
        }
    }

    private func recordedVersions(_ test: TestDatabase) throws -> [Int] {
        try test.database.withConnection { connection in
            try connection.query("SELECT version FROM schema_migrations ORDER BY version").map { row throws(StoreError) in
                try row.get("version", as: Int.self)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func appliesNumberedFilesInOrderAndOnlyOnce(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        let folder = try MigrationFolder()
        // Each file needs the one before it.
        try folder.write("0002_seed_plans.sql", "INSERT INTO plans (id, name) VALUES (1, 'free');")
        try folder.write("0001_create_plans.sql", "CREATE TABLE plans (id INTEGER PRIMARY KEY, name TEXT NOT NULL);")
        try folder.write("0010_create_prices.sql", """
            -- Prices belong to plans.
            CREATE TABLE prices (id INTEGER PRIMARY KEY, plan_id INTEGER NOT NULL REFERENCES plans (id));
            INSERT INTO prices (id, plan_id) VALUES (1, 1);
            """)
        let migrator = migrator(test, folder)
        #expect(try migrator.pendingCount() == 3)
        let applied = try migrator.migrate()
        #expect(applied.map(\.version) == [1, 2, 10])
        #expect(applied.map(\.name) == ["create_plans", "seed_plans", "create_prices"])
        #expect(try recordedVersions(test) == [1, 2, 10])
        let checksums = try test.database.withConnection { connection in
            try connection.query("SELECT checksum FROM schema_migrations ORDER BY version").map { row throws(StoreError) in
                try row.get("checksum", as: String.self)
            }
        }
        #expect(checksums == applied.map(\.checksum))
        #expect(checksums.allSatisfy { $0.count == 64 })
        #expect(try count("prices", in: test.database) == 1)
        #expect(try migrator.migrate().isEmpty)
        #expect(try migrator.isCurrent())
        #expect(try count("plans", in: test.database) == 1)
    }

    @Test(arguments: Backend.allCases)
    func statusShowsAppliedAndPendingMigrations(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        let folder = try MigrationFolder()
        try folder.write("0001_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);")
        try folder.write("0002_b.sql", "CREATE TABLE b (id INTEGER PRIMARY KEY);")
        let migrator = migrator(test, folder)
        // Reading status creates nothing.
        #expect(try migrator.status().map(\.state) == [.pending, .pending])
        #expect(try !tableExists("schema_migrations", in: test))
        let before = Date(timeIntervalSinceNow: -1)
        try migrator.migrate()
        try folder.write("0003_c.sql", "CREATE TABLE c (id INTEGER PRIMARY KEY);")
        let status = try migrator.status()
        #expect(status.map(\.version) == [1, 2, 3])
        #expect(status.map(\.name) == ["a", "b", "c"])
        #expect(status[2].state == .pending)
        for applied in status.prefix(2) {
            guard case .applied(let at) = applied.state else {
                Issue.record("migration \(applied.version) is \(applied.state), expected applied")
                continue
            }
            #expect(at >= before && at <= Date(timeIntervalSinceNow: 1))
        }
        #expect(try migrator.pendingCount() == 1)
        #expect(try !migrator.isCurrent())
        // A recorded migration whose file is gone.
        try FileManager.default.removeItem(atPath: folder.root + "/" + backend.rawValue + "/0001_a.sql")
        #expect(try migrator.status().first?.state == .missingFile)
    }

    @Test(arguments: Backend.allCases)
    func anEditedAppliedMigrationIsAnErrorAndNothingIsApplied(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        let folder = try MigrationFolder()
        try folder.write("0001_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);")
        let migrator = migrator(test, folder)
        try migrator.migrate()
        try folder.write("0001_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY, extra TEXT);")
        try folder.write("0002_b.sql", "CREATE TABLE b (id INTEGER PRIMARY KEY);")
        let error = storeError { try migrator.migrate() }
        #expect(error?.code == .migration)
        #expect(error?.message.contains("0001_a.sql") == true)
        #expect(try !tableExists("b", in: test))
        #expect(try recordedVersions(test) == [1])
        #expect(try migrator.status().map(\.state) == [.checksumMismatch, .pending])
        #expect(try !migrator.isCurrent())
    }

    @Test(arguments: Backend.allCases)
    func aFailingMigrationRollsBackAndIsNotRecorded(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        let folder = try MigrationFolder()
        try folder.write("0001_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);")
        try folder.write("0002_broken.sql", """
            CREATE TABLE half_done (id INTEGER PRIMARY KEY);
            INSERT INTO a (id) VALUES (1);
            INSERT INTO no_such_table (id) VALUES (1);
            """)
        try folder.write("0003_c.sql", "CREATE TABLE c (id INTEGER PRIMARY KEY);")
        let migrator = migrator(test, folder)
        let error = storeError { try migrator.migrate() }
        #expect(error?.code == .migration)
        #expect(error?.message.contains("0002_broken.sql") == true)
        #expect(try recordedVersions(test) == [1])
        #expect(try !tableExists("half_done", in: test))
        #expect(try !tableExists("c", in: test))
        #expect(try count("a", in: test.database) == 0)
        #expect(try migrator.pendingCount() == 2)
    }

    @Test(arguments: Backend.allCases)
    func aBadFileNameIsAnError(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        for badName in ["1_short.sql", "0001-dash.sql", "0001_.sql", "0001_a.txt", "abcd_x.sql", "0001_spa ce.sql"] {
            let folder = try MigrationFolder()
            try folder.write("0002_fine.sql", "CREATE TABLE fine (id INTEGER PRIMARY KEY);")
            try folder.write(badName, "CREATE TABLE bad (id INTEGER PRIMARY KEY);")
            let error = storeError { try migrator(test, folder).migrate() }
            #expect(error?.code == .migration, "\(badName)")
            #expect(error?.message.contains(badName) == true, "\(badName)")
        }
        let duplicate = try MigrationFolder()
        try duplicate.write("0001_one.sql", "SELECT 1;")
        try duplicate.write("01_one_again.sql", "SELECT 1;")
        #expect(storeError { try migrator(test, duplicate).migrate() }?.code == .migration)
        let twice = try MigrationFolder()
        try twice.write("0001_one.sql", "SELECT 1;")
        try twice.write("00001_one_again.sql", "SELECT 1;")
        #expect(storeError { try migrator(test, twice).migrate() }?.code == .migration)
        #expect(try !tableExists("fine", in: test))
        let missing = Migrator(database: test.database, root: "/nonexistent/migrations", logger: .disabled)
        #expect(storeError { try missing.migrate() }?.code == .migration)
    }

    @Test(arguments: Backend.allCases)
    func concurrentMigratorsApplyEachMigrationOnce(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        let folder = try MigrationFolder()
        try folder.write("0001_log.sql", "CREATE TABLE applied_log (version INTEGER NOT NULL);")
        for version in 2...6 {
            try folder.write(String(format: "%04d_step.sql", version), """
                CREATE TABLE step_\(version) (id INTEGER PRIMARY KEY);
                INSERT INTO applied_log (version) VALUES (\(version));
                """)
        }
        let url = test.url
        let root = folder.root
        let results = ThreadSafeList<Result<[Int], any Error>>()
        let threads = 6
        let start = ThreadBarrier(count: threads)
        ConcurrentThreads.run(threads) { _ in
            do {
                let database = try openDatabase(url, poolSize: 2, logger: .disabled)
                defer { database.close() }
                start.arriveAndWait()
                let applied = try Migrator(database: database, root: root, logger: .disabled).migrate()
                results.append(.success(applied.map(\.version)))
            } catch {
                results.append(.failure(error))
            }
        }
        var appliedVersions: [Int] = []
        for result in results.values {
            switch result {
            case .success(let versions): appliedVersions += versions
            case .failure(let error): Issue.record("a migrator failed: \(error)")
            }
        }
        #expect(appliedVersions.sorted() == [1, 2, 3, 4, 5, 6])
        #expect(try recordedVersions(test) == [1, 2, 3, 4, 5, 6])
        #expect(try count("applied_log", in: test.database) == 5)
    }
}
