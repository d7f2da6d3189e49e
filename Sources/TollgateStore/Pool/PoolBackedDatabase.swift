/// A ``Database`` that is one ``ConnectionPool``: the pool does the lending, transactions and
/// closing, so the drivers only say how to open a connection.
protocol PoolBackedDatabase: Database {
    associatedtype Connection: PooledConnection
    var pool: ConnectionPool<Connection> { get }
}

extension PoolBackedDatabase {
    @discardableResult
    package func withConnection<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.withConnection { connection in try body(connection) }
    }

    /// `BEGIN` (PostgreSQL: with the isolation level; SQLite: `IMMEDIATE`, always serializable),
    /// `COMMIT`, and `ROLLBACK` on any thrown error. A failed COMMIT throws its mapped error.
    @discardableResult
    package func transaction<T>(isolation: IsolationLevel, _ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.transaction(isolation: isolation) { connection in try body(connection) }
    }

    package func statistics() -> PoolStatistics { pool.statistics() }

    package func close() { pool.close() }
}
