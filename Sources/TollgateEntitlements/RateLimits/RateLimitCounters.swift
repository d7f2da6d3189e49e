package import TollgateBase

/// Rate-limit decisions by outcome, counted in process:
/// `tollgate_rate_limit_decisions_total{limit,outcome}`; `limit` is `customer` (the tier policies
/// of `POST /v1/rate-limits/consume`) or `api_key` (`TOLLGATE_API_RATE_LIMIT`).
package struct RateLimitCounters: Sendable {
    private let customerAllowed: Counter
    private let customerLimited: Counter
    private let keyAllowed: Counter
    private let keyLimited: Counter

    package init(_ metrics: MetricsRegistry) {
        let family = metrics.counter(
            "tollgate_rate_limit_decisions_total",
            help: "Rate-limit decisions this instance made, by limit (customer: tier policies; api_key: Tollgate's own API) and "
                + "outcome (allowed, limited)",
            labels: ["limit", "outcome"])
        customerAllowed = family.counter("customer", "allowed")
        customerLimited = family.counter("customer", "limited")
        keyAllowed = family.counter("api_key", "allowed")
        keyLimited = family.counter("api_key", "limited")
    }

    /// Counts one decision on a customer's policies (allowed only if every policy allowed).
    package func customer(allowed: Bool) { (allowed ? customerAllowed : customerLimited).increment() }

    /// Counts one decision on an API key's limit.
    package func apiKey(allowed: Bool) { (allowed ? keyAllowed : keyLimited).increment() }
}
