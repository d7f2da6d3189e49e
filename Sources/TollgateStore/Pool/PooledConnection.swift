/// What ``ConnectionPool`` needs from a driver's connection besides running SQL.
protocol PooledConnection: SQLConnection {
    /// Checked when an idle connection is lent out again: false when it broke while idle
    /// (a server restart, `pg_terminate_backend`); the pool then closes and replaces it.
    func isHealthy() -> Bool

    /// Called when a borrower gives the connection back: ends any transaction left open and
    /// returns false when the connection must not be lent out again.
    func resetForReuse() -> Bool

    /// Starts a transaction (`BEGIN IMMEDIATE` on SQLite, `BEGIN ISOLATION LEVEL …` on PostgreSQL).
    func begin(_ isolation: IsolationLevel) throws(StoreError)

    /// Commits; throws when the commit fails (a serializable conflict, a lost connection) or when
    /// the server rolled the transaction back instead.
    func commit() throws(StoreError)

    /// Rolls back the current transaction.
    func rollback() throws(StoreError)
}
