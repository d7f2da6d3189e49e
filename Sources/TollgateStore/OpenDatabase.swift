import TollgateLogging

/// Where the store lives, parsed from `TOLLGATE_DATABASE_URL`.
public enum DatabaseLocation: Sendable, Equatable {
    /// `sqlite:PATH`, or `sqlite::memory:`.
    case sqlite(path: String)
    /// A libpq connection URI (`postgres://…`, `postgresql://…`), passed to libpq unchanged.
    case postgres(uri: String)

    public init(url: String) throws(StoreError) {
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

    public var dialect: SQLDialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }
}
