import Foundation
import Testing
import TollgateStore
import TollgateTestSupport

/// `executeAll` (PostgreSQL's pipeline mode, SQLite's loop) and `pipelining`: the statements run in
/// order with their counts; the first failure is thrown, nothing after it applies, the
/// transaction rolls back whole, and the connection goes on working — on both backends.
@Suite struct PipelineTests {
    static func table(_ test: TestDatabase) throws {
        try test.database.withConnection { connection throws in
            try connection.executeScript("CREATE TABLE piped (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
        }
    }

    static func notes(_ test: TestDatabase) throws -> [String] {
        try test.database.withConnection { connection in
            try connection.query("SELECT note FROM piped ORDER BY id").map { try $0.get("note") }
        }
    }

    @Test(arguments: Backend.allCases)
    func statementsRunInOrderWithTheirCounts(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try Self.table(test)
        let counts = try test.database.transaction { connection in
            try connection.executeAll([
                "INSERT INTO piped (id, note) VALUES (\(1), \("a")), (\(2), \("b"))",
                "UPDATE piped SET note = note || \("!") WHERE id >= \(1)",
                "DELETE FROM piped WHERE id = \(2)",
                "INSERT INTO piped (id, note) VALUES (\(3), \("c"))",
            ])
        }
        #expect(counts == [2, 2, 1, 1])
        #expect(try Self.notes(test) == ["a!", "c"])
    }

    @Test(arguments: Backend.allCases)
    func theFirstFailureIsThrownAndTheTransactionRollsBackWhole(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try Self.table(test)
        try test.database.transaction { connection in _ = try connection.execute("INSERT INTO piped (id, note) VALUES (\(1), \("kept"))") }
        for round in 0..<3 {
            #expect {
                try test.database.transaction { connection in
                    try connection.executeAll([
                        "INSERT INTO piped (id, note) VALUES (\(10 + round), \("new"))",
                        "INSERT INTO piped (id, note) VALUES (\(1), \("duplicate"))",
                        "INSERT INTO piped (id, note) VALUES (\(20 + round), \("after"))",
                    ])
                }
            } throws: { error in (error as? StoreError)?.code == .uniqueViolation }
            // The pooled connections still work, and nothing of the failed transaction stayed.
            #expect(try Self.notes(test) == ["kept"])
        }
    }

    @Test(arguments: Backend.allCases)
    func heldBackWritesAreSentBeforeAReadAndAtTheEnd(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try Self.table(test)
        let seen: Int = try test.database.transaction { connection in
            try connection.pipelining { piped in
                try piped.execute("INSERT INTO piped (id, note) VALUES (\(1), \("a"))")
                try piped.execute("INSERT INTO piped (id, note) VALUES (\(2), \("b"))")
                let count: Int = try piped.queryFirst("SELECT COUNT(*) AS n FROM piped")?.get("n") ?? -1
                try piped.execute("INSERT INTO piped (id, note) VALUES (\(3), \("c"))")
                return count
            }
        }
        #expect(seen == 2)
        #expect(try Self.notes(test) == ["a", "b", "c"])
        // A held-back write's error surfaces at the end, inside the transaction, which rolls back.
        #expect(throws: StoreError.self) {
            try test.database.transaction { connection in
                try connection.pipelining { piped in
                    try piped.execute("INSERT INTO piped (id, note) VALUES (\(4), \("d"))")
                    try piped.execute("INSERT INTO piped (id, note) VALUES (\(1), \("again"))")
                }
            }
        }
        #expect(try Self.notes(test) == ["a", "b", "c"])
    }
}
