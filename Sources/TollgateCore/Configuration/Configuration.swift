import Foundation
package import Tollgate
package import TollgateIntegrations
package import TollgateLogging
package import TollgateOutbox
package import TollgateBilling
package import TollgateStore
package import TollgateStripe
package import TollgateWebhookEndpoints

/// The service's configuration, read once from the environment at start-up and validated there.
///
/// Each variable is declared once, in ``Settings`` (name, format, default, secrecy, summary);
/// ``settings`` lists them, and parsing, defaults, the errors, `tollgate config check` and the
/// configuration reference's table all come from there. A property here names its variable; its declaration says
/// the rest.
package struct Configuration: Sendable {
    /// `TOLLGATE_LISTEN`.
    package var listen: ListenAddress
    /// `TOLLGATE_DATABASE_URL` as set (or its default).
    package var databaseURL: String
    /// `TOLLGATE_DATABASE_URL`, parsed.
    package var database: DatabaseLocation
    /// `TOLLGATE_DATABASE_POOL_SIZE`.
    package var databasePoolSize: Int
    /// `TOLLGATE_LOG_LEVEL`.
    package var logLevel: LogLevel
    /// `TOLLGATE_ACCESS_LOG`: a log line per request at `info`.
    package var accessLog: Bool
    /// `TOLLGATE_HTTP_IDLE_TIMEOUT`, seconds.
    package var httpIdleTimeout: Int
    /// `TOLLGATE_HTTP_MAX_CONNECTIONS`.
    package var httpMaxConnections: Int
    /// `TOLLGATE_EVENT_STREAM_HEARTBEAT`, seconds.
    package var eventStreamHeartbeat: Int
    /// `TOLLGATE_EVENT_STREAM_LIMIT`.
    package var eventStreamLimit: Int
    /// `TOLLGATE_SHUTDOWN_TIMEOUT`, seconds.
    package var shutdownTimeout: Int
    /// `TOLLGATE_API_KEY_CACHE_SECONDS`; 0 disables the cache.
    package var apiKeyCacheSeconds: Double
    /// `TOLLGATE_PAST_DUE_GRACE_DAYS`.
    package var pastDueGraceDays: Double
    /// Days the event log keeps events (`TOLLGATE_EVENT_RETENTION_DAYS`).
    package var eventRetentionDays: Int
    /// Whether usage alerts mail the customer (`TOLLGATE_USAGE_ALERT_MAIL`).
    package var usageAlertMail: Bool
    /// `TOLLGATE_ENTITLEMENT_CACHE_MS`; 0 disables the cache.
    package var entitlementCacheMilliseconds: Int
    /// `TOLLGATE_RATE_LIMIT_BACKEND`. With `store`, PostgreSQL decides on its own clock in one statement.
    package var rateLimitBackend: RateLimitBackendKind
    /// `TOLLGATE_API_RATE_LIMIT`; nil for `off`.
    package var apiRateLimit: RateLimitPolicy?
    /// `TOLLGATE_MIGRATIONS_DIR`; nil: found (``MigrationsDirectory``).
    package var migrationsDirectory: String?
    /// `TOLLGATE_STRIPE_API_KEY`. Secret.
    package var stripeAPIKey: String?
    /// `TOLLGATE_STRIPE_API_BASE`.
    package var stripeAPIBase: String
    /// `TOLLGATE_STRIPE_WEBHOOK_SECRET`, split at commas. Secret. Empty: webhooks are off.
    package var stripeWebhookSecrets: [String]
    /// `TOLLGATE_STRIPE_WEBHOOK_MAX_ATTEMPTS`.
    package var stripeWebhookMaxAttempts: Int
    /// Seconds between the top-up worker's passes (`TOLLGATE_CREDIT_TOP_UP_INTERVAL_SECONDS`).
    package var creditTopUpIntervalSeconds: Int
    /// At most one seat-quantity update per Stripe subscription per this many seconds
    /// (`TOLLGATE_SEAT_SYNC_INTERVAL_SECONDS`).
    package var seatSyncIntervalSeconds: Int
    /// `TOLLGATE_STRIPE_REFETCH_TYPES`, split at commas.
    package var stripeRefetchTypes: [String]
    /// The meter-event export's pace, rules and interval (`TOLLGATE_STRIPE_USAGE_*`,
    /// `TOLLGATE_STRIPE_METER_EVENTS_PER_SECOND`, `TOLLGATE_STRIPE_INVOICE_GRACE_SECONDS`).
    package var usageExport: MeterEventExporter.Options
    /// The outbox worker's settings, when `TOLLGATE_MAIL_URL` is set (see ``MailSettings``).
    package var mail: MailSettings?
    /// OAuth providers, the encryption key and the callback's public URL (see ``IntegrationSettings``).
    package var integrations: IntegrationSettings
    /// `TOLLGATE_TEMPLATES_DIR`; nil: found (``TemplatesDirectory``).
    package var templatesDirectory: String?
    /// The webhook-endpoint delivery worker's settings (`TOLLGATE_WEBHOOK_*`, `TOLLGATE_OPERATOR_EMAIL`).
    package var webhookDelivery: WebhookDeliveryOptions

    /// Every variable the service reads, in the order `tollgate config check` prints them and the
    /// configuration reference's table lists them: the one table each variable is declared in (``Settings``).
    static let settings: [any SettingDescription] = Settings.service + Settings.stripe + Settings.mail + Settings.integrations
        + Settings.webhookEndpoints

    /// Reads and validates the configuration. The error names every variable at fault.
    package init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        var values = SettingValues(environment: environment, settings: Self.settings)
        try self.init(values: &values)
    }

    /// Assembles the configuration from the parsed variables; throws every problem found.
    init(values: inout SettingValues) throws(ConfigurationError) {
        listen = values[Settings.listen]
        database = values[Settings.databaseURL]
        databaseURL = values.texts[Settings.databaseURL.name] ?? Settings.databaseURL.defaultText ?? ""
        databasePoolSize = values[Settings.databasePoolSize]
        logLevel = values[Settings.logLevel]
        accessLog = values[Settings.accessLog]
        httpIdleTimeout = values[Settings.httpIdleTimeout]
        httpMaxConnections = values[Settings.httpMaxConnections]
        eventStreamHeartbeat = values[Settings.eventStreamHeartbeat]
        eventStreamLimit = values[Settings.eventStreamLimit]
        shutdownTimeout = values[Settings.shutdownTimeout]
        apiKeyCacheSeconds = Double(values[Settings.apiKeyCacheSeconds])
        pastDueGraceDays = Double(values[Settings.pastDueGraceDays])
        eventRetentionDays = values[Settings.eventRetentionDays]
        usageAlertMail = values[Settings.usageAlertMail]
        entitlementCacheMilliseconds = values[Settings.entitlementCacheMilliseconds]
        rateLimitBackend = values[Settings.rateLimitBackend]
        apiRateLimit = values[Settings.apiRateLimit]
        migrationsDirectory = values[Settings.migrationsDirectory]
        stripeAPIKey = values[Settings.stripeAPIKey]
        stripeAPIBase = values[Settings.stripeAPIBase]
        stripeWebhookSecrets = values[Settings.stripeWebhookSecret]
        stripeWebhookMaxAttempts = values[Settings.stripeWebhookMaxAttempts]
        creditTopUpIntervalSeconds = values[Settings.creditTopUpIntervalSeconds]
        seatSyncIntervalSeconds = values[Settings.seatSyncIntervalSeconds]
        stripeRefetchTypes = values[Settings.stripeRefetchTypes]
        usageExport = MeterEventExporter.Options(
            rules: UsageExportRules(
                settleSeconds: TimeInterval(values[Settings.usageExportSettleSeconds]),
                lookBackSeconds: TimeInterval(values[Settings.usageExportLookBackSeconds]),
                invoiceGraceSeconds: TimeInterval(values[Settings.invoiceGraceSeconds])),
            eventsPerSecond: Double(values[Settings.meterEventsPerSecond]), interval: .seconds(values[Settings.usageExportIntervalSeconds]))
        mail = MailSettings(values: &values)
        integrations = IntegrationSettings(values: &values)
        templatesDirectory = values[Settings.templatesDirectory]
        webhookDelivery = WebhookDeliveryOptions(values: &values)
        printable = Self.settings.map { setting in
            let text = values.texts[setting.name]
            let value = text.map(setting.secrecy.redact) ?? setting.defaultText ?? "(\(setting.unsetMeaning))"
            return (setting.name, value, values.present.contains(setting.name) ? "environment" : "default")
        }
        if let stripe, !values.hasProblem(Settings.stripeAPIKey) {
            do {
                try stripe.validate()
            } catch {
                values.fail(Settings.stripeAPIKey.name, error.message)
            }
        }
        try values.check()
    }

    /// Each variable's effective value as `config check` prints it (secrets redacted).
    private let printable: [(name: String, value: String, source: String)]

    /// Each variable with its effective value (secrets redacted) and where it came from.
    package func redactedEntries() -> [(name: String, value: String, source: String)] {
        printable
    }
}

