import Foundation
import Testing
import TollgateStore
import TollgateTestSupport

@Suite("Queries and bound parameters")
struct QueryTests {
    private func makeValuesTable(_ test: TestDatabase) throws {
        try test.database.withConnection { connection throws in
            try connection.executeScript(test.backend.ddl(
                sqlite: """
                    CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, f BOOLEAN, ts TEXT, n TEXT);
                    CREATE TABLE x (id INTEGER PRIMARY KEY);
                    """,
                postgres: """
                    CREATE TABLE v (id BIGINT PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, t TEXT, b BYTEA, f BOOLEAN,
                                    ts TIMESTAMPTZ, n TEXT);
                    CREATE TABLE x (id BIGINT PRIMARY KEY);
                    """))
        }
    }

    @Test(arguments: Backend.allCases)
    func boundParametersRoundTripEveryValueKind(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try makeValuesTable(test)
        let instant = Date(timeIntervalSince1970: 1_795_000_000.5)
        let cases: [(Int64, Double, String, [UInt8], Bool)] = [
            (Int64.max, 3.25, "Grüße, 世界 👋🏽", [0, 1, 2, 254, 255, 0], true),
            (Int64.min, -0.5, "'; DROP TABLE x; --", [], false),
            (0, 1e-300, "", [0x5C, 0x78], true),
        ]
        try test.database.withConnection { connection throws in
            for (index, (integer, real, text, bytes, flag)) in cases.enumerated() {
                let inserted = try connection.execute("""
                    INSERT INTO v (id, i, r, t, b, f, ts, n)
                    VALUES (\(index), \(integer), \(real), \(text), \(bytes), \(flag), \(instant), \(nil as String?))
                    """)
                #expect(inserted == 1)
            }
            for (index, (integer, real, text, bytes, flag)) in cases.enumerated() {
                let row = try #require(try connection.queryFirst("SELECT * FROM v WHERE id = \(index)"))
                #expect(try row.get("i", as: Int64.self) == integer)
                #expect(try row.get("r", as: Double.self) == real)
                #expect(try row.get("t", as: String.self) == text)
                #expect(try row.get("b", as: [UInt8].self) == bytes)
                #expect(try row.get("f", as: Bool.self) == flag)
                #expect(try row.get("ts", as: Date.self) == instant)
                #expect(try row.get("n", as: String?.self) == nil)
                #expect(try row.value("n") == .null)
            }
            // The injection attempt stayed data: the table it names is still there.
            #expect(try connection.queryFirst("SELECT count(*) AS n FROM x")?.get("n", as: Int.self) == 0)
            let echoed = try connection.queryFirst("SELECT t FROM v WHERE t = \("'; DROP TABLE x; --")")
            #expect(try echoed?.get("t", as: String.self) == "'; DROP TABLE x; --")
        }
    }

    @Test(arguments: Backend.allCases)
    func nullsBindAndFilter(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try makeValuesTable(test)
        try test.database.withConnection { connection throws in
            try connection.execute(SQL("INSERT INTO v (id, t) VALUES ($1, $2)", [.integer(1), .null]))
            let row = try #require(try connection.queryFirst("SELECT t FROM v WHERE id = 1"))
            #expect(try row.get("t", as: String?.self) == nil)
            #expect(try connection.query("SELECT id FROM v WHERE t IS NULL").count == 1)
        }
    }

    struct Account: Equatable {
        var id: Int
        var email: String
        var balance: Double
        var active: Bool
        var note: String?

        init(row: Row) throws(StoreError) {
            id = try row.get("id")
            email = try row.get("email")
            balance = try row.get("balance")
            active = try row.get("active")
            note = try row.get("note")
        }

        init(id: Int, email: String, balance: Double, active: Bool, note: String?) {
            self.id = id
            self.email = email
            self.balance = balance
            self.active = active
            self.note = note
        }
    }

    @Test(arguments: Backend.allCases)
    func typedRowsDecodeAndAWrongTypeIsADecodingError(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try test.database.withConnection { connection throws in
            try connection.executeScript("""
                CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL, balance DOUBLE PRECISION NOT NULL,
                                       active BOOLEAN NOT NULL, note TEXT)
                """)
            try connection.execute("""
                INSERT INTO accounts (id, email, balance, active, note)
                VALUES (\(1), \("a@example.com"), \(12.5), \(true), \(nil as String?)),
                       (\(2), \("b@example.com"), \(-3.0), \(false), \("vip"))
                """)
            let accounts = try connection.query("SELECT * FROM accounts ORDER BY id").map { row throws(StoreError) in
                try Account(row: row)
            }
            #expect(accounts == [
                Account(id: 1, email: "a@example.com", balance: 12.5, active: true, note: nil),
                Account(id: 2, email: "b@example.com", balance: -3.0, active: false, note: "vip"),
            ])
            let row = try #require(try connection.queryFirst("SELECT * FROM accounts WHERE id = 1"))
            #expect(storeError { _ = try row.get("email", as: Int.self) }?.code == .decoding)
            #expect(storeError { _ = try row.get("note", as: String.self) }?.code == .decoding)
            #expect(storeError { _ = try row.get("missing", as: String.self) }?.code == .decoding)
        }
    }

    @Test(arguments: Backend.allCases)
    func aParameterUsedTwiceBindsOnce(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try test.database.withConnection { connection throws in
            try connection.executeScript("CREATE TABLE pairs (a INTEGER NOT NULL, b INTEGER NOT NULL, c TEXT NOT NULL)")
            try connection.execute(SQL("INSERT INTO pairs (a, b, c) VALUES ($1, $1, $2)", [.integer(7), .text("x")]))
            try connection.execute(SQL("INSERT INTO pairs (c, a, b) VALUES ($2, $1, $1 + 1)", [.integer(8), .text("y")]))
            let rows = try connection.query("SELECT a, b, c FROM pairs ORDER BY a")
            #expect(try rows.map { row throws(StoreError) in try row.get("a", as: Int.self) } == [7, 8])
            #expect(try rows.map { row throws(StoreError) in try row.get("b", as: Int.self) } == [7, 9])
            #expect(try rows.map { row throws(StoreError) in try row.get("c", as: String.self) } == ["x", "y"])
        }
    }

    @Test(arguments: Backend.allCases)
    func executeReportsRowsAffected(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try test.database.withConnection { connection throws in
            #expect(try connection.execute("CREATE TABLE n (id INTEGER PRIMARY KEY, x INTEGER NOT NULL)") == 0)
            #expect(try connection.execute("INSERT INTO n (id, x) VALUES (\(1), \(1)), (\(2), \(2)), (\(3), \(3))") == 3)
            #expect(try connection.execute("UPDATE n SET x = x + 10 WHERE x >= \(2)") == 2)
            #expect(try connection.execute("UPDATE n SET x = 0 WHERE id = \(99)") == 0)
            #expect(try connection.execute("DELETE FROM n WHERE id <> \(2)") == 2)
            #expect(try connection.execute("CREATE INDEX n_x ON n (x)") == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func aConstraintErrorNeverCarriesParameterValues(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try test.database.withConnection { connection throws in
            try connection.executeScript("CREATE TABLE users (email TEXT UNIQUE, age INTEGER CHECK (age >= 0))")
            try connection.execute("INSERT INTO users (email, age) VALUES (\("secret@example.com"), \(30))")
            let duplicate = storeError { try connection.execute("INSERT INTO users (email) VALUES (\("secret@example.com"))") }
            #expect(duplicate?.code == .uniqueViolation)
            #expect(duplicate.map { !"\($0)".contains("secret") } == true)
            let negative = storeError { try connection.execute("INSERT INTO users (email, age) VALUES (\("x"), \(-42))") }
            #expect(negative?.code == .constraintViolation)
            #expect(negative.map { !"\($0)".contains("-42") } == true)
            if backend == .postgres {
                let invalid = storeError { _ = try connection.query("SELECT \("secret-value")::integer AS n") }
                #expect(invalid?.driverCode == "22P02")
                #expect(invalid.map { !"\($0)".contains("secret-value") } == true)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func aMismatchedParameterCountIsAnError(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try test.database.withConnection { connection throws in
            #expect(storeError { _ = try connection.query(SQL("SELECT $1 AS a, $2 AS b", [.integer(1)])) } != nil)
            // The connection stays usable.
            #expect(try connection.queryFirst("SELECT \(5) AS five")?.get("five", as: Int.self) == 5)
        }
    }
}
