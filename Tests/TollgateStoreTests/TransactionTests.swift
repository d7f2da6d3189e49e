import Foundation
import Testing
import TollgateStore
import TollgateTestSupport

@Suite("Transactions and constraint errors")
struct TransactionTests {
    private func makeItems(_ test: TestDatabase) throws {
        try test.database.withConnection { connection in
            try connection.executeScript("CREATE TABLE items (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL)")
        }
    }

    @Test(arguments: Backend.allCases)
    func transactionCommitsWhenTheBodyReturns(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try makeItems(test)
        let returned = try test.database.transaction { connection in
            try connection.execute("INSERT INTO items (id, email) VALUES (\(1), \("a@example.com"))")
            try connection.execute("INSERT INTO items (id, email) VALUES (\(2), \("b@example.com"))")
            return "done"
        }
        #expect(returned == "done")
        #expect(try count("items", in: test.database) == 2)
        let serializable = try test.database.transaction(isolation: .serializable) { connection in
            try connection.execute("DELETE FROM items WHERE id = \(2)")
        }
        #expect(serializable == 1)
        #expect(try count("items", in: test.database) == 1)
    }

    @Test(arguments: Backend.allCases)
    func transactionRollsBackOnAnyThrownError(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try makeItems(test)
        // A non-store error is rethrown as is, after the rollback.
        #expect(throws: Boom.self) {
            try test.database.transaction { connection in
                try connection.execute("INSERT INTO items (id, email) VALUES (\(1), \("a@example.com"))")
                throw Boom()
            }
        }
        #expect(try count("items", in: test.database) == 0)
        // A store error from a failed statement: the earlier insert is rolled back too.
        let error = storeError {
            try test.database.transaction(isolation: .repeatableRead) { connection in
                try connection.execute("INSERT INTO items (id, email) VALUES (\(1), \("a@example.com"))")
                try connection.execute("INSERT INTO items (id, email) VALUES (\(2), \("a@example.com"))")
            }
        }
        #expect(error?.code == .uniqueViolation)
        #expect(try count("items", in: test.database) == 0)
        // The pool's connections are usable afterwards (no transaction left open).
        try test.database.transaction { connection in
            try connection.execute("INSERT INTO items (id, email) VALUES (\(3), \("c@example.com"))")
        }
        #expect(try count("items", in: test.database) == 1)
    }

    /// A random batch of writes in one transaction, each in a savepoint: a write that fails (a
    /// constraint the store refuses — which aborts a whole PostgreSQL transaction without the
    /// savepoint — or an error of the caller's) undoes only itself, and the transaction commits
    /// exactly the writes that succeeded, as a model of the batch says.
    @Test(arguments: Backend.allCases)
    func aFailedSavepointUndoesOnlyItsOwnWrites(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try makeItems(test)
        var generator = SystemRandomNumberGenerator()
        var expected: [Int: String] = [:]
        try test.database.transaction { connection in
            for id in 1...60 {
                let email = "u\(Int.random(in: 0..<25, using: &generator))@example.com"
                let callerFails = Int.random(in: 0..<6, using: &generator) == 0
                let second = id * 1000  // a second row in the same savepoint, undone with the first
                do {
                    try connection.savepoint {
                        try connection.execute("INSERT INTO items (id, email) VALUES (\(second), \("s\(id)@example.com"))")
                        try connection.execute("INSERT INTO items (id, email) VALUES (\(id), \(email))")
                        if callerFails { throw Boom() }
                    }
                    expected[id] = email
                    expected[second] = "s\(id)@example.com"
                } catch is Boom {
                    #expect(callerFails)
                } catch let error as StoreError {
                    #expect(error.code == .uniqueViolation)
                    #expect(expected.values.contains(email))
                }
            }
        }
        let rows = try test.database.withConnection { try $0.query("SELECT id, email FROM items") }
        var stored: [Int: String] = [:]
        for row in rows { stored[try row.get("id")] = try row.get("email") }
        #expect(stored == expected)
        #expect(!expected.isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func aTransactionLeftOpenInWithConnectionIsRolledBackOnReturn(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend, configuration: DatabaseConfiguration(poolSize: 1))
        try makeItems(test)
        try test.database.withConnection { connection in
            try connection.executeScript("BEGIN")
            try connection.execute("INSERT INTO items (id, email) VALUES (\(1), \("a@example.com"))")
        }
        #expect(try count("items", in: test.database) == 0)
    }

    @Test(arguments: Backend.allCases)
    func uniqueViolationHasItsCode(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try makeItems(test)
        try test.database.withConnection { connection throws in
            try connection.execute("INSERT INTO items (id, email) VALUES (\(1), \("a@example.com"))")
            let sameEmail = storeError { try connection.execute("INSERT INTO items (id, email) VALUES (\(2), \("a@example.com"))") }
            #expect(sameEmail?.code == .uniqueViolation)
            let sameKey = storeError { try connection.execute("INSERT INTO items (id, email) VALUES (\(1), \("z@example.com"))") }
            #expect(sameKey?.code == .uniqueViolation)
            if backend == .postgres {
                #expect(sameEmail?.driverCode == "23505")
                #expect(sameEmail?.constraint == "items_email_key")
            } else {
                #expect(sameEmail?.driverCode == "2067")
                #expect(sameKey?.driverCode == "1555")
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func foreignKeyViolationHasItsCode(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try test.database.withConnection { connection throws in
            try connection.executeScript("""
                CREATE TABLE parents (id INTEGER PRIMARY KEY);
                CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents (id));
                """)
            try connection.execute("INSERT INTO parents (id) VALUES (\(1))")
            try connection.execute("INSERT INTO children (id, parent_id) VALUES (\(1), \(1))")
            // Foreign keys are enforced (SQLite: PRAGMA foreign_keys=ON on every connection).
            let orphan = storeError { try connection.execute("INSERT INTO children (id, parent_id) VALUES (\(2), \(42))") }
            #expect(orphan?.code == .foreignKeyViolation)
            let stillReferenced = storeError { try connection.execute("DELETE FROM parents WHERE id = \(1)") }
            #expect(stillReferenced?.code == .foreignKeyViolation)
        }
    }

    @Test(arguments: Backend.allCases)
    func serializationFailureIsReported(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try test.database.withConnection { connection in
            try connection.executeScript(backend.ddl(
                sqlite: "CREATE TABLE on_call (id INTEGER PRIMARY KEY, active BOOLEAN NOT NULL)",
                postgres: "CREATE TABLE on_call (id INTEGER PRIMARY KEY, active BOOLEAN NOT NULL)"))
            try connection.execute("INSERT INTO on_call (id, active) VALUES (\(1), \(true)), (\(2), \(true))")
        }
        switch backend {
        case .postgres: try expectWriteSkewFails(test)
        case .sqlite: try expectStaleSnapshotWriteFails(test)
        }
    }

    /// PostgreSQL: two SERIALIZABLE transactions each read both rows, then each switches one off
    /// (write skew); one of them must fail with 40001.
    private func expectWriteSkewFails(_ test: TestDatabase) throws {
        let database = test.database
        let readDone = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
        let outcomes = ThreadSafeList<String>()
        ConcurrentThreads.run(2) { index in
            do {
                try database.transaction(isolation: .serializable) { connection in
                    let active = try connection.queryFirst("SELECT count(*) AS n FROM on_call WHERE active")?.get("n", as: Int.self)
                    readDone[index].signal()
                    // Both have read before either writes.
                    guard readDone[1 - index].wait(timeout: .now() + 10) == .success else { throw Boom() }
                    if active == 2 {
                        try connection.execute("UPDATE on_call SET active = \(false) WHERE id = \(index + 1)")
                    }
                }
                outcomes.append("committed")
            } catch let error as StoreError {
                outcomes.append(error.code.description)
            } catch {
                outcomes.append("\(error)")
            }
        }
        #expect(outcomes.values.sorted() == ["committed", StoreError.Code.serializationFailure.description])
        #expect(try count("on_call WHERE active", in: database) == 1)
    }

    /// SQLite: a deferred transaction reads, another connection commits a write, and the first
    /// then tries to write from its stale snapshot: SQLITE_BUSY_SNAPSHOT.
    private func expectStaleSnapshotWriteFails(_ test: TestDatabase) throws {
        guard case .sqlite(let path) = try DatabaseLocation(url: test.url) else {
            Issue.record("not a SQLite URL")
            return
        }
        let first = try SQLiteConnection.open(path: path)
        let second = try SQLiteConnection.open(path: path)
        try first.executeScript("BEGIN")
        #expect(try first.queryFirst("SELECT count(*) AS n FROM on_call WHERE active")?.get("n", as: Int.self) == 2)
        try second.execute("UPDATE on_call SET active = \(false) WHERE id = \(2)")
        let error = storeError { try first.execute("UPDATE on_call SET active = \(false) WHERE id = \(1)") }
        #expect(error?.code == .serializationFailure)
        #expect(error?.driverCode == "517")
        try first.executeScript("ROLLBACK")
        #expect(first.isAutocommit)
        #expect(try count("on_call WHERE active", in: test.database) == 1)
    }
}

@Suite struct WritabilityTests {
    /// Both stores say whether they can keep a write, and a write the server refuses for being
    /// read-only is ``StoreError/Code/readOnly`` (a 503 at the API), never `other` (a 500).
    @Test(arguments: Backend.allCases)
    func aHealthyStoreIsWritableAndAReadOnlyRefusalHasItsOwnCode(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try test.database.checkWritable()
        try test.database.withConnection { connection in
            try connection.executeScript("CREATE TABLE probe (id INTEGER PRIMARY KEY)")
        }
        #expect { () throws in
            try test.database.withConnection { connection in
                switch backend {
                case .postgres:
                    try connection.executeScript("BEGIN; SET TRANSACTION READ ONLY")
                    defer { try? connection.executeScript("ROLLBACK") }
                    try connection.execute("INSERT INTO probe (id) VALUES (\(1))")
                case .sqlite:
                    try connection.executeScript("PRAGMA query_only = ON")
                    defer { try? connection.executeScript("PRAGMA query_only = OFF") }
                    try connection.execute("INSERT INTO probe (id) VALUES (\(1))")
                }
            }
        } throws: { error in (error as? StoreError)?.code == .readOnly }
    }
}
