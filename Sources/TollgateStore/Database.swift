import TollgateLogging

/// The SQL dialect of a backend. Dialect differences live in the store layer only.
package enum SQLDialect: String, Sendable, CaseIterable {
    case sqlite
    case postgres
}

/// Transaction isolation. SQLite transactions are always serializable (one writer).
package enum IsolationLevel: Sendable {
    case readCommitted
    case repeatableRead
    case serializable
}

/// One open connection. Used by one thread at a time: it is lent out by a ``Database`` for the
/// length of a closure and must not escape it.
package protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }

    /// Runs a statement and returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: SQL) throws(StoreError) -> Int

    /// Runs a query and returns every row.
    func query(_ sql: SQL) throws(StoreError) -> [Row]

    /// Runs several statements separated by semicolons, with no parameters (migrations).
    func executeScript(_ script: String) throws(StoreError)
}

extension SQLConnection {
    /// The first row of a query, or nil.
    package func queryFirst(_ sql: SQL) throws(StoreError) -> Row? {
        try query(sql).first
    }

    /// Runs `body` inside a savepoint of the open transaction: when it throws, what it wrote is
    /// rolled back and the error rethrown, and the transaction goes on (both dialects; savepoints
    /// nest). For a batch of independent writes in one transaction, one failing write undoing
    /// only itself.
    package func savepoint<T>(_ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT tollgate_savepoint")
        let result: T
        do {
            result = try body()
        } catch {
            try execute("ROLLBACK TO SAVEPOINT tollgate_savepoint")
            try execute("RELEASE SAVEPOINT tollgate_savepoint")
            throw error
        }
        try execute("RELEASE SAVEPOINT tollgate_savepoint")
        return result
    }
}

/// Counters a pool exposes for `/metrics`.
package struct PoolStatistics: Sendable, Equatable {
    package var size: Int
    package var idle: Int
    package var inUse: Int
    package var waiting: Int
    package var maximum: Int

    package init(size: Int, idle: Int, inUse: Int, waiting: Int, maximum: Int) {
        self.size = size
        self.idle = idle
        self.inUse = inUse
        self.waiting = waiting
        self.maximum = maximum
    }
}

/// A database: a pool of connections behind one interface, whatever the backend.
///
/// All calls block the calling thread; never call them from the Swift concurrency pool.
package protocol Database: AnyObject, Sendable {
    var dialect: SQLDialect { get }

    /// Lends a connection in autocommit mode for the length of `body`.
    @discardableResult
    func withConnection<T>(_ body: (any SQLConnection) throws -> T) throws -> T

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws
    /// (whatever it throws), and the error rethrown.
    @discardableResult
    func transaction<T>(isolation: IsolationLevel, _ body: (any SQLConnection) throws -> T) throws -> T

    func statistics() -> PoolStatistics

    /// Throws ``StoreError/Code/readOnly`` when a write could not be kept (see that code), or the
    /// error that reaching the store gave; what `/readyz` asks before it says ready.
    func checkWritable() throws

    /// Closes every connection; later calls throw ``StoreError/Code/closed``.
    func close()
}

extension Database {
    @discardableResult
    package func transaction<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try transaction(isolation: .readCommitted, body)
    }
}
