import Foundation
import Testing
import TollgateLogging
import TollgateStore
import TollgateTestSupport

/// Connection loss exists only on PostgreSQL (a SQLite file cannot drop its connection).
@Suite("PostgreSQL connection loss")
struct PostgresConnectionLossTests {
    private func backendPID(_ connection: any SQLConnection) throws -> Int {
        try connection.queryFirst("SELECT pg_backend_pid() AS pid")?.get("pid") ?? -1
    }

    /// Terminates `pid` from another pool and waits (up to 5 s) until it is gone.
    private func terminate(_ pid: Int, from killer: any Database) throws {
        let terminated = try killer.withConnection { connection in
            try connection.queryFirst("SELECT pg_terminate_backend(\(pid), 5000) AS ok")?.get("ok", as: Bool.self)
        }
        #expect(terminated == true)
    }

    @Test
    func poolReplacesAConnectionTerminatedWhileIdle() throws {
        let test = try TestDatabase.make(.postgres, configuration: DatabaseConfiguration(poolSize: 1))
        let killer = try test.openAnother(configuration: DatabaseConfiguration(poolSize: 1))
        defer { killer.close() }
        let before = try test.database.withConnection { connection in try backendPID(connection) }
        try terminate(before, from: killer)
        let after = try test.database.withConnection { connection in try backendPID(connection) }
        #expect(after != before)
        #expect(test.database.statistics().size == 1)
    }

    @Test
    func aConnectionKilledMidUseThrowsConnectionLostAndIsDiscarded() throws {
        let test = try TestDatabase.make(.postgres, configuration: DatabaseConfiguration(poolSize: 1))
        let killer = try test.openAnother(configuration: DatabaseConfiguration(poolSize: 1))
        defer { killer.close() }
        var killed = -1
        try test.database.withConnection { connection throws in
            killed = try backendPID(connection)
            try terminate(killed, from: killer)
            let error = storeError { _ = try connection.query("SELECT 1 AS one") }
            #expect(error?.code == .connectionLost)
        }
        #expect(test.database.statistics().size == 0)
        let replacement = try test.database.withConnection { connection in try backendPID(connection) }
        #expect(replacement != killed)
    }

    @Test
    func aTransactionWhoseConnectionDiesThrowsConnectionLost() throws {
        let test = try TestDatabase.make(.postgres, configuration: DatabaseConfiguration(poolSize: 1))
        let killer = try test.openAnother(configuration: DatabaseConfiguration(poolSize: 1))
        defer { killer.close() }
        let error = storeError {
            try test.database.transaction { connection in
                try terminate(try backendPID(connection), from: killer)
                try connection.execute("SELECT 1")
            }
        }
        #expect(error?.code == .connectionLost)
        #expect(try test.database.withConnection { connection in try connection.query("SELECT 1 AS one").count } == 1)
    }

    @Test
    func anUnreachableServerIsAConnectionFailure() throws {
        // Port 1 on loopback: nothing listens there.
        let error = storeError { _ = try openDatabase("postgres://postgres@127.0.0.1:1/nothing?connect_timeout=2", logger: .disabled) }
        #expect(error?.code == .connectionFailed)
    }
}
