import Foundation
package import TollgateLogging

/// Applies the numbered SQL files in `<root>/<dialect>/` in order, once each, recording them in
/// `schema_migrations(version, name, checksum, applied_at)` (created when missing).
///
/// Each migration runs in its own transaction with its record, so a failing one leaves no trace.
/// Scripts must not manage transactions themselves (no `BEGIN`/`COMMIT`, and on PostgreSQL no
/// `CREATE INDEX CONCURRENTLY`).
///
/// Concurrent migrators are safe: on PostgreSQL one connection holds `pg_advisory_lock` for the
/// whole run and reads the applied versions after taking it; on SQLite each migration's
/// `BEGIN IMMEDIATE` transaction checks again that its version is not recorded yet.
package struct Migrator: Sendable {
    /// The advisory lock key: "tollgate" in ASCII.
    static let advisoryLockKey: Int64 = 0x746F_6C6C_6761_7465

    package let database: any Database
    /// The folder holding `sqlite/` and `postgres/`.
    package let root: String
    private let logger: Logger

    package init(database: any Database, root: String, logger: Logger) {
        self.database = database
        self.root = root
        self.logger = logger.with("store", "migrator")
    }

    /// `<root>/<dialect>`.
    package var directory: String { root + "/" + database.dialect.rawValue }

    /// The migration files, in version order.
    package func migrations() throws(StoreError) -> [Migration] {
        try Migration.load(directory: directory)
    }

    /// Every file and every record, in version order. Reads only: creates nothing.
    package func status() throws(StoreError) -> [MigrationStatus] {
        let files = try migrations()
        let applied = try onConnection { connection throws(StoreError) in
            try tableExists(connection) ? try readApplied(connection) : [:]
        }
        return Self.status(files: files, applied: applied)
    }

    /// How many files are not applied yet.
    package func pendingCount() throws(StoreError) -> Int {
        try status().filter { $0.state == .pending }.count
    }

    /// True when nothing is pending and no applied file changed.
    package func isCurrent() throws(StoreError) -> Bool {
        try status().allSatisfy { $0.state != .pending && $0.state != .checksumMismatch }
    }

    /// Applies every pending migration in version order and returns those this call applied.
    ///
    /// Throws ``StoreError/Code/migration`` before applying anything when an applied file's
    /// checksum changed, and when a migration fails (after rolling it back; earlier ones stay).
    @discardableResult
    package func migrate() throws(StoreError) -> [Migration] {
        let files = try migrations()
        let isPostgres = database.dialect == .postgres
        return try onConnection { connection throws(StoreError) in
            if isPostgres {
                _ = try connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
            }
            defer {
                if isPostgres {
                    _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
                }
            }
            try createTable(connection)
            let applied = try readApplied(connection)
            let changed = Self.status(files: files, applied: applied).filter { $0.state == .checksumMismatch }
            if !changed.isEmpty {
                let names = files.filter { file in changed.contains { $0.version == file.version } }.map(\.fileName)
                throw StoreError(.migration, "applied migrations changed since: \(names.joined(separator: ", "))")
            }
            var done: [Migration] = []
            for migration in files where applied[migration.version] == nil {
                if try apply(migration, on: connection) { done.append(migration) }
            }
            return done
        }
    }

    /// Runs one migration and its record in a transaction; false when another migrator recorded
    /// it first.
    private func apply(_ migration: Migration, on connection: any SQLConnection) throws(StoreError) -> Bool {
        try connection.executeScript(database.dialect == .postgres ? "BEGIN" : "BEGIN IMMEDIATE")
        do throws(StoreError) {
            if let row = try connection.queryFirst(
                "SELECT checksum FROM schema_migrations WHERE version = \(migration.version)") {
                try connection.executeScript("ROLLBACK")
                guard try row.get("checksum", as: String.self) == migration.checksum else {
                    throw StoreError(.migration, "applied migration \(migration.fileName) changed since")
                }
                return false
            }
            try connection.executeScript(migration.script)
            try connection.execute("""
                INSERT INTO schema_migrations (version, name, checksum, applied_at)
                VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(Date()))
                """)
            try connection.executeScript("COMMIT")
        } catch {
            _ = try? connection.executeScript("ROLLBACK")
            if error.code == .migration { throw error }
            throw StoreError(.migration, "migration \(migration.fileName) failed: \(error.message)", driverCode: error.driverCode)
        }
        logger.info("applied migration", ["file": migration.fileName])
        return true
    }

    private func createTable(_ connection: any SQLConnection) throws(StoreError) {
        let appliedAt = database.dialect == .postgres ? "TIMESTAMPTZ" : "TEXT"
        let version = database.dialect == .postgres ? "BIGINT" : "INTEGER"
        try connection.executeScript("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version \(version) PRIMARY KEY,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at \(appliedAt) NOT NULL
            )
            """)
    }

    private func tableExists(_ connection: any SQLConnection) throws(StoreError) -> Bool {
        let sql: SQL = switch database.dialect {
        case .sqlite: "SELECT count(*) > 0 AS present FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        case .postgres: "SELECT to_regclass('schema_migrations') IS NOT NULL AS present"
        }
        return try connection.queryFirst(sql)?.get("present", as: Bool.self) ?? false
    }

    private func readApplied(_ connection: any SQLConnection) throws(StoreError) -> [Int: AppliedMigration] {
        var applied: [Int: AppliedMigration] = [:]
        for row in try connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations") {
            let record = AppliedMigration(
                version: try row.get("version"), name: try row.get("name"),
                checksum: try row.get("checksum"), appliedAt: try row.get("applied_at"))
            applied[record.version] = record
        }
        return applied
    }

    static func status(files: [Migration], applied: [Int: AppliedMigration]) -> [MigrationStatus] {
        let byVersion = Dictionary(files.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        let versions = Set(byVersion.keys).union(applied.keys).sorted()
        return versions.map { version in
            switch (byVersion[version], applied[version]) {
            case (let file?, let record?):
                MigrationStatus(
                    version: version, name: file.name,
                    state: file.checksum == record.checksum ? .applied(at: record.appliedAt) : .checksumMismatch)
            case (let file?, nil):
                MigrationStatus(version: version, name: file.name, state: .pending)
            case (nil, let record?):
                MigrationStatus(version: version, name: record.name, state: .missingFile)
            case (nil, nil):
                MigrationStatus(version: version, name: "", state: .missingFile)
            }
        }
    }

    /// `database.withConnection` with its error narrowed to ``StoreError``.
    private func onConnection<T>(_ body: (any SQLConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        do {
            return try database.withConnection { connection in try body(connection) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.other, "\(error)")
        }
    }
}

/// One row of `schema_migrations`.
struct AppliedMigration: Sendable {
    let version: Int
    let name: String
    let checksum: String
    let appliedAt: Date
}
