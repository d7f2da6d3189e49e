import Foundation
import Tollgate
import TollgateLogging
import TollgateStore

/// The declarations of the configuration variables (``Setting``), one per variable, grouped by
/// concern; ``Configuration/settings`` lists them in the order they are printed and documented.
///
/// To add a variable: declare it in its group here (or in `Settings+Mail.swift`,
/// `Settings+Stripe.swift`, `Settings+Integrations.swift`) and add it to the group's list; read it
/// where the configuration is assembled (`values[Settings.name]` into a property); rewrite the
/// configuration reference (`docs/configuration.md`) with `TOLLGATE_RECORD_DOCS=1 swift test --filter configurationReferenceIsTheRenderedTable`.
/// `SettingsTableTests` fails until all three agree.
enum Settings {
    /// The service's own variables, in table order.
    static let service: [any SettingDescription] = [
        listen, databaseURL, databasePoolSize, logLevel, accessLog, httpIdleTimeout, httpMaxConnections, eventStreamHeartbeat, eventStreamLimit,
        shutdownTimeout, apiKeyCacheSeconds, entitlementCacheMilliseconds, rateLimitBackend, apiRateLimit, pastDueGraceDays,
        eventRetentionDays, migrationsDirectory,
    ]

    static let listen = Setting(
        "TOLLGATE_LISTEN",
        SettingFormat<ListenAddress>(accepts: "`HOST:PORT`", parse: { text throws(SettingProblem) in try ListenAddress(parsing: text) }, text: { $0.description }),
        default: ListenAddress(host: "127.0.0.1", port: 8080),
        summary: "where the HTTP server binds (`[::1]:8080` for IPv6; port 0 picks a free port)")

    static let databaseURL = Setting(
        "TOLLGATE_DATABASE_URL",
        SettingFormat<DatabaseLocation>(
            accepts: "`sqlite:PATH`, `sqlite::memory:` or `postgres://…`",
            parse: { text throws(SettingProblem) in
                do throws(StoreError) {
                    return try DatabaseLocation(url: text)
                } catch {
                    throw SettingProblem(error.message)
                }
            },
            text: { location in
                switch location {
                case .sqlite(let path): "sqlite:" + path
                case .postgres(let uri): uri
                }
            }),
        default: .sqlite(path: "./tollgate.db"), secrecy: .masked(Redaction.databaseURL),
        summary: "the store; a libpq URI is passed to libpq unchanged (its password is masked when printed)")

    static let databasePoolSize = Setting(
        "TOLLGATE_DATABASE_POOL_SIZE", .integer(1...200), default: 8, summary: "store connections per process")

    static let logLevel = Setting(
        "TOLLGATE_LOG_LEVEL", .oneOf(LogLevel.allCases, name: \.description, normalize: { $0.lowercased() }), default: LogLevel.info,
        summary: "the least severe level logged; logs are JSON lines on stderr")

    static let accessLog = Setting(
        "TOLLGATE_ACCESS_LOG", .oneOf([true, false], name: { $0 ? "on" : "off" }), default: true,
        summary: "`on`: a log line per request at `info` (method, route pattern, status, duration in ms, `request_id`); `off`: none")

    static let httpIdleTimeout = Setting(
        "TOLLGATE_HTTP_IDLE_TIMEOUT", .integer(1...3600), default: 30, summary: "seconds before an idle or stalled connection is closed")

    static let httpMaxConnections = Setting(
        "TOLLGATE_HTTP_MAX_CONNECTIONS", .integer(1...100_000), default: 1024, summary: "concurrent connections accepted")

    static let eventStreamHeartbeat = Setting(
        "TOLLGATE_EVENT_STREAM_HEARTBEAT", .integer(1...300), default: 15,
        summary: "seconds of silence after which a live event stream (`/v1/events/stream`) sends a heartbeat; at most half of "
            + "`TOLLGATE_HTTP_IDLE_TIMEOUT` is used")

    static let eventStreamLimit = Setting(
        "TOLLGATE_EVENT_STREAM_LIMIT", .integer(0...100_000), default: 256,
        summary: "live event streams open at once (each holds a connection and, by default, a thread); one more is answered 503")

    static let shutdownTimeout = Setting(
        "TOLLGATE_SHUTDOWN_TIMEOUT", .integer(0...3600), default: 30, summary: "seconds to finish in-flight work on SIGTERM/SIGINT")

    static let apiKeyCacheSeconds = Setting(
        "TOLLGATE_API_KEY_CACHE_SECONDS", .integer(0...300), default: 5,
        summary: "seconds a verified key is trusted without a store read (a revoked key stops working within this time); `0` turns the cache off")

    static let entitlementCacheMilliseconds = Setting(
        "TOLLGATE_ENTITLEMENT_CACHE_MS", .integer(0...60_000), default: 1000,
        summary: "milliseconds a customer's computed entitlements answer checks without a store read; changes made through this "
            + "instance apply at once, changes from other instances or the CLI within this time; `0` turns the cache off")

    static let rateLimitBackend = Setting(
        "TOLLGATE_RATE_LIMIT_BACKEND", .oneOf(RateLimitBackendKind.allCases, name: \.rawValue), default: RateLimitBackendKind.memory,
        summary: "where rate-limit state lives: `memory` (one instance) or `store` (shared by all instances on the database)")

    static let apiRateLimit = Setting(
        "TOLLGATE_API_RATE_LIMIT", .rateLimit(policy: "api"), default: RateLimitPolicy(name: "api", limit: 10_000, windowSeconds: 1, burst: 20_000),
        summary: "the limit on Tollgate's own API per API key")

    static let pastDueGraceDays = Setting(
        "TOLLGATE_PAST_DUE_GRACE_DAYS", .integer(0...90), default: 7,
        summary: "days a `past_due` subscription keeps its entitlements, from the first failed payment")

    static let eventRetentionDays = Setting(
        "TOLLGATE_EVENT_RETENTION_DAYS", .integer(1...3650), default: 30,
        summary: "days the event log keeps events (and webhook endpoints their deliveries); `serve` purges older ones hourly")

    static let migrationsDirectory = Setting(
        "TOLLGATE_MIGRATIONS_DIR", SettingFormat.text(accepts: "a folder").optional, default: nil, unset: "auto",
        summary: "folder holding `sqlite/` and `postgres/`; by default `./migrations` or the checkout the binary was built in")
}
