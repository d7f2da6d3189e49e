import Testing
import TollgateStore
import TollgateTestSupport

/// PostgreSQL sessions prepare each statement text once and run it by name. Over a random stream of
/// more distinct texts than a session keeps, every answer is right, a recurring text stays one
/// prepared statement, and the session never holds more than its limit.
@Suite("Prepared statements (PostgreSQL)")
struct PreparedStatementTests {
    @Test func aRandomStreamOfStatementsIsAnsweredRightWithinTheLimit() throws {
        let test = try TestDatabase.make(.postgres, configuration: DatabaseConfiguration(poolSize: 1))
        var generator = SeededGenerator(seed: 512)
        let texts = 700  // more than PostgresConnection.preparedLimit (512)
        try test.database.withConnection { connection in
            for _ in 0..<3_000 {
                let shape = Int.random(in: 0..<texts, using: &generator)
                let operand = Int64.random(in: -1_000_000...1_000_000, using: &generator)
                let row = try connection.queryFirst("SELECT \(raw: String(shape))::bigint + \(operand) AS total")
                let total: Int64? = try row?.get("total")
                #expect(total == Int64(shape) + operand)
                let held: Int64 = try connection.queryFirst("SELECT count(*) AS n FROM pg_prepared_statements")?.get("n") ?? -1
                #expect(held <= 512)
            }
            // A recurring text is one statement, however often it runs.
            for _ in 0..<10 { _ = try connection.query("SELECT 1 AS one WHERE \(1) = 1") }
            let copies: Int64 = try connection.queryFirst(
                "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = \("SELECT 1 AS one WHERE $1 = 1")")?.get("n") ?? -1
            #expect(copies == 1)
        }
        // A statement that cannot be prepared is an error like any other, and the session goes on.
        try test.database.withConnection { connection in
            #expect(throws: StoreError.self) { try connection.query("SELEC nonsense \(1)") }
            let answer: Int64? = try connection.queryFirst("SELECT \(41) + 1 AS n")?.get("n")
            #expect(answer == 42)
        }
    }
}
