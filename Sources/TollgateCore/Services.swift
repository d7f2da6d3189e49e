import Tollgate
public import TollgateBilling
public import TollgateEntitlements
public import TollgateIntegrations
public import TollgateLogging
public import TollgateOutbox
public import TollgateStore
public import TollgateStripe

/// The service's long-lived parts, opened once from the configuration and shared by the HTTP
/// API, the CLI commands and the background workers.
public struct Services: Sendable {
    public let configuration: Configuration
    public let database: any Database
    public let apiKeys: APIKeyRepository
    public let keyVerifier: APIKeyVerifier
    public let customers: CustomerRepository
    public let idempotency: IdempotencyStore
    public let catalog: CatalogRepository
    public let subscriptions: SubscriptionRepository
    public let grants: GrantRepository
    public let entitlements: EntitlementService
    public let rateLimits: RateLimitService
    public let schema: SchemaCheck
    /// Stored Stripe events: listing, showing, replaying.
    public let stripeEvents: StripeEventStore
    /// `POST /webhooks/stripe`: verification and durable intake.
    public let webhooks: WebhookInbox
    /// Rung by the inbox when an event is stored; the applier waits on it.
    public let stripeEventsArrived: WorkSignal
    /// The Stripe API client, when `TOLLGATE_STRIPE_API_KEY` is set; nil otherwise.
    public let stripe: StripeClient?
    /// Catalog push, checkout, portal and plan changes through Stripe (they answer
    /// ``BillingError/Code/stripeNotConfigured`` when ``stripe`` is nil).
    public let billing: StripeBilling
    public let catalogPush: StripeCatalogPush
    /// Queued mail: listing, showing, retrying, purging (the worker is ``OutboxWorker``).
    public let outbox: OutboxStore
    /// Addresses never mailed.
    public let suppressions: SuppressionList
    /// OAuth connections: start, callback, fresh tokens, disconnect (see ``IntegrationService``).
    public let integrations: IntegrationService
    public let logger: Logger
    /// The time of day for what compares with it (webhook signature tolerance, …); tests fix it.
    public let clock: WallClock

    /// Opens the store named by the configuration. Nothing is migrated here.
    public static func open(configuration: Configuration, logger: Logger) throws -> Services {
        let database = try openDatabase(configuration.database, poolSize: configuration.databasePoolSize, logger: logger.labeled("store"))
        let migrations = try MigrationsDirectory.locate(configured: configuration.migrationsDirectory)
        return Services(configuration: configuration, database: database, migrationsRoot: migrations, logger: logger)
    }

    public init(configuration: Configuration, database: any Database, migrationsRoot: String, logger: Logger, clock: WallClock = .system) {
        self.configuration = configuration
        self.clock = clock
        self.database = database
        let repository = APIKeyRepository(database: database)
        apiKeys = repository
        keyVerifier = APIKeyVerifier(repository: repository, cacheTTL: .milliseconds(Int(configuration.apiKeyCacheSeconds * 1000)))
        customers = CustomerRepository(database: database)
        idempotency = IdempotencyStore(database: database, logger: logger.labeled("idempotency"))
        let snapshots = configuration.entitlementCacheMilliseconds > 0
            ? SnapshotCache(ttl: .milliseconds(configuration.entitlementCacheMilliseconds)) : nil
        let entitlements = EntitlementService(
            database: database, policy: AccessPolicy(pastDueGracePeriod: configuration.pastDueGraceDays * 86_400), cache: snapshots)
        self.entitlements = entitlements
        let rateLimitBackend: any RateLimitBackend = switch configuration.rateLimitBackend {
        case .memory: MemoryRateLimitBackend()
        case .store: StoreRateLimitBackend(database: database)
        }
        rateLimits = RateLimitService(backend: rateLimitBackend, entitlements: entitlements)
        catalog = CatalogRepository(database: database, didChange: { snapshots?.invalidateAll() })
        subscriptions = SubscriptionRepository(
            database: database, observer: BillingMail.subscriptionObserver, didChange: { entitlements.invalidate(customer: $0) })
        grants = GrantRepository(database: database, didChange: { entitlements.invalidate(customer: $0) })
        let events = StripeEventStore(database: database)
        let arrived = WorkSignal()
        stripeEvents = events
        stripeEventsArrived = arrived
        webhooks = WebhookInbox(secrets: configuration.stripeWebhookSecrets, store: events, arrived: arrived, clock: clock)
        let stripe = configuration.stripe.map { StripeClient(configuration: $0, logger: logger) }
        self.stripe = stripe
        billing = StripeBilling(stripe: stripe, customers: customers, subscriptions: subscriptions, catalog: catalog)
        catalogPush = StripeCatalogPush(stripe: stripe, catalog: catalog, logger: logger.labeled("catalog-push"))
        outbox = OutboxStore(database: database)
        suppressions = SuppressionList(database: database)
        schema = SchemaCheck(migrator: Migrator(database: database, root: migrationsRoot, logger: logger.labeled("migrator")))
        integrations = IntegrationService(
            database: database, settings: configuration.integrations, entitlements: entitlements, logger: logger)
        self.logger = logger
    }
}

/// Whether the store's schema is what this build expects.
public struct SchemaCheck: Sendable {
    public let migrator: Migrator

    /// Nil when the schema is current; otherwise what is wrong, in words for an operator.
    public func pendingDescription() throws -> String? {
        let statuses = try migrator.status()
        if let mismatch = statuses.first(where: { $0.state == .checksumMismatch }) {
            return "migration \(mismatch.version) (\(mismatch.name)) was edited after it was applied"
        }
        let pending = statuses.filter { $0.state == .pending }.count
        return pending == 0 ? nil : "\(pending) migration\(pending == 1 ? "" : "s") pending; run `tollgate migrate`"
    }
}
