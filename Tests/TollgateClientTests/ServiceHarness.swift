import Foundation
import Synchronization
import Tollgate
import TollgateAPI
import TollgateBase
import TollgateClient
import TollgateCore
import TollgateEntitlements
import TollgateEvents
import TollgateHTTPServer
import TollgateLogging
import TollgateStore
import TollgateTestSupport

/// A real Tollgate API server on 127.0.0.1 (port 0) over a fresh, migrated store, with a catalog
/// (by default the example catalog), customer `org_1` and a `read` key; and clients pointed at it.
final class ServiceHarness {
    static let snapshotRoute = "/v1/customers/{external_id}/entitlements"

    let store: TestDatabase
    let services: Services
    private(set) var api: APIServer
    let logs = MemoryLogSink()
    let readToken: String
    /// The clock every client of this harness reads (see ``ClientTestClock``).
    let clock = ClientTestClock()
    let baseURL: URL
    private let logger: Logger
    /// What `serve` runs beside the API (the event publisher, the entitlement scheduler, …), once
    /// ``startEvents()`` was called: the stream then carries the changes tests make.
    private var background: BackgroundServices?

    /// Variables added to the service's configuration (also after ``restart()``).
    private let environment: [String: String]

    init(_ backend: Backend, catalog: Data? = nil, environment: [String: String] = [:]) throws {
        self.environment = environment
        store = try TestDatabase.make(backend)
        logger = Logger(label: "test", level: .debug, sink: logs)
        services = try Self.services(store: store, listen: "127.0.0.1:0", environment: environment, logger: logger)
        _ = try services.schema.migrator.migrate()
        let catalogData = try catalog ?? Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json"))
        _ = try services.catalog.apply(try Catalog.parse(catalogData))
        _ = try services.customers.upsert(.init(externalID: "org_1"))
        readToken = try services.apiKeys.create(name: "client", scope: .read).token.value
        api = APIServer(services: services, logger: logger)
        try api.start()
        guard let url = URL(string: "http://127.0.0.1:\(api.port)") else { throw HTTPTestClientError("no base URL") }
        baseURL = url
    }

    deinit {
        api.shutdown(timeout: .seconds(5))
        background?.stop(timeout: .seconds(5))
    }

    /// Waits until the log holds a published `entitlements.updated` for `customer`: the setup's
    /// changes have been announced (a later announcement may still come; tests allow for it).
    func waitUntilAnnounced(_ customer: String) -> Bool {
        let filter = EventFilter(customer: customer, types: [.entitlementsUpdated])
        return eventually(timeout: .seconds(20)) {
            (try? services.eventLog.read(after: 0, limit: 10, filter: filter).isEmpty == false) ?? false
        }
    }

    /// Starts the background services of `serve` (events are published and announced as changes commit).
    func startEvents() throws {
        let background = try services.backgroundServices(templates: nil)
        background.start()
        self.background = background
    }

    private static func services(store: TestDatabase, listen: String, environment: [String: String], logger: Logger) throws -> Services {
        var variables = ["TOLLGATE_LISTEN": listen, "TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_API_KEY_CACHE_SECONDS": "0"]
        variables.merge(environment) { _, new in new }
        return Services(
            configuration: try Configuration(environment: variables), database: store.database,
            migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: logger)
    }

    /// A client of this server with the read key (or `apiKey`). It does not follow the event stream
    /// unless `follow` (the TTL tests measure the TTL alone; `ClientStreamTests` follow).
    func client(
        ttl: Duration = .seconds(60), maxStale: Duration = .seconds(3600), retryInterval: Duration = .zero,
        timeout: Duration = .seconds(2), fallback: FallbackPolicy = FallbackPolicy(), apiKey: String? = nil, follow: Bool = false,
        streamIdleTimeout: Duration = .seconds(45)
    ) -> TollgateClient {
        var configuration = TollgateClientConfiguration(
            baseURL: baseURL, apiKey: apiKey ?? readToken, cacheTTL: ttl, requestTimeout: timeout, maxStale: maxStale,
            retryInterval: retryInterval, fallback: fallback)
        configuration.followEvents = follow
        configuration.eventStreamIdleTimeout = streamIdleTimeout
        let clock = self.clock
        configuration.clock = { clock.now }
        return TollgateClient(configuration: configuration)
    }

    /// How many snapshot requests the server answered with `status`, once at least `expected`
    /// were counted or 5 seconds passed: the server counts a request just after sending its
    /// response, so the count may lag the client by a moment.
    func snapshotRequests(_ status: Int, expected: Int = 0) async -> Int {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let count = api.server.metrics.requestCount(method: "GET", route: Self.snapshotRoute, status: status)
            if count >= expected || ContinuousClock.now >= deadline { return count }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops the server: it stops accepting, and the port refuses connections.
    func stop() {
        api.shutdown(timeout: .seconds(5))
        background?.stop(timeout: .seconds(5))
    }

    /// Starts a new server on the port the first one had, over the same store (and new background
    /// services, when they ran).
    func restart() throws {
        let port = baseURL.port ?? 0
        let services = try Self.services(store: store, listen: "127.0.0.1:\(port)", environment: environment, logger: logger)
        let server = APIServer(services: services, logger: logger)
        try server.start()
        api = server
        if background != nil {
            let background = try services.backgroundServices(templates: nil)
            background.start()
            self.background = background
        }
    }
}

/// The time the harness's clients measure their TTL, max-stale and retry interval on: it moves
/// only when a test moves it, so "within the TTL" holds however busy the machine is.
final class ClientTestClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    var now: ContinuousClock.Instant { instant.withLock { $0 } }

    func advance(by duration: Duration) { instant.withLock { $0 += duration } }
}
