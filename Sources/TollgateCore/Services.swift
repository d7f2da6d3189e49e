import Tollgate
package import TollgateBilling
package import TollgateEntitlements
package import TollgateEvents
package import TollgateIntegrations
package import TollgateLogging
package import TollgateOutbox
package import TollgateStore
package import TollgateStripe
package import TollgateBase
package import TollgateEvents
package import TollgateWebhookEndpoints

/// The service's long-lived parts, opened once from the configuration and shared by the HTTP
/// API, the CLI commands and the background workers.
package struct Services: Sendable {
    package let configuration: Configuration
    package let database: any Database
    package let apiKeys: APIKeyRepository
    package let keyVerifier: APIKeyVerifier
    package let customers: CustomerRepository
    package let idempotency: IdempotencyStore
    package let catalog: CatalogRepository
    package let subscriptions: SubscriptionRepository
    package let grants: GrantRepository
    package let entitlements: EntitlementService
    /// Seats of limit features: assign, release, list, the check for a member (docs/seats.md).
    package let seats: SeatRepository
    /// The event log: what changed, appended with each change (docs/events.md).
    package let eventLog: EventLog
    package let rateLimits: RateLimitService
    package let schema: SchemaCheck
    /// Stored Stripe events: listing, showing, replaying.
    package let stripeEvents: StripeEventStore
    /// `POST /webhooks/stripe`: verification and durable intake.
    package let webhooks: WebhookInbox
    /// Rung by the inbox when an event is stored; the applier waits on it.
    package let stripeEventsArrived: WorkSignal
    /// The Stripe API client, when `TOLLGATE_STRIPE_API_KEY` is set; nil otherwise.
    package let stripe: StripeClient?
    /// Catalog push, checkout, portal and plan changes through Stripe (they answer
    /// ``BillingError/Code/stripeNotConfigured`` when ``stripe`` is nil).
    package let billing: StripeBilling
    package let catalogPush: StripeCatalogPush
    /// Queued mail: listing, showing, retrying, purging (the worker is ``OutboxWorker``).
    package let outbox: OutboxStore
    /// Addresses never mailed.
    package let suppressions: SuppressionList
    /// OAuth connections: start, callback, fresh tokens, disconnect (see ``IntegrationService``).
    package let integrations: IntegrationService
    /// Webhook endpoints and their deliveries (the sender is ``WebhookDeliveryWorker``).
    package let webhookEndpoints: WebhookEndpointRepository
    package let logger: Logger
    /// What this instance counts in process, rendered on `/metrics` (each module records its own
    /// families through it).
    package let metrics: MetricsRegistry
    /// The time of day for what compares with it (webhook signature tolerance, …); tests fix it.
    package let clock: WallClock

    /// Opens the store named by the configuration. Nothing is migrated here.
    package static func open(configuration: Configuration, logger: Logger) throws -> Services {
        let database = try openDatabase(configuration.database, poolSize: configuration.databasePoolSize, logger: logger.labeled("store"))
        let migrations = try MigrationsDirectory.locate(configured: configuration.migrationsDirectory)
        return Services(configuration: configuration, database: database, migrationsRoot: migrations, logger: logger)
    }

    package init(configuration: Configuration, database: any Database, migrationsRoot: String, logger: Logger, clock: WallClock = .system) {
        self.configuration = configuration
        self.clock = clock
        self.database = database
        let metrics = MetricsRegistry()
        self.metrics = metrics
        let repository = APIKeyRepository(database: database)
        apiKeys = repository
        keyVerifier = APIKeyVerifier(repository: repository, cacheTTL: .milliseconds(Int(configuration.apiKeyCacheSeconds * 1000)))
        customers = CustomerRepository(database: database)
        idempotency = IdempotencyStore(database: database, logger: logger.labeled("idempotency"))
        let snapshots = configuration.entitlementCacheMilliseconds > 0
            ? SnapshotCache(ttl: .milliseconds(configuration.entitlementCacheMilliseconds)) : nil
        let eventLog = EventLog(database: database)
        self.eventLog = eventLog
        let entitlements = EntitlementService(
            database: database, policy: AccessPolicy(pastDueGracePeriod: configuration.pastDueGraceDays * 86_400), cache: snapshots,
            events: eventLog, usageAlertObserver: configuration.usageAlertMail ? UsageAlertMail.observer : .none,
            creditAlertObserver: configuration.usageAlertMail ? CreditAlertMail.observer : .none,
            seatAlertObserver: SeatOverLimitMail.observer)
        self.entitlements = entitlements
        seats = SeatRepository(entitlements: entitlements)
        let rateLimitBackend: any RateLimitBackend = switch configuration.rateLimitBackend {
        case .memory: MemoryRateLimitBackend()
        case .store: StoreRateLimitBackend(database: database)
        }
        rateLimits = RateLimitService(backend: rateLimitBackend, entitlements: entitlements, metrics: metrics)
        catalog = CatalogRepository(database: database, didChange: {
            snapshots?.invalidateAll()
            entitlements.announcementsDue.notify()
            eventLog.appended.notify()
        })
        subscriptions = SubscriptionRepository(
            database: database, observer: BillingMail.subscriptionObserver, didChange: { entitlements.invalidate(customer: $0) })
        grants = GrantRepository(database: database, didChange: { entitlements.invalidate(customer: $0) })
        let events = StripeEventStore(database: database)
        let arrived = WorkSignal()
        stripeEvents = events
        stripeEventsArrived = arrived
        webhooks = WebhookInbox(secrets: configuration.stripeWebhookSecrets, store: events, arrived: arrived, clock: clock, metrics: metrics)
        let stripe = configuration.stripe.map { StripeClient(configuration: $0, logger: logger, metrics: metrics) }
        self.stripe = stripe
        billing = StripeBilling(stripe: stripe, customers: customers, subscriptions: subscriptions, catalog: catalog)
        catalogPush = StripeCatalogPush(stripe: stripe, catalog: catalog, logger: logger.labeled("catalog-push"))
        outbox = OutboxStore(database: database)
        suppressions = SuppressionList(database: database)
        schema = SchemaCheck(migrator: Migrator(database: database, root: migrationsRoot, logger: logger.labeled("migrator")))
        integrations = IntegrationService(
            database: database, settings: configuration.integrations, entitlements: entitlements, logger: logger, metrics: metrics)
        webhookEndpoints = WebhookEndpointRepository(database: database, events: eventLog)
        self.logger = logger
    }
}

/// Whether the store's schema is what this build expects.
package struct SchemaCheck: Sendable {
    package let migrator: Migrator

    /// Nil when the schema is current; otherwise what is wrong, in words for an operator.
    package func pendingDescription() throws -> String? {
        let statuses = try migrator.status()
        if let mismatch = statuses.first(where: { $0.state == .checksumMismatch }) {
            return "migration \(mismatch.version) (\(mismatch.name)) was edited after it was applied"
        }
        let pending = statuses.filter { $0.state == .pending }.count
        return pending == 0 ? nil : "\(pending) migration\(pending == 1 ? "" : "s") pending; run `tollgate migrate`"
    }
}
