extension SQLDialect {
    /// The clause that makes a `SELECT` inside a transaction claim its rows for this transaction
    /// and pass over rows another transaction holds: `FOR UPDATE SKIP LOCKED` on PostgreSQL.
    /// Empty on SQLite, where a write transaction (`BEGIN IMMEDIATE`) is already the single writer.
    package var claimRowsClause: String {
        switch self {
        case .postgres: " FOR UPDATE SKIP LOCKED"
        case .sqlite: ""
        }
    }
}

extension SQLDialect {
    /// The clause that makes a `SELECT` inside a transaction lock the rows it reads until the
    /// transaction ends, waiting for another holder: `FOR UPDATE` on PostgreSQL. Empty on SQLite,
    /// where the transaction (`BEGIN IMMEDIATE`) already holds the database's one write lock.
    package var lockRowsClause: String {
        switch self {
        case .postgres: " FOR UPDATE"
        case .sqlite: ""
        }
    }
}
