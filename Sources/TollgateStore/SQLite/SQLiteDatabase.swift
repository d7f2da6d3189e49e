#if canImport(Glibc)
import Glibc
#endif
package import TollgateLogging

/// A SQLite database file (or `:memory:`) behind a pool of connections.
///
/// Files get up to `poolSize` connections in WAL mode (many readers, one writer). `:memory:`
/// gets exactly one connection, lent to one caller at a time, so every caller sees the same data;
/// a nested ``withConnection(_:)`` on it waits for the checkout timeout and fails.
package final class SQLiteDatabase: PoolBackedDatabase {
    package var dialect: SQLDialect { .sqlite }
    /// The path (or `file:` URI) the connections open.
    package let path: String
    let pool: ConnectionPool<SQLiteConnection>
    /// The database file and its identity when opened; nil in memory.
    private let file: (path: String, device: UInt64, inode: UInt64)?

    /// Opens the database, checking that one connection can be opened and configured.
    package init(path: String, configuration: DatabaseConfiguration = .init(), logger: Logger) throws(StoreError) {
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
        defer { pool.checkin(first) }
        var status = stat()
        if let filename = first.filename, stat(filename, &status) == 0 {
            file = (filename, UInt64(status.st_dev), UInt64(status.st_ino))
        } else {
            file = nil
        }
    }

    /// Refuses to lend a connection once the file was removed or replaced: SQLite would go on
    /// writing into the open, unlinked file, and every write would be lost on restart.
    @discardableResult
    package func withConnection<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try checkFileIdentity()
        return try pool.withConnection { connection in try body(connection) }
    }

    /// Refuses a write transaction the store could not keep (``checkWritable()``).
    @discardableResult
    package func transaction<T>(isolation: IsolationLevel, _ body: (any SQLConnection) throws -> T) throws -> T {
        try checkWritable()
        return try pool.transaction(isolation: isolation) { connection in try body(connection) }
    }

    /// The file is still the one opened, and it can be written (a file without any write
    /// permission counts as read-only even for root, who could write it anyway).
    package func checkWritable() throws {
        guard let file else { return }
        let status = try checkFileIdentity()
        guard status.st_mode & 0o222 != 0, access(file.path, W_OK) == 0 else {
            throw StoreError(.readOnly, "the SQLite file \(file.path) is read-only")
        }
    }

    /// The file's status, once it is known to be the file opened (one `stat(2)`).
    @discardableResult
    private func checkFileIdentity() throws(StoreError) -> stat {
        var status = stat()
        guard let file else { return status }
        guard stat(file.path, &status) == 0 else {
            throw StoreError(.readOnly, "the SQLite file \(file.path) was removed while open; restart to open it again")
        }
        guard UInt64(status.st_dev) == file.device, UInt64(status.st_ino) == file.inode else {
            throw StoreError(.readOnly, "the SQLite file \(file.path) was replaced while open; restart to open it again")
        }
        return status
    }

    deinit {
        pool.close()
    }
}
