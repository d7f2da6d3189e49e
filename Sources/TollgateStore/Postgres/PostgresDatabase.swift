import TollgateLogging

/// A PostgreSQL database behind a pool of libpq connections.
///
/// Connections open lazily up to `poolSize`. An idle connection is checked before it is lent
/// out again and replaced when it broke; one that raised ``StoreError/Code/connectionLost`` is
/// never returned to the pool.
public final class PostgresDatabase: Database {
    public var dialect: SQLDialect { .postgres }
    private let pool: ConnectionPool<PostgresConnection>

    /// Opens the pool and checks that one connection can be made.
    public init(uri: String, configuration: DatabaseConfiguration = .init(), logger: Logger) throws(StoreError) {
        try configuration.validate()
        let applicationName = configuration.applicationName
        pool = ConnectionPool(
            maximum: configuration.poolSize,
            checkoutTimeout: configuration.checkoutTimeout,
            logger: logger.with("store", "postgres")
        ) { () throws(StoreError) -> PostgresConnection in
            try PostgresConnection.connect(uri: uri, applicationName: applicationName)
        }
        let first = try pool.checkout()
        pool.checkin(first)
    }

    deinit {
        pool.close()
    }

    @discardableResult

    public func withConnection<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.withConnection { connection in try body(connection) }
    }

    /// `BEGIN ISOLATION LEVEL …`, `COMMIT`; `ROLLBACK` on any thrown error. A failed COMMIT
    /// (a serializable conflict reports 40001 there) throws its mapped error.
    @discardableResult
    public func transaction<T>(isolation: IsolationLevel, _ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.transaction(isolation: isolation) { connection in try body(connection) }
    }

    public func statistics() -> PoolStatistics { pool.statistics() }

    public func close() { pool.close() }
}
