import Foundation
import TollgateAPI
import TollgateCore
import TollgateLogging
import TollgateStore
import TollgateTestSupport

/// A real API server on 127.0.0.1 (port 0) over a fresh store on one backend.
final class APIHarness {
    let store: TestDatabase
    let services: Services
    let api: APIServer
    let logs = MemoryLogSink()

    /// `migrated: false` leaves the schema empty (behind).
    /// `clock`: the services' time of day (fixed in tests that compare with "now").
    init(_ backend: Backend, migrated: Bool = true, environment: [String: String] = [:], clock: WallClock = .system) throws {
        store = try TestDatabase.make(backend)
        let root = TestDatabase.repositoryRoot + "/migrations"
        let logger = Logger(label: "test", level: .debug, sink: logs)
        var variables = ["TOLLGATE_LISTEN": "127.0.0.1:0", "TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_API_KEY_CACHE_SECONDS": "0"]
        variables.merge(environment) { _, new in new }
        services = Services(configuration: try Configuration(environment: variables), database: store.database, migrationsRoot: root, logger: logger, clock: clock)
        if migrated { _ = try services.schema.migrator.migrate() }
        api = APIServer(services: services, logger: logger)
        try api.start()
    }

    deinit { api.shutdown(timeout: .seconds(5)) }

    var port: Int { api.port }

    /// A new key's bearer token.
    func token(_ scope: APIKeyScope, name: String = "test") throws -> String {
        try services.apiKeys.create(name: name, scope: scope).token.value
    }

    func get(_ path: String, token: String? = nil, headers: [(String, String)] = []) throws -> TestResponse {
        var headers = headers
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try HTTPTestClient.request(port: port, path: path, headers: headers)
    }

    func send(_ method: String, _ path: String, token: String? = nil, body: [UInt8]? = nil) throws -> TestResponse {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try HTTPTestClient.request(port: port, method: method, path: path, headers: headers, body: body)
    }
}

extension TestResponse {
    /// The `error.code` of an error body.
    var errorCode: String? {
        ((try? json())?["error"] as? [String: Any])?["code"] as? String
    }
}
