import Foundation
import Testing
import TollgateAPI
import TollgateCore
import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateTestSupport
import TollgateBase

/// A real API server on 127.0.0.1 (port 0) over a fresh store on one backend.
///
/// Every response read through ``request(_:_:token:headers:body:sourceLocation:)`` (and `get`,
/// `send`) is checked against the server's own OpenAPI document: its status must be documented
/// for the operation and a JSON body must match the documented schema. A mismatch is an issue of
/// the calling test, at the call.
final class APIHarness {
    let store: TestDatabase
    let services: Services
    let api: APIServer
    let logs = MemoryLogSink()
    /// The document as the server serves it (`GET /openapi.json`).
    let documented: OpenAPIResponseCheck

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
        documented = try OpenAPIResponseCheck(fetchingFrom: api.port)
    }

    deinit { api.shutdown(timeout: .seconds(5)) }

    var port: Int { api.port }

    /// A new key's bearer token.
    func token(_ scope: APIKeyScope, name: String = "test") throws -> String {
        try services.apiKeys.create(name: name, scope: scope).token.value
    }

    /// Sends a request and checks the response against the document.
    func request(
        _ method: String, _ target: String, token: String? = nil, headers: [(String, String)] = [], body: [UInt8]? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> TestResponse {
        var headers = headers
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let response = try HTTPTestClient.request(port: port, method: method, path: target, headers: headers, body: body)
        checkDocumented(method, target, response, sourceLocation: sourceLocation)
        return response
    }

    /// Records an issue for each way `response` departs from the documented operation.
    func checkDocumented(_ method: String, _ target: String, _ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        documented.record(method: method, target: target, response: response, sourceLocation: sourceLocation)
    }

    func get(_ path: String, token: String? = nil, headers: [(String, String)] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> TestResponse {
        try request("GET", path, token: token, headers: headers, sourceLocation: sourceLocation)
    }

    func send(
        _ method: String, _ path: String, token: String? = nil, body: [UInt8]? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> TestResponse {
        try request(method, path, token: token, headers: [("Content-Type", "application/json")], body: body, sourceLocation: sourceLocation)
    }
}

extension TestResponse {
    /// The `error.code` of an error body.
    var errorCode: String? {
        ((try? json())?["error"] as? [String: Any])?["code"] as? String
    }
}
