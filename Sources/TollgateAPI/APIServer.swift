import Synchronization
import Tollgate
import TollgateBilling
import TollgateConsole
package import TollgateCore
import TollgateEntitlements
package import TollgateHTTPServer
package import TollgateLogging
import TollgateStore
import TollgateBase
import TollgateWire

/// The internal HTTP API: every endpoint, authentication, error mapping, served by ``HTTPServer``.
package final class APIServer: Sendable {
    package let server: HTTPServer
    package let router: Router
    package let endpoints: [Endpoint]

    package init(services: Services, logger: Logger) {
        let authentication = Authentication(verifier: services.keyVerifier)
        let idempotency = Idempotency(store: services.idempotency)
        let keyLimit = services.configuration.apiRateLimit.map {
            APIKeyRateLimit(backend: services.rateLimits.backend, policy: $0, counters: RateLimitCounters(services.metrics))
        }
        let metricsSource = MetricsSource(services: services)
        let documentHolder = DocumentHolder()
        let endpoints = OperationalRoutes.endpoints(
            services: services, metrics: { metricsSource.render() }, openAPI: { documentHolder.bytes })
            + KeyRoutes.endpoints(repository: services.apiKeys)
            + CustomerRoutes.endpoints(repository: services.customers)
            + CatalogRoutes.endpoints(repository: services.catalog)
            + SubscriptionRoutes.endpoints(repository: services.subscriptions)
            + GrantRoutes.endpoints(repository: services.grants)
            + CreditRoutes.endpoints(store: services.entitlements.credits)
            + EntitlementRoutes.endpoints(
                service: services.entitlements, seats: services.seats, checks: CheckCounters(services.metrics), usage: UsageCounters(services.metrics))
            + SeatRoutes.endpoints(seats: services.seats)
            + RateLimitRoutes.endpoints(service: services.rateLimits)
            + WebhookRoutes.endpoints(inbox: services.webhooks, events: services.stripeEvents)
            + OutboxRoutes.endpoints(outbox: services.outbox)
            + SuppressionRoutes.endpoints(suppressions: services.suppressions)
            + BillingRoutes.endpoints(push: services.catalogPush, billing: services.billing)
            + CreditCheckoutRoutes.endpoints(billing: services.billing, credits: services.entitlements.credits)
            + UsageExportRoutes.endpoints(status: UsageExportStatus(services: services), catalog: services.catalog)
            + ConnectionRoutes.endpoints(service: services.integrations)
            + EventRoutes.endpoints(log: services.eventLog)
            + EventStreamRoutes.endpoints(log: services.eventLog)
            + WebhookEndpointRoutes.endpoints(repository: services.webhookEndpoints)

        let router = Router()
        for endpoint in endpoints {
            router.register(endpoint.method, endpoint.path, options: RouteOptions(runsOnWorkerPool: endpoint.blocks)) { request in
                try Self.handle(request, endpoint: endpoint, authentication: authentication, idempotency: idempotency, keyLimit: keyLimit)
            }
        }
        AdminConsole.register(on: router, services: services, logger: logger.labeled("console"), failure: APIErrors.httpError(for:logger:))
        let configuration = services.configuration
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: configuration.listen.host, port: configuration.listen.port,
                idleTimeout: configuration.httpIdleTimeout, connectionLimit: configuration.httpMaxConnections,
                accessLogLevel: configuration.accessLog ? .info : .off,
                streamLimit: configuration.eventStreamLimit, streamHeartbeat: .seconds(configuration.eventStreamHeartbeat)),
            router: router, logger: logger.labeled("http"))
        metricsSource.attach(server.metrics)
        documentHolder.set(OpenAPIDocument.build(endpoints: endpoints, version: TollgateVersion.current))
        self.server = server
        self.router = router
        self.endpoints = endpoints
    }

    package func start() throws { try server.start() }

    /// Stops accepting, lets in-flight requests finish (up to `timeout`), then closes.
    package func shutdown(timeout: Duration) { server.shutdown(timeout: timeout) }

    package var port: Int { server.port }

    /// Authenticates when the endpoint needs a key, runs it (once per `Idempotency-Key`), and maps
    /// what it throws.
    private static func handle(
        _ request: HTTPRequest, endpoint: Endpoint, authentication: Authentication, idempotency: Idempotency, keyLimit: APIKeyRateLimit?
    ) throws -> HTTPResponse {
        do {
            if let parameter = request.parameterHoldingNUL {
                throw HTTPError(status: 400, code: "parameter_invalid", message: "\(parameter): must not contain the NUL character (U+0000)",
                                details: [.init(field: parameter, issue: "must not contain U+0000")])
            }
            guard let scope = endpoint.scope else { return try endpoint.handler(request, RequestContext()) }
            let key = try authentication.authenticate(request, requiring: scope)
            let limit = try keyLimit?.admit(key)
            var response = try idempotency.run(request, apiKey: key) {
                try endpoint.handler(request, RequestContext(apiKey: key))
            }
            if let limit, response.headers["RateLimit"] == nil {
                RateLimitHeaders.apply([("api_key", limit)], to: &response.headers)
            }
            return response
        } catch {
            throw APIErrors.httpError(for: error, logger: request.logger)
        }
    }
}

/// Tollgate's own API, limited per API key (`TOLLGATE_API_RATE_LIMIT`) in the configured backend.
struct APIKeyRateLimit: Sendable {
    let backend: any RateLimitBackend
    let gcra: GCRA
    let counters: RateLimitCounters

    init(backend: any RateLimitBackend, policy: RateLimitPolicy, counters: RateLimitCounters) {
        self.backend = backend
        gcra = GCRA(policy)
        self.counters = counters
    }

    /// The decision for one request by `key`; throws a 429 (with the headers) when denied.
    func admit(_ key: APIKey) throws -> RateLimitDecision {
        let decision = try backend.consume(key: "api_key:\(key.id)", gcra: gcra, cost: 1)
        counters.apiKey(allowed: decision.allowed)
        guard decision.allowed else {
            var error = HTTPError(status: 429, code: "rate_limited", message: "this API key is over its rate limit; retry later")
            RateLimitHeaders.apply([("api_key", decision)], to: &error.headers)
            throw error
        }
        return decision
    }
}

/// The encoded OpenAPI document, built once at start-up.
final class DocumentHolder: Sendable {
    private let document = Mutex<[UInt8]>([])

    func set(_ value: JSONValue) {
        let bytes = (try? OpenAPIDocument.encode(value)) ?? []
        document.withLock { $0 = bytes }
    }

    var bytes: [UInt8] { document.withLock { $0 } }
}
