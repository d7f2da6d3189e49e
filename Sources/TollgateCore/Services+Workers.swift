import Foundation
package import TollgateBase
package import TollgateBilling
import TollgateEntitlements
package import TollgateEvents
import TollgateLogging
package import TollgateMail
package import TollgateOutbox
import TollgateStripe
package import TollgateWebhookEndpoints

// The background workers and tools of a running service, each built from the one `Services`
// (the composition root): the modules they live in know nothing of `Services`.

extension StripeEventApplier {
    /// The applier of a running service: its store, its configured attempts, the inbox's signal,
    /// and the entitlement cache's invalidation. `overriding` replaces handlers by type (tests).
    package convenience init(services: Services, options: Options? = nil, overriding: [String: StripeEventHandler] = [:]) {
        var handlers = StripeEventHandlers.all
        if let stripe = services.stripe {
            for type in services.configuration.stripeRefetchTypes {
                handlers[type]?.refresh = StripeEventHandlers.refetch(with: stripe)
            }
        }
        handlers.merge(overriding) { _, new in new }
        let entitlements = services.entitlements
        self.init(
            database: services.database, options: options ?? Options(maxAttempts: services.configuration.stripeWebhookMaxAttempts),
            handlers: handlers, stripe: services.stripe, signal: services.stripeEventsArrived, logger: services.logger.labeled("stripe-applier"),
            didChange: { entitlements.invalidate(customer: $0) }, metrics: services.metrics)
    }
}

extension StripeReconciler {
    /// The reconciler of a service: its store, a Stripe client from its configuration, and its
    /// entitlement cache. Throws `stripe_not_configured` (``BillingError``) without
    /// `TOLLGATE_STRIPE_API_KEY`.
    package init(services: Services) throws {
        guard let stripe = services.stripe else { throw BillingError.notConfigured }
        let entitlements = services.entitlements
        self.init(
            database: services.database, stripe: stripe, logger: services.logger.labeled("stripe-sync"),
            didChange: { entitlements.invalidate(customer: $0) })
    }
}

extension OutboxWorker {
    /// The worker of a running service: its store, its mail settings, `templates` (by default the
    /// templates found like the migrations, loaded and checked now), and the configured rate-limit
    /// backend. Nil when `TOLLGATE_MAIL_URL` is unset (mail is then queued but not sent).
    package convenience init?(services: Services, templates: TemplateSet? = nil, options: Options = Options()) throws {
        guard let settings = services.configuration.mail else { return nil }
        let templates = try templates ?? services.configuration.mailTemplates()
        self.init(
            database: services.database, settings: settings, templates: templates, rateLimits: services.rateLimits.backend,
            options: options, logger: services.logger.labeled("outbox"), clock: services.clock, metrics: services.metrics)
    }
}

extension WebhookDeliveryWorker {
    /// The sender of a running service: its store, its event log, the `TOLLGATE_WEBHOOK_*` options.
    package convenience init(services: Services, options: WebhookDeliveryOptions? = nil) {
        self.init(
            database: services.database, events: services.eventLog, options: options ?? services.configuration.webhookDelivery,
            logger: services.logger.labeled("webhook-delivery"), clock: services.clock, metrics: services.metrics)
    }
}

extension EventRetention {
    /// The retention of a running service: the event log and the webhook endpoints' finished
    /// deliveries, older than `days` (default `TOLLGATE_EVENT_RETENTION_DAYS`); `serve` runs it
    /// hourly, `tollgate events purge` once.
    package convenience init(services: Services, days: Int? = nil) {
        let endpoints = services.webhookEndpoints
        self.init(
            log: services.eventLog, days: days ?? services.configuration.eventRetentionDays,
            also: [("webhook_deliveries", { try endpoints.purgeDeliveries(before: $0) })], logger: services.logger.labeled("retention"))
    }
}

extension CreditTopUpWorker {
    /// The top-up worker of a running service: its store, its credits, its Stripe client (a
    /// top-up without one is recorded as failed), every `TOLLGATE_CREDIT_TOP_UP_INTERVAL_SECONDS`.
    package convenience init(services: Services) {
        let entitlements = services.entitlements
        self.init(
            database: services.database, topUps: CreditTopUps(credits: entitlements.credits), stripe: services.stripe,
            interval: .seconds(services.configuration.creditTopUpIntervalSeconds), logger: services.logger.labeled("credit-top-up"),
            didChange: { entitlements.invalidate(customer: $0) })
    }
}

extension MeterEventExporter {
    /// The meter-event exporter of a running service: its store, catalog and Stripe client, the
    /// `TOLLGATE_STRIPE_USAGE_*` options.
    package convenience init(services: Services) {
        self.init(
            database: services.database, catalog: services.catalog, stripe: services.stripe, options: services.configuration.usageExport,
            logger: services.logger.labeled("meter-export"))
    }
}

extension UsageExportStatus {
    /// The export's status over a service's store, with its configured rules.
    package init(services: Services) {
        self.init(store: UsageExportStore(database: services.database, rules: services.configuration.usageExport.rules), database: services.database)
    }
}

extension SeatQuantitySync {
    /// The seat-quantity sync of a running service: at most one update per Stripe subscription per
    /// `TOLLGATE_SEAT_SYNC_INTERVAL_SECONDS`.
    package convenience init(services: Services) {
        self.init(
            database: services.database, catalog: services.catalog, billing: services.billing,
            interval: TimeInterval(services.configuration.seatSyncIntervalSeconds), logger: services.logger.labeled("seat-quantity-sync"))
    }
}

extension Services {
    /// What `serve` runs beside the API, in the order it starts them: the event publisher, the
    /// entitlement scheduler (`entitlements.updated` as changes commit and time passes), the Stripe
    /// event applier, the outbox worker when mail is configured (`templates`: already loaded and
    /// checked), the webhook-endpoint sender unless `TOLLGATE_WEBHOOK_WORKERS` is 0, and the
    /// automatic credit top-ups, the meter-event export and the seat-quantity sync (plans with
    /// `seat_billing`) when Stripe is configured.
    package func backgroundServices(templates: TemplateSet?) throws -> BackgroundServices {
        var members: [any BackgroundService] = [
            EventPublisher(log: eventLog, logger: logger.labeled("events")),
            EntitlementScheduler(entitlements: entitlements, logger: logger.labeled("entitlement-scheduler")),
            StripeEventApplier(services: self),
            EventRetention(services: self),
        ]
        if let mailer = try OutboxWorker(services: self, templates: templates) { members.append(mailer) }
        if configuration.webhookDelivery.workers > 0 { members.append(WebhookDeliveryWorker(services: self)) }
        if stripe != nil {
            members.append(CreditTopUpWorker(services: self))
            members.append(MeterEventExporter(services: self))
            members.append(SeatQuantitySync(services: self))
        }
        return BackgroundServices(members)
    }
}
