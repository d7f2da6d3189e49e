import Foundation
import Testing
import TollgateLogging
import TollgateStore
import TollgateTestSupport

@Suite("Connection pool")
struct PoolTests {
    @Test(arguments: Backend.allCases)
    func concurrentTransactionsLoseNoUpdate(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend, configuration: DatabaseConfiguration(poolSize: 4))
        let database = test.database
        try database.withConnection { connection in
            try connection.executeScript("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
            try connection.execute("INSERT INTO counter (id, n) VALUES (\(1), \(0))")
        }
        // Read, then write what was read plus one: only correct if transactions exclude each other
        // (SQLite: BEGIN IMMEDIATE; PostgreSQL: the row lock taken by FOR UPDATE).
        let lock = backend == .postgres ? " FOR UPDATE" : ""
        let threads = 8
        let increments = 25
        let failures = ThreadSafeList<String>()
        ConcurrentThreads.run(threads) { _ in
            for _ in 0..<increments {
                do {
                    try database.transaction { connection in
                        let n = try connection.queryFirst("SELECT n FROM counter WHERE id = 1\(raw: lock)")?.get("n", as: Int.self) ?? -1
                        try connection.execute("UPDATE counter SET n = \(n + 1) WHERE id = 1")
                    }
                } catch {
                    failures.append("\(error)")
                }
            }
        }
        #expect(failures.values == [])
        let total = try database.withConnection { connection in
            try connection.queryFirst("SELECT n FROM counter WHERE id = 1")?.get("n", as: Int.self)
        }
        #expect(total == threads * increments)
        let statistics = database.statistics()
        #expect(statistics.inUse == 0)
        #expect(statistics.size <= 4)
    }

    @Test(arguments: Backend.allCases)
    func statisticsCountIdleInUseAndWaiting(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend, configuration: DatabaseConfiguration(poolSize: 2))
        let database = test.database
        // Opening checks one connection, which stays idle.
        #expect(database.statistics() == PoolStatistics(size: 1, idle: 1, inUse: 0, waiting: 0, maximum: 2))
        try database.withConnection { _ in
            #expect(database.statistics() == PoolStatistics(size: 1, idle: 0, inUse: 1, waiting: 0, maximum: 2))
            try database.withConnection { _ in
                #expect(database.statistics() == PoolStatistics(size: 2, idle: 0, inUse: 2, waiting: 0, maximum: 2))
                // A third borrower waits until one comes back.
                let borrowed = ThreadSafeList<Bool>()
                let thread = Thread {
                    _ = try? database.withConnection { _ in borrowed.append(true) }
                }
                thread.start()
                #expect(waitUntil { database.statistics().waiting == 1 })
                #expect(borrowed.values.isEmpty)
            }
            #expect(waitUntil { database.statistics().waiting == 0 && database.statistics().inUse == 1 })
        }
        #expect(waitUntil { database.statistics() == PoolStatistics(size: 2, idle: 2, inUse: 0, waiting: 0, maximum: 2) })
    }

    @Test(arguments: Backend.allCases)
    func checkoutTimesOutWhenEveryConnectionIsInUse(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        let database = try test.openAnother(configuration: DatabaseConfiguration(poolSize: 1, checkoutTimeout: .milliseconds(200)))
        defer { database.close() }
        let started = ContinuousClock.now
        try database.withConnection { _ in
            let error = storeError { try database.withConnection { _ in } }
            #expect(error?.code == .poolTimeout)
        }
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        #expect(try database.withConnection { connection in try connection.query("SELECT 1 AS one").count } == 1)
    }

    @Test(arguments: Backend.allCases)
    func aClosedDatabaseRefusesWork(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        let database = try test.openAnother()
        database.close()
        #expect(storeError { try database.withConnection { _ in } }?.code == .closed)
        #expect(database.statistics().size == 0)
    }

    @Test
    func sqliteConnectionsHaveWALBusyTimeoutAndForeignKeysOn() throws {
        let test = try TestDatabase.make(.sqlite)
        try test.database.withConnection { connection throws in
            #expect(try connection.queryFirst("PRAGMA journal_mode")?.get("journal_mode", as: String.self) == "wal")
            #expect(try connection.queryFirst("PRAGMA busy_timeout")?.values.first == .integer(5000))
            #expect(try connection.queryFirst("PRAGMA foreign_keys")?.get("foreign_keys", as: Int.self) == 1)
            #expect(try connection.queryFirst("PRAGMA synchronous")?.get("synchronous", as: Int.self) == 1)
        }
        let custom = try test.openAnother(configuration: DatabaseConfiguration(busyTimeout: .milliseconds(1500)))
        defer { custom.close() }
        #expect(try custom.withConnection { connection in try connection.queryFirst("PRAGMA busy_timeout")?.values.first } == .integer(1500))
    }

    @Test
    func sqliteMemoryDatabaseIsSharedByEveryPoolUser() throws {
        let database = try openDatabase("sqlite::memory:", logger: .disabled)
        defer { database.close() }
        #expect(database.statistics().maximum == 1)
        try database.withConnection { connection in
            try connection.executeScript("CREATE TABLE shared (id INTEGER PRIMARY KEY)")
        }
        let seen = ThreadSafeList<Int>()
        ConcurrentThreads.run(4) { index in
            do {
                try database.transaction { connection in
                    try connection.execute("INSERT INTO shared (id) VALUES (\(index))")
                }
                seen.append(try count("shared", in: database))
            } catch {
                seen.append(-1)
            }
        }
        #expect(!seen.values.contains(-1))
        #expect(try count("shared", in: database) == 4)
    }

    @Test
    func anUnopenableSQLitePathIsAConnectionFailure() throws {
        let error = storeError { _ = try openDatabase("sqlite:/nonexistent-directory/x/store.db", logger: .disabled) }
        #expect(error?.code == .connectionFailed)
    }

    /// Polls `condition` for up to 5 s.
    private func waitUntil(_ condition: () -> Bool) -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
