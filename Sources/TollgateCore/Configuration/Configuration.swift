import Foundation
import TollgateLogging
import Tollgate
import TollgateStore
import TollgateStripe

/// The service's configuration, read once from the environment at start-up and validated there.
///
/// Every variable, its default and its meaning are listed in ``Configuration/variables``;
/// `tollgate config check` prints them with secrets redacted.
public struct Configuration: Sendable {
    /// `TOLLGATE_LISTEN`: where the HTTP server binds. Default `127.0.0.1:8080`.
    public var listen: ListenAddress
    /// `TOLLGATE_DATABASE_URL`: `sqlite:PATH` (default `sqlite:./tollgate.db`) or a libpq URI.
    public var databaseURL: String
    public var database: DatabaseLocation
    /// `TOLLGATE_DATABASE_POOL_SIZE`: connections per process. Default 8.
    public var databasePoolSize: Int
    /// `TOLLGATE_LOG_LEVEL`: trace, debug, info (default), notice, warning, error, critical, off.
    public var logLevel: LogLevel
    /// `TOLLGATE_HTTP_IDLE_TIMEOUT`: seconds an idle or stalled connection is kept. Default 30.
    public var httpIdleTimeout: Int
    /// `TOLLGATE_HTTP_MAX_CONNECTIONS`: concurrent connections accepted. Default 1024.
    public var httpMaxConnections: Int
    /// `TOLLGATE_SHUTDOWN_TIMEOUT`: seconds graceful shutdown waits for in-flight work. Default 30.
    public var shutdownTimeout: Int
    /// `TOLLGATE_API_KEY_CACHE_SECONDS`: how long a verified API key is trusted without a store
    /// read; a revoked key stops working within this time. Default 5; 0 disables the cache.
    public var apiKeyCacheSeconds: Double
    /// `TOLLGATE_PAST_DUE_GRACE_DAYS`: days a past-due subscription keeps its entitlements,
    /// counted from the first failed payment. Default 7.
    public var pastDueGraceDays: Double
    /// `TOLLGATE_ENTITLEMENT_CACHE_MS`: how long a customer's computed entitlements answer checks
    /// without a store read. Changes made through this process apply at once; changes made by other
    /// instances or the CLI within this time. Default 1000; 0 disables the cache.
    public var entitlementCacheMilliseconds: Int
    /// `TOLLGATE_RATE_LIMIT_BACKEND`: `memory` (one instance; default) or `store` (shared by every
    /// instance on the same database; PostgreSQL decides on its own clock in one statement).
    public var rateLimitBackend: RateLimitBackendKind
    /// `TOLLGATE_API_RATE_LIMIT`: the limit on Tollgate's own API per API key, `LIMIT/SECONDS:BURST`
    /// (default `10000/1:20000`), or `off`.
    public var apiRateLimit: RateLimitPolicy?
    /// `TOLLGATE_MIGRATIONS_DIR`: the folder holding `sqlite/` and `postgres/`. Default: the
    /// first `migrations` folder found in the working directory or above the executable.
    public var migrationsDirectory: String?
    /// `TOLLGATE_STRIPE_API_KEY`: the Stripe secret key (`sk_…`). Optional; secret.
    public var stripeAPIKey: String?
    /// `TOLLGATE_STRIPE_API_BASE`: scheme, host and port of the Stripe API, no trailing slash.
    /// Default `https://api.stripe.com`; tests point it at localstripe or a scripted fake.
    public var stripeAPIBase: String
    /// `TOLLGATE_STRIPE_WEBHOOK_SECRET`: the webhook endpoint's signing secrets (`whsec_…`),
    /// comma-separated so a rolled secret and its successor both verify during rotation. Optional;
    /// secret. Empty: `POST /webhooks/stripe` answers 503 `webhooks_not_configured`.
    public var stripeWebhookSecrets: [String]
    /// `TOLLGATE_STRIPE_WEBHOOK_MAX_ATTEMPTS`: how many times the applier tries an event before it
    /// is marked `failed`. Default 8.
    public var stripeWebhookMaxAttempts: Int
    /// `TOLLGATE_STRIPE_REFETCH_TYPES`: event types whose object the applier re-fetches from Stripe
    /// before applying (comma-separated, e.g. `customer.subscription.updated`); default none.
    public var stripeRefetchTypes: [String]
    /// The outbox worker's settings, when `TOLLGATE_MAIL_URL` is set (see ``MailSettings``).
    public var mail: MailSettings?
    /// OAuth providers, the encryption key and the callback's public URL (see ``IntegrationSettings``).
    public var integrations: IntegrationSettings
    /// `TOLLGATE_TEMPLATES_DIR`: the mail templates folder. Default: the first `templates` folder
    /// found like the migrations.
    public var templatesDirectory: String?

