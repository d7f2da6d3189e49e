import Foundation
package import TollgateLogging
package import TollgateStore

/// A store backend that tests run against.
package enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    package var description: String { rawValue }

    package var dialect: SQLDialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }
}

/// An isolated, empty database for one test, removed when the value is released.
///
/// SQLite: a file in a fresh temporary directory. PostgreSQL: a fresh schema `t_<random>` in the
/// database at `TOLLGATE_TEST_POSTGRES_URL`, reached through a URI whose `options` set
/// `search_path` to it, so every pooled connection (and any other process given ``url``) lands there.
package final class TestDatabase: Sendable {
    /// The environment variable that names the PostgreSQL test database.
    package static let postgresURLVariable = "TOLLGATE_TEST_POSTGRES_URL"

    package let backend: Backend
    package let database: any Database
    /// A URL that opens this same store (`sqlite:/tmp/…/store.db` or `postgres://…?options=…`).
    package let url: String
    private let cleanup: Cleanup

    private enum Cleanup: Sendable {
        case removeDirectory(String)
        case dropSchema(baseURL: String, schema: String)
    }

    private init(backend: Backend, database: any Database, url: String, cleanup: Cleanup) {
        self.backend = backend
        self.database = database
        self.url = url
        self.cleanup = cleanup
    }

    deinit {
        database.close()
        switch cleanup {
        case .removeDirectory(let directory):
            try? FileManager.default.removeItem(atPath: directory)
        case .dropSchema(let baseURL, let schema):
            Self.dropSchema(schema, at: baseURL)
        }
    }

    /// A fresh database on `backend`, opened with `configuration`.
    package static func make(
        _ backend: Backend, configuration: DatabaseConfiguration = .init(), logger: Logger = .disabled
    ) throws -> TestDatabase {
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("tollgate-test-\(randomSuffix())").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let url = "sqlite:\(directory)/store.db"
            do {
                let database = try openDatabase(DatabaseLocation(url: url), configuration: configuration, logger: logger)
                return TestDatabase(backend: backend, database: database, url: url, cleanup: .removeDirectory(directory))
            } catch {
                try? FileManager.default.removeItem(atPath: directory)
                throw error
            }
        case .postgres:
            let baseURL = try postgresURL()
            let schema = "t_\(randomSuffix())"
            let admin = try openDatabase(baseURL, poolSize: 1, logger: logger)
            defer { admin.close() }
            try admin.withConnection { connection in
                // `schema` is generated above from hex digits, never input.
                try connection.executeScript("CREATE SCHEMA \(schema)")
            }
            let url = appendingQueryItem(to: baseURL, "options=-csearch_path%3D\(schema)")
            do {
                let database = try openDatabase(DatabaseLocation(url: url), configuration: configuration, logger: logger)
                return TestDatabase(
                    backend: backend, database: database, url: url, cleanup: .dropSchema(baseURL: baseURL, schema: schema))
            } catch {
                dropSchema(schema, at: baseURL)
                throw error
            }
        }
    }

    private static func dropSchema(_ schema: String, at baseURL: String) {
        guard let admin = try? openDatabase(baseURL, poolSize: 1, logger: .disabled) else { return }
        _ = try? admin.withConnection { connection in
            try connection.executeScript("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        }
        admin.close()
    }

    /// Opens another, independent pool on the same store (as another process would).
    package func openAnother(configuration: DatabaseConfiguration = .init(), logger: Logger = .disabled) throws -> any Database {
        try openDatabase(DatabaseLocation(url: url), configuration: configuration, logger: logger)
    }

    /// Applies the migrations in `<root>/<dialect>/` (by default the repository's `migrations/`).
    @discardableResult
    package func migrate(root: String = TestDatabase.repositoryRoot + "/migrations") throws -> [Migration] {
        try Migrator(database: database, root: root, logger: .disabled).migrate()
    }

    /// The repository's root directory (this file is `Tests/TollgateTestSupport/TestDatabase.swift`).
    package static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .path
    }

    /// `TOLLGATE_TEST_POSTGRES_URL`, or an error that says how to get one.
    package static func postgresURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment[postgresURLVariable], !url.isEmpty else {
            throw StoreError(
                .connectionFailed,
                "PostgreSQL tests need \(postgresURLVariable): run scripts/test (it starts a throwaway cluster), "
                    + "or scripts/peers/postgres start DIR")
        }
        return url
    }

    private static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// `url` with `item` added to its query string (after `?` or `&`, before any `#fragment`).
    package static func appendingQueryItem(to url: String, _ item: String) -> String {
        var base = Substring(url)
        var fragment = ""
        if let hash = base.firstIndex(of: "#") {
            fragment = String(base[hash...])
            base = base[..<hash]
        }
        let separator: String
        if !base.contains("?") {
            separator = "?"
        } else if base.hasSuffix("?") || base.hasSuffix("&") {
            separator = ""
        } else {
            separator = "&"
        }
        return base + separator + item + fragment
    }
}