extension Configuration {
    /// The Stripe client's configuration, when `TOLLGATE_STRIPE_API_KEY` is set (validated at start-up).
    package var stripe: StripeConfiguration? {
        guard let stripeAPIKey else { return nil }
        var configuration = StripeConfiguration(apiKey: StripeAPIKey(stripeAPIKey))
        configuration.baseURL = stripeAPIBase
        return configuration
    }

    static func isValidStripeBase(_ base: String) -> Bool {
        (base.hasPrefix("https://") || base.hasPrefix("http://")) && !base.hasSuffix("/")
            && URLComponents(string: base).map { $0.host?.isEmpty == false && ($0.path.isEmpty) && $0.query == nil } == true
    }
}

/// Where rate-limit state lives.
package enum RateLimitBackendKind: String, Sendable, CaseIterable {
    case memory, store
}

/// Configuration values that failed validation: every variable at fault, each with what is wrong.
package struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// One variable at fault.
    package struct Issue: Sendable, Equatable, CustomStringConvertible {
        package var variable: String
        package var message: String

        package init(variable: String, message: String) {
            self.variable = variable
            self.message = message
        }

        package var description: String { "\(variable): \(message)" }
    }

    /// Every variable at fault, in the order of the table (at least one).
    package var issues: [Issue]

    package init(variable: String, message: String) {
        issues = [Issue(variable: variable, message: message)]
    }

    package init(issues: [Issue]) {
        self.issues = issues
    }

    /// The first variable at fault.
    package var variable: String { issues.first?.variable ?? "" }
    /// What is wrong with the first variable at fault.
    package var message: String { issues.first?.message ?? "" }

    /// `VARIABLE: message`; several issues one per line under a count.
    package var description: String {
        guard issues.count > 1 else { return issues.first?.description ?? "invalid configuration" }
        return "\(issues.count) configuration problems:\n" + issues.map { "  \($0)" }.joined(separator: "\n")
    }
}
