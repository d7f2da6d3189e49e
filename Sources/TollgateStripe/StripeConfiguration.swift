/// A Stripe secret or restricted API key (`sk_…`, `rk_…`).
///
/// Its `description`, `debugDescription` and mirror are redacted, so the key cannot reach a log
/// line or an error through string interpolation or `dump`. Only ``StripeClient`` reads ``value``.
package struct StripeAPIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    static let redacted = "sk_…[redacted]"

    /// The key itself. Never log it.
    package let value: String

    package init(_ value: String) { self.value = value }

    package var description: String { Self.redacted }
    package var debugDescription: String { Self.redacted }
    package var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// How a ``StripeClient`` talks to Stripe. Every field but the key has a documented default.
package struct StripeConfiguration: Sendable, Equatable {
    /// The `Stripe-Version` this code is written against: `2026-10-28.endive`, the version the
    /// official SDKs name (stripe-python 16.1.0's `stripe.api_version`). Tollgate reads every
    /// payload shape from before 2025-03-31.basil up to this one alike (the current period on the
    /// subscription or on its items, an invoice's subscription at `subscription` or under
    /// `parent.subscription_details`, invoices with or without `paid`: `docs/stripe-billing.md`
    /// lists each change); an event rendered at a later version is stored and held
    /// (``StripeAPIVersion/isReadable(_:)``), not half-applied.
    /// Declared once, as ``StripeAPIVersion/pinned``.
    /// <https://docs.stripe.com/changelog>
    package static let pinnedAPIVersion = StripeAPIVersion.pinned.description
    package static let defaultBaseURL = "https://api.stripe.com"

    package var apiKey: StripeAPIKey
    /// Scheme, host and port, no trailing slash. Default `https://api.stripe.com`
    /// (`TOLLGATE_STRIPE_API_BASE`; tests point it at localstripe or a scripted fake).
    package var baseURL: String
    /// The `Stripe-Version` header sent with every request. Default ``pinnedAPIVersion``.
    package var apiVersion: String
    /// TCP + TLS handshake limit per attempt. Default 10 s.
    package var connectTimeout: Duration
    /// Whole-attempt limit. Default 80 s (the official SDKs' read timeout).
    package var timeout: Duration
    /// Retries after the first attempt. Default 2, as the official SDKs.
    package var maxRetries: Int
    /// Backoff before the first retry; doubles per retry. Default 0.5 s (stripe-python).
    package var initialRetryDelay: Duration
    /// The longest backoff. Default 5 s (stripe-python).
    package var maxRetryDelay: Duration
    /// A `Retry-After` up to this long is honoured; a longer one is ignored. Default 60 s (stripe-python).
    package var maxRetryAfter: Duration
    /// Objects per page when listing (Stripe allows 1…100). Default 100.
    package var listPageSize: Int
    /// A list that needs more pages than this fails instead of paging on. Default 1,000.
    package var maxListPages: Int
    /// Put before the hex digest of an operation identity to make its `Idempotency-Key`. Default `tollgate-`.
    package var idempotencyKeyPrefix: String

    package init(
        apiKey: StripeAPIKey, baseURL: String = Self.defaultBaseURL, apiVersion: String = Self.pinnedAPIVersion,
        connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(80), maxRetries: Int = 2,
        initialRetryDelay: Duration = .milliseconds(500), maxRetryDelay: Duration = .seconds(5),
        maxRetryAfter: Duration = .seconds(60), listPageSize: Int = 100, maxListPages: Int = 1000,
        idempotencyKeyPrefix: String = "tollgate-"
    ) {
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.apiVersion = apiVersion
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.initialRetryDelay = initialRetryDelay
        self.maxRetryDelay = maxRetryDelay
        self.maxRetryAfter = maxRetryAfter
        self.listPageSize = listPageSize
        self.maxListPages = maxListPages
        self.idempotencyKeyPrefix = idempotencyKeyPrefix
    }

    /// Reads `TOLLGATE_STRIPE_API_KEY` (required) and `TOLLGATE_STRIPE_API_BASE` (optional) from
    /// `environment`, and validates the result. The thrown message names the variable, never its value.
    package static func fromEnvironment(_ environment: [String: String]) throws(StripeConfigurationError) -> StripeConfiguration {
        guard let key = environment["TOLLGATE_STRIPE_API_KEY"], !key.isEmpty else {
            throw StripeConfigurationError("TOLLGATE_STRIPE_API_KEY is not set")
        }
        var configuration = StripeConfiguration(apiKey: StripeAPIKey(key))
        if let base = environment["TOLLGATE_STRIPE_API_BASE"], !base.isEmpty { configuration.baseURL = base }
        try configuration.validate()
        return configuration
    }

    /// Checks the fields; the message never quotes the key.
    package func validate() throws(StripeConfigurationError) {
        var problems: [String] = []
        if apiKey.value.isEmpty || apiKey.value.utf8.contains(where: { $0 <= 32 || $0 == 127 }) {
            problems.append("the API key is empty or has spaces or control characters")
        }
        if !(baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://")) || baseURL.hasSuffix("/") {
            problems.append("the base URL must be http(s)://host[:port] without a trailing slash")
        }
        if apiVersion.isEmpty { problems.append("the API version is empty") }
        if maxRetries < 0 { problems.append("maxRetries must not be negative") }
        if !(1...100).contains(listPageSize) { problems.append("listPageSize must be 1…100") }
        if maxListPages < 1 { problems.append("maxListPages must be at least 1") }
        if connectTimeout <= .zero || timeout <= .zero { problems.append("timeouts must be positive") }
        if initialRetryDelay < .zero || maxRetryDelay < initialRetryDelay { problems.append("retry delays must satisfy 0 ≤ initial ≤ max") }
        if !problems.isEmpty { throw StripeConfigurationError(problems.joined(separator: "; ")) }
    }
}

/// A ``StripeConfiguration`` that cannot work. The message never holds the key.
package struct StripeConfigurationError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { "stripe configuration: \(message)" }
}
