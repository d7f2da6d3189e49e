import TollgateLogging

/// A SQLite database file (or `:memory:`) behind a pool of connections.
///
/// Files get up to `poolSize` connections in WAL mode (many readers, one writer). `:memory:`
/// gets exactly one connection, lent to one caller at a time, so every caller sees the same data;
/// a nested ``withConnection(_:)`` on it waits for the checkout timeout and fails.
public final class SQLiteDatabase: PoolBackedDatabase {
    public var dialect: SQLDialect { .sqlite }
    /// The path (or `file:` URI) the connections open.
    public let path: String
    let pool: ConnectionPool<SQLiteConnection>

    /// Opens the database, checking that one connection can be opened and configured.
    public init(path: String, configuration: DatabaseConfiguration = .init(), logger: Logger) throws(StoreError) {
        try configuration.validate()
        self.path = path
        let busyTimeout = configuration.busyTimeout
        pool = ConnectionPool(
            maximum: SQLiteConnection.isMemory(path) ? 1 : configuration.poolSize,
            checkoutTimeout: configuration.checkoutTimeout,
            logger: logger.with("store", "sqlite")
        ) { () throws(StoreError) -> SQLiteConnection in
            try SQLiteConnection.open(path: path, busyTimeout: busyTimeout)
        }
        let first = try pool.checkout()
        pool.checkin(first)
    }

    deinit {
        pool.close()
    }
}
