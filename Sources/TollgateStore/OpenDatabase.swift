package import TollgateLogging

/// Where the store lives, parsed from `TOLLGATE_DATABASE_URL`.
package enum DatabaseLocation: Sendable, Equatable {
    /// `sqlite:PATH`, or `sqlite::memory:`.
    case sqlite(path: String)
    /// A libpq connection URI (`postgres://…`, `postgresql://…`), passed to libpq unchanged.
    case postgres(uri: String)

    package init(url: String) throws(StoreError) {
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw StoreError(.invalidURL, "sqlite: needs a path (sqlite:PATH or sqlite::memory:)") }
            self = .sqlite(path: path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            self = .postgres(uri: url)
        } else {
            throw StoreError(.invalidURL, "expected sqlite:PATH, postgres://… or postgresql://…")
        }
    }

    package var dialect: SQLDialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }
}

/// Opens the database at `location` with a pool of up to `poolSize` connections, checking that
/// one connection can be opened. Log lines go to `logger` (at info or below).
package func openDatabase(_ location: DatabaseLocation, poolSize: Int = 8, logger: Logger) throws(StoreError) -> any Database {
    try openDatabase(location, configuration: DatabaseConfiguration(poolSize: poolSize), logger: logger)
}

/// Opens the database at `location` with every pool and driver setting spelled out.
package func openDatabase(
    _ location: DatabaseLocation, configuration: DatabaseConfiguration, logger: Logger
) throws(StoreError) -> any Database {
    switch location {
    case .sqlite(let path): try SQLiteDatabase(path: path, configuration: configuration, logger: logger)
    case .postgres(let uri): try PostgresDatabase(uri: uri, configuration: configuration, logger: logger)
    }
}

/// Opens the database named by a URL (`sqlite:PATH`, `sqlite::memory:`, `postgres://…`).
package func openDatabase(_ url: String, poolSize: Int = 8, logger: Logger) throws(StoreError) -> any Database {
    try openDatabase(DatabaseLocation(url: url), poolSize: poolSize, logger: logger)
}
