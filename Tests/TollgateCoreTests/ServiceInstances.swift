import Foundation
import TollgateLogging
import TollgateStore
import TollgateTestSupport
@testable import TollgateCore

/// Several Tollgate instances over one store: each has its own connection pool and its own
/// `Services` (caches, idempotency leases, appliers), as separate processes sharing one database.
final class ServiceInstances: Sendable {
    let all: [Services]
    /// The pools this value opened (the first instance uses the test store's own).
    private let opened: [any Database]
    /// The store, kept open as long as its instances are.
    private let store: TestDatabase

    init(_ count: Int, on store: TestDatabase, environment: [String: String] = [:]) throws {
        var variables = ["TOLLGATE_DATABASE_URL": store.url]
        variables.merge(environment) { _, new in new }
        let configuration = try Configuration(environment: variables)
        var opened: [any Database] = []
        var all: [Services] = []
        for index in 0..<count {
            let database: any Database
            if index == 0 {
                database = store.database
            } else {
                database = try store.openAnother()
                opened.append(database)
            }
            all.append(Services(
                configuration: configuration, database: database, migrationsRoot: TestDatabase.repositoryRoot + "/migrations",
                logger: .disabled))
        }
        self.all = all
        self.opened = opened
        self.store = store
    }

    subscript(index: Int) -> Services { all[index] }

    deinit {
        for database in opened { database.close() }
    }
}
