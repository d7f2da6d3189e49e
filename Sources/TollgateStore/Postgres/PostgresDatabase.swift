package import TollgateLogging

/// A PostgreSQL database behind a pool of libpq connections.
///
/// Connections open lazily up to `poolSize`. An idle connection is checked before it is lent
/// out again and replaced when it broke; one that raised ``StoreError/Code/connectionLost`` is
/// never returned to the pool.
package final class PostgresDatabase: PoolBackedDatabase {
    package var dialect: SQLDialect { .postgres }
    let pool: ConnectionPool<PostgresConnection>

    /// Opens the pool and checks that one connection can be made.
    package init(uri: String, configuration: DatabaseConfiguration = .init(), logger: Logger) throws(StoreError) {
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

    /// The server answers and takes writes: not a replica in recovery, not read-only by default.
    package func checkWritable() throws {
        try pool.withConnection { connection in
            let row = try connection.queryFirst(
                "SELECT pg_is_in_recovery() AS recovery, current_setting('default_transaction_read_only') AS read_only")
            let recovery: Bool = try row?.get("recovery") ?? false
            let readOnly: String = try row?.get("read_only") ?? "off"
            if recovery { throw StoreError(.readOnly, "the PostgreSQL server is a replica in recovery") }
            if readOnly == "on" { throw StoreError(.readOnly, "the PostgreSQL server is read-only (default_transaction_read_only)") }
        }
    }

    deinit {
        pool.close()
    }
}