    /// The defaults, as a new user gets them with no variable set.
    public static let defaults: [String: String] = [
        "TOLLGATE_LISTEN": "127.0.0.1:8080",
        "TOLLGATE_DATABASE_URL": "sqlite:./tollgate.db",
        "TOLLGATE_DATABASE_POOL_SIZE": "8",
        "TOLLGATE_LOG_LEVEL": "info",
        "TOLLGATE_HTTP_IDLE_TIMEOUT": "30",
        "TOLLGATE_HTTP_MAX_CONNECTIONS": "1024",
        "TOLLGATE_SHUTDOWN_TIMEOUT": "30",
        "TOLLGATE_API_KEY_CACHE_SECONDS": "5",
        "TOLLGATE_PAST_DUE_GRACE_DAYS": "7",
        "TOLLGATE_ENTITLEMENT_CACHE_MS": "1000",
        "TOLLGATE_RATE_LIMIT_BACKEND": "memory",
        "TOLLGATE_API_RATE_LIMIT": "10000/1:20000",
        "TOLLGATE_STRIPE_WEBHOOK_MAX_ATTEMPTS": "8",
        "TOLLGATE_STRIPE_API_BASE": "https://api.stripe.com",
    ].merging(MailSettings.defaults) { first, _ in first }.merging(IntegrationSettings.defaults) { first, _ in first }

    /// Every variable the service reads, with whether its value is secret.
    public static let variables: [(name: String, secret: Bool, summary: String)] = [
        ("TOLLGATE_LISTEN", false, "HOST:PORT the HTTP server binds (IPv6 as [ADDR]:PORT)"),
        ("TOLLGATE_DATABASE_URL", true, "sqlite:PATH, sqlite::memory: or a libpq URI postgres://…"),
        ("TOLLGATE_DATABASE_POOL_SIZE", false, "store connections per process (1–200)"),
        ("TOLLGATE_LOG_LEVEL", false, "trace, debug, info, notice, warning, error, critical or off"),
        ("TOLLGATE_HTTP_IDLE_TIMEOUT", false, "seconds before an idle or stalled connection is closed (1–3600)"),
        ("TOLLGATE_HTTP_MAX_CONNECTIONS", false, "concurrent connections accepted (1–100000)"),
        ("TOLLGATE_SHUTDOWN_TIMEOUT", false, "seconds to finish in-flight work on SIGTERM/SIGINT (0–3600)"),
        ("TOLLGATE_API_KEY_CACHE_SECONDS", false, "seconds a verified API key is cached (0–300)"),
        ("TOLLGATE_PAST_DUE_GRACE_DAYS", false, "days a past-due subscription keeps access after the first failed payment (0–90)"),
        ("TOLLGATE_ENTITLEMENT_CACHE_MS", false, "milliseconds computed entitlements answer checks without a store read (0–60000)"),
        ("TOLLGATE_RATE_LIMIT_BACKEND", false, "memory (one instance) or store (shared through the database)"),
        ("TOLLGATE_API_RATE_LIMIT", false, "Tollgate's own API per API key: LIMIT/SECONDS:BURST, or off"),
        ("TOLLGATE_STRIPE_REFETCH_TYPES", false, "event types whose object is re-fetched from Stripe before applying (comma-separated)"),
        ("TOLLGATE_MIGRATIONS_DIR", false, "folder with sqlite/ and postgres/ migrations"),
        ("TOLLGATE_STRIPE_API_KEY", true, "Stripe secret key (sk_…); unset disables catalog push, checkout, portal and plan changes"),
        ("TOLLGATE_STRIPE_API_BASE", false, "Stripe API base URL, http(s)://host[:port] without a trailing slash"),
        ("TOLLGATE_STRIPE_WEBHOOK_SECRET", true, "webhook signing secrets (whsec_…), comma-separated during rotation; unset disables POST /webhooks/stripe"),
        ("TOLLGATE_STRIPE_WEBHOOK_MAX_ATTEMPTS", false, "attempts before a stored Stripe event is marked failed (1–100)"),
    ] + MailSettings.variables + IntegrationSettings.variables

