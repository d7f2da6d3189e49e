import TollgateBase
import TollgateHTTPClient

/// A ``StripeClient``'s calls, counted in process: each attempt (a retry is an attempt of its own)
/// by operation and status, its latency, and the retries.
struct StripeClientMetrics: Sendable {
    let requests: CounterFamily
    let duration: HistogramFamily
    let retries: CounterFamily

    init(_ metrics: MetricsRegistry) {
        requests = metrics.counter(
            "tollgate_stripe_requests_total",
            help: "Requests this instance sent to the Stripe API (each attempt), by operation (method and path, ids as {id}) and status "
                + "(the HTTP status, or error when no answer came)",
            labels: ["operation", "status"])
        duration = metrics.histogram(
            "tollgate_stripe_request_duration_seconds", help: "Time for one Stripe API attempt, answered or not, by operation",
            labels: ["operation"])
        retries = metrics.counter(
            "tollgate_stripe_request_retries_total", help: "Stripe API requests this instance sent again (StripeRetryPolicy), by operation",
            labels: ["operation"])
    }

    /// Records one attempt: `status` nil when no answer came.
    func attempt(_ operation: String, status: Int?, duration seconds: Duration) {
        requests.increment(operation, status.map(String.init) ?? "error")
        duration.histogram(operation).observe(seconds)
    }

    /// The `operation` label of a request: the method and the path without its query, each segment
    /// that is not a plain resource name (lowercase letters and `_`, as `customers` or
    /// `subscription_items`) written `{id}`, so that ids never become label values:
    /// `POST /v1/customers/{id}`.
    static func operation(_ method: HTTPClient.Method, _ path: String) -> String {
        let bare = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let segments = bare.split(separator: "/", omittingEmptySubsequences: false).enumerated().map { index, segment -> Substring in
            let plain = !segment.isEmpty && segment.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
            return plain || (index == 1 && segment == "v1") || segment.isEmpty ? segment : "{id}"
        }
        return method.rawValue + " " + segments.joined(separator: "/")
    }
}
