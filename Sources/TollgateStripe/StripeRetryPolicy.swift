package import TollgateHTTPClient

/// When and how long to wait before sending a Stripe request again: the official SDKs' rule.
///
/// Read from stripe-python (`HTTPClient._should_retry`, `_sleep_time_seconds`) and stripe-ruby
/// (`StripeClient.should_retry?`), see <https://docs.stripe.com/error-low-level#idempotency>.
/// A request is retried only while fewer than ``maxRetries`` retries were made, and then:
///
/// 1. No HTTP answer: retried when the failure is transient (could not connect, timed out,
///    connection lost — stripe-python retries `requests`' `ConnectionError` and `Timeout`); never
///    after a TLS failure or an invalid request.
/// 2. A `Stripe-Should-Retry` header decides when present: `true` retries (Stripe sends it on lock
///    timeouts), `false` never does (e.g. a 500 whose result the idempotency layer would replay).
/// 3. `409 Conflict` is retried.
/// 4. `429` is retried only with the error code `lock_timeout` (stripe-ruby's rule; other 429s are
///    rate limiting, where retrying adds to the contention).
/// 5. Every `5xx` is retried, POST included (stripe-python's rule; stripe-ruby skips a POST's 500
///    because Stripe's idempotency layer replays it — harmless here, where every POST carries an
///    `Idempotency-Key`).
/// 6. Nothing else (400, 401, 402, 403, 404 …) is retried.
///
/// The wait before retry `n` (1-based): `min(initial × 2ⁿ⁻¹, max)`, times a jitter factor in
/// [0.5, 1], never less than `initial`, and never less than a `Retry-After` (integer seconds) that
/// is at most ``maxRetryAfter`` (a longer `Retry-After` is ignored).
package struct StripeRetryPolicy: Sendable, Equatable {
    package var maxRetries: Int
    package var initialDelay: Duration
    package var maxDelay: Duration
    package var maxRetryAfter: Duration

    package init(maxRetries: Int = 2, initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(5), maxRetryAfter: Duration = .seconds(60)) {
        self.maxRetries = maxRetries
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    package init(_ configuration: StripeConfiguration) {
        self.init(
            maxRetries: configuration.maxRetries, initialDelay: configuration.initialRetryDelay,
            maxDelay: configuration.maxRetryDelay, maxRetryAfter: configuration.maxRetryAfter)
    }

    /// Whether to retry after a transport failure, `retriesSoFar` retries having been made.
    package func shouldRetry(after error: HTTPClientError, retriesSoFar: Int) -> Bool {
        retriesSoFar < maxRetries && error.isTransient
    }

    /// Whether to retry after an HTTP answer with `status`, its `Stripe-Should-Retry` header and
    /// the `error.code` of its body.
    package func shouldRetry(status: Int, shouldRetryHeader: String?, errorCode: String?, retriesSoFar: Int) -> Bool {
        guard retriesSoFar < maxRetries else { return false }
        switch shouldRetryHeader {
        case "true": return true
        case "false": return false
        default: break
        }
        if status == 409 { return true }
        if status == 429 { return errorCode == "lock_timeout" }
        return status >= 500
    }

    /// The wait before retry number `retry` (1 for the first), with `jitter` in 0…1 (uniform
    /// random in use; fixed in tests) and the response's `Retry-After` header, if any.
    package func delay(beforeRetry retry: Int, retryAfter: String? = nil, jitter: Double = Double.random(in: 0...1)) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        var delay = min(initialDelay * (1 << exponent), maxDelay)
        delay = delay * (0.5 * (1 + min(max(jitter, 0), 1)))
        delay = max(initialDelay, delay)
        if let retryAfter, let seconds = Int(retryAfter.trimmingSpaces), seconds >= 0, Duration.seconds(seconds) <= maxRetryAfter {
            delay = max(delay, .seconds(seconds))
        }
        return delay
    }
}

extension String {
    var trimmingSpaces: Substring {
        let trimmed = drop { $0 == " " || $0 == "\t" }
        return trimmed.dropLast(trimmed.reversed().prefix { $0 == " " || $0 == "\t" }.count)
    }
}