    /// Reads and validates the configuration. The error names the variable at fault.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        let reader = EnvironmentReader(environment: environment, defaults: Self.defaults)
        listen = try reader.parse("TOLLGATE_LISTEN") { text throws(ConfigurationError) in try ListenAddress(parsing: text) }
        databaseURL = try reader.string("TOLLGATE_DATABASE_URL")
        do {
            database = try DatabaseLocation(url: databaseURL)
        } catch {
            throw ConfigurationError(variable: "TOLLGATE_DATABASE_URL", message: error.message)
        }
        databasePoolSize = try reader.integer("TOLLGATE_DATABASE_POOL_SIZE", in: 1...200)
        logLevel = try reader.parse("TOLLGATE_LOG_LEVEL") { text throws(ConfigurationError) in
            guard let level = LogLevel(name: text) else {
                throw ConfigurationError(variable: "TOLLGATE_LOG_LEVEL", message: "expected one of \(LogLevel.allCases.map(\.description).joined(separator: ", "))")
            }
            return level
        }
        httpIdleTimeout = try reader.integer("TOLLGATE_HTTP_IDLE_TIMEOUT", in: 1...3600)
        httpMaxConnections = try reader.integer("TOLLGATE_HTTP_MAX_CONNECTIONS", in: 1...100_000)
        shutdownTimeout = try reader.integer("TOLLGATE_SHUTDOWN_TIMEOUT", in: 0...3600)
        apiKeyCacheSeconds = Double(try reader.integer("TOLLGATE_API_KEY_CACHE_SECONDS", in: 0...300))
        pastDueGraceDays = Double(try reader.integer("TOLLGATE_PAST_DUE_GRACE_DAYS", in: 0...90))
        entitlementCacheMilliseconds = try reader.integer("TOLLGATE_ENTITLEMENT_CACHE_MS", in: 0...60_000)
        rateLimitBackend = try reader.parse("TOLLGATE_RATE_LIMIT_BACKEND") { text throws(ConfigurationError) in
            guard let kind = RateLimitBackendKind(rawValue: text) else {
                throw ConfigurationError(variable: "TOLLGATE_RATE_LIMIT_BACKEND", message: "expected memory or store, got \"\(text)\"")
            }
            return kind
        }
        apiRateLimit = try reader.parse("TOLLGATE_API_RATE_LIMIT") { text throws(ConfigurationError) in
            try Self.parseRateLimit(text, variable: "TOLLGATE_API_RATE_LIMIT")
        }
        migrationsDirectory = reader.optional("TOLLGATE_MIGRATIONS_DIR")
        stripeAPIKey = reader.optional("TOLLGATE_STRIPE_API_KEY")
        stripeAPIBase = try reader.string("TOLLGATE_STRIPE_API_BASE")
        guard Self.isValidStripeBase(stripeAPIBase) else {
            throw ConfigurationError(variable: "TOLLGATE_STRIPE_API_BASE", message: "must be http(s)://host[:port] without a path or a trailing slash")
        }
        stripeWebhookSecrets = (reader.optional("TOLLGATE_STRIPE_WEBHOOK_SECRET") ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        stripeWebhookMaxAttempts = try reader.integer("TOLLGATE_STRIPE_WEBHOOK_MAX_ATTEMPTS", in: 1...100)
        stripeRefetchTypes = (reader.optional("TOLLGATE_STRIPE_REFETCH_TYPES") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for type in stripeRefetchTypes where StripeEventHandlers.refetchable[type] == nil {
            throw ConfigurationError(
                variable: "TOLLGATE_STRIPE_REFETCH_TYPES",
                message: "\(type) cannot be re-fetched; use customer.subscription.* or customer.updated")
        }
        mail = try MailSettings(reader: reader)
        integrations = try IntegrationSettings(reader: reader)
        templatesDirectory = reader.optional("TOLLGATE_TEMPLATES_DIR")
        self.environment = environment
        if let stripe {
            do {
                try stripe.validate()
            } catch {
                throw ConfigurationError(variable: "TOLLGATE_STRIPE_API_KEY", message: error.message)
            }
        }
    }

    private let environment: [String: String]

    /// Each variable with its effective value (secrets redacted) and where it came from.
    public func redactedEntries() -> [(name: String, value: String, source: String)] {
        Self.variables.map { variable in
            let explicit = environment[variable.name]
            let value: String
            switch variable.name {
            case "TOLLGATE_DATABASE_URL": value = Redaction.databaseURL(databaseURL)
            case "TOLLGATE_MIGRATIONS_DIR": value = migrationsDirectory ?? "(auto)"
            case "TOLLGATE_TEMPLATES_DIR": value = templatesDirectory ?? "(auto)"
            case "TOLLGATE_MAIL_URL": value = mail.map { "\($0.transport)" } ?? "(unset: mail is queued, not sent)"
            default:
                let effective = explicit.flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaults[variable.name]
                value = variable.secret ? (effective == nil ? "(unset)" : Redaction.mask) : (effective ?? "")
            }
            return (variable.name, value, explicit == nil ? "default" : "environment")
        }
    }
}

extension Configuration {
    /// The Stripe client's configuration, when `TOLLGATE_STRIPE_API_KEY` is set (validated at start-up).
    public var stripe: StripeConfiguration? {
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
public enum RateLimitBackendKind: String, Sendable {
    case memory, store
}

extension Configuration {
    /// `LIMIT/SECONDS:BURST` (`10000/1:20000`), `LIMIT/SECONDS` (burst = limit), or `off`.
    static func parseRateLimit(_ text: String, variable: String, name: String = "api") throws(ConfigurationError) -> RateLimitPolicy? {
        if text == "off" { return nil }
        let fail = ConfigurationError(variable: variable, message: "expected LIMIT/SECONDS:BURST such as 10000/1:20000, or off; got \"\(text)\"")
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let rate = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, rate.count == 2, let limit = Int(rate[0]), let window = Int(rate[1]),
              limit > 0, window > 0, limit <= 100_000_000, window <= 86_400 else { throw fail }
        let burst = parts.count == 2 ? Int(parts[1]) : limit
        guard let burst, burst > 0, burst <= 100_000_000 else { throw fail }
        return RateLimitPolicy(name: name, limit: limit, windowSeconds: window, burst: burst)
    }
}

/// A configuration value that failed validation; the message names the variable.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var variable: String
    public var message: String

    public init(variable: String, message: String) {
        self.variable = variable
        self.message = message
    }

    public var description: String { "\(variable): \(message)" }
}
