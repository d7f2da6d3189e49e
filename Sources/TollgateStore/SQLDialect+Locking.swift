extension SQLDialect {
    /// The clause that makes a `SELECT` inside a transaction claim its rows for this transaction
    /// and pass over rows another transaction holds: `FOR UPDATE SKIP LOCKED` on PostgreSQL.
    /// Empty on SQLite, where a write transaction (`BEGIN IMMEDIATE`) is already the single writer.
    public var claimRowsClause: String {
        switch self {
        case .postgres: " FOR UPDATE SKIP LOCKED"
        case .sqlite: ""
        }
    }
}
