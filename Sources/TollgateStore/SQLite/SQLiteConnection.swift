import CSQLite
import CSQLiteShims

/// One SQLite connection (`sqlite3 *`), closed in `deinit`.
///
/// Opened with `SQLITE_OPEN_NOMUTEX`: it must be used by one thread at a time, which the pool
/// guarantees (and which is why it is not `Sendable`). Prepared statements are cached per
/// connection, keyed by SQL text, and reset after each use.
package final class SQLiteConnection: SQLConnection {
    /// Statements kept per connection before the cache is emptied and refilled.
    static let statementCacheCapacity = 256

    let handle: OpaquePointer
    /// The path it was opened with (`:memory:` for a private in-memory database).
    package let path: String
    private var statements: [String: SQLiteStatement] = [:]

    package var dialect: SQLDialect { .sqlite }

    private init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
    }

    deinit {
        statements.removeAll()  // finalize before closing
        sqlite3_close_v2(handle)
    }

    /// The absolute path of the main database file, nil for an in-memory or temporary database.
    var filename: String? {
        guard let name = sqlite3_db_filename(handle, "main"), name.pointee != 0 else { return nil }
        return String(cString: name)
    }

    /// Whether `path` names an in-memory database (which has no WAL and no second connection).
    static func isMemory(_ path: String) -> Bool {
        path == ":memory:" || path.hasPrefix("file::memory:") || path.contains("mode=memory")
    }

    /// Opens (creating if needed) the database at `path` and applies the store's settings:
    /// `busy_timeout`, `journal_mode=WAL` (files only), `foreign_keys=ON`, `synchronous=NORMAL`.
    ///
    /// `path` may be a `file:` URI (<https://www.sqlite.org/uri.html>).
    package static func open(path: String, busyTimeout: Duration = .seconds(5)) throws(StoreError) -> SQLiteConnection {
        var raw: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &raw, flags, nil)
        guard let raw else {
            throw StoreError(.connectionFailed, "cannot open SQLite database \(path): out of memory", driverCode: String(code))
        }
        let connection = SQLiteConnection(handle: raw, path: path)  // owns `raw` from here on
        guard code == SQLITE_OK else {
            let error = SQLiteResultCode.lastError(on: raw)
            throw StoreError(.connectionFailed, "cannot open SQLite database \(path): \(error.message)", driverCode: error.driverCode)
        }
        try connection.configure(busyTimeout: busyTimeout)
        return connection
    }

    private func configure(busyTimeout: Duration) throws(StoreError) {
        sqlite3_extended_result_codes(handle, 1)
        // Before journal_mode: switching to WAL needs a lock another connection may hold.
        guard sqlite3_busy_timeout(handle, busyTimeout.milliseconds) == SQLITE_OK else {
            throw SQLiteResultCode.lastError(on: handle)
        }
        if !Self.isMemory(path) {
            let mode = try query("PRAGMA journal_mode = WAL").first?.values.first
            guard mode == .text("wal") else {
                throw StoreError(.connectionFailed, "SQLite database \(path) cannot use WAL journal mode")
            }
        }
        // A 16 MiB page cache per connection (the default is 2 MiB): a batch of usage events spread
        // over many customers touches index pages all over the file, and re-read them with pread.
        try executeScript("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;")
    }

    // MARK: Running SQL

    @discardableResult
    package func execute(_ sql: SQL) throws(StoreError) -> Int {
        let statement = try prepared(sql)
        defer { statement.reset() }
        let before = sqlite3_total_changes64(handle)
        while true {
            let code = sqlite3_step(statement.handle)
            if code == SQLITE_DONE { break }
            if code != SQLITE_ROW { throw SQLiteResultCode.lastError(on: handle) }
        }
        // sqlite3_changes64 keeps the last INSERT/UPDATE/DELETE's count after other statements.
        return sqlite3_total_changes64(handle) == before ? 0 : Int(sqlite3_changes64(handle))
    }

    package func query(_ sql: SQL) throws(StoreError) -> [Row] {
        let statement = try prepared(sql)
        defer { statement.reset() }
        var columns: [String]?
        var rows: [Row] = []
        while true {
            let code = sqlite3_step(statement.handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw SQLiteResultCode.lastError(on: handle) }
            let names = columns ?? statement.columnNames()
            columns = names
            let values = (0..<Int32(names.count)).map { statement.value(at: $0) }
            rows.append(Row(columns: names, values: values))
        }
        return rows
    }

    package func executeScript(_ script: String) throws(StoreError) {
        guard sqlite3_exec(handle, script, nil, nil, nil) == SQLITE_OK else {
            throw SQLiteResultCode.lastError(on: handle)
        }
    }

    /// Whether the connection is outside any transaction (`sqlite3_get_autocommit`).
    package var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    // MARK: Statement cache

    /// The cached statement for `sql`'s text (prepared once with `SQLITE_PREPARE_PERSISTENT`),
    /// with `sql`'s values bound.
    private func prepared(_ sql: SQL) throws(StoreError) -> SQLiteStatement {
        let statement: SQLiteStatement
        if let cached = statements[sql.text] {
            statement = cached
        } else {
            statement = try prepare(sql.text)
            if statements.count >= Self.statementCacheCapacity { statements.removeAll() }
            statements[sql.text] = statement
        }
        do {
            try statement.bind(sql.bindings)
        } catch {
            statement.reset()
            throw error
        }
        return statement
    }

    private func prepare(_ text: String) throws(StoreError) -> SQLiteStatement {
        var raw: OpaquePointer?
        var hasSecondStatement = false
        let code = text.withCString { start -> Int32 in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(handle, start, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, &tail)
            // Anything after the first statement but comments and whitespace is a mistake here.
            if code == SQLITE_OK, let tail, tail.pointee != 0 {
                var next: OpaquePointer?
                if sqlite3_prepare_v2(handle, tail, -1, &next, nil) == SQLITE_OK {
                    hasSecondStatement = next != nil
                } else {
                    hasSecondStatement = true
                }
                sqlite3_finalize(next)
            }
            return code
        }
        guard code == SQLITE_OK else {
            sqlite3_finalize(raw)
            throw SQLiteResultCode.lastError(on: handle)
        }
        guard let raw else { throw StoreError(.other, "the SQL text holds no statement") }
        let statement = try SQLiteStatement(handle: raw)
        if hasSecondStatement {
            throw StoreError(.other, "the SQL text holds more than one statement: use executeScript")
        }
        return statement
    }
}

@available(*, unavailable)
extension SQLiteConnection: Sendable {}
