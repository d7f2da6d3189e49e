import CSQLite
import CSQLiteShims

extension SQLiteConnection: PooledConnection {
    /// A SQLite file connection cannot break while idle.
    func isHealthy() -> Bool { true }

    func resetForReuse() -> Bool {
        if !isAutocommit { try? rollback() }
        return isAutocommit
    }

    /// `BEGIN IMMEDIATE`: takes the write lock now, so one writer runs at a time and SQLite never
    /// reports a serialization failure in a store transaction. Every level is serializable.
    func begin(_ isolation: IsolationLevel) throws(StoreError) {
        try execute("BEGIN IMMEDIATE")
    }

    func commit() throws(StoreError) {
        try execute("COMMIT")
    }

    func rollback() throws(StoreError) {
        try execute("ROLLBACK")
    }
}
