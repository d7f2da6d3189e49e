import Tollgate
import TollgateCore
import TollgateHTTPServer

/// Rate-limit response headers, in one place: `RateLimit-Policy` and `RateLimit` as structured
/// fields (draft-ietf-httpapi-ratelimit-headers: `"api";q=100;w=1` and `"api";r=42;t=1`), the legacy
/// `X-RateLimit-Limit/Remaining/Reset` for the most constrained policy, and `Retry-After` when denied.
enum RateLimitHeaders {
    static func apply(_ decisions: [(name: String, decision: RateLimitDecision)], to headers: inout HTTPHeaders) {
        guard !decisions.isEmpty else { return }
        headers.set("RateLimit-Policy", decisions.map { "\"\($0.name)\";q=\($0.decision.limit);w=\($0.decision.windowSeconds)" }
            .joined(separator: ", "))
        headers.set("RateLimit", decisions.map { "\"\($0.name)\";r=\($0.decision.remaining);t=\($0.decision.resetSeconds)" }
            .joined(separator: ", "))
        let tightest = decisions.min { ($0.decision.allowed ? 1 : 0, $0.decision.remaining) < ($1.decision.allowed ? 1 : 0, $1.decision.remaining) }
        if let tightest {
            headers.set("X-RateLimit-Limit", String(tightest.decision.limit))
            headers.set("X-RateLimit-Remaining", String(tightest.decision.remaining))
            headers.set("X-RateLimit-Reset", String(tightest.decision.resetSeconds))
        }
        let waits = decisions.filter { !$0.decision.allowed }.compactMap(\.decision.retryAfterSeconds)
        if let wait = waits.max() { headers.set("Retry-After", String(max(1, wait))) }
    }
}
