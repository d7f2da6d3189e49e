import Tollgate
import TollgateCore
import TollgateHTTPServer

/// Rate-limit response headers, in one place: `RateLimit-Policy` and `RateLimit` as structured
/// fields (draft-ietf-httpapi-ratelimit-headers: `"api";q=100;w=1` and `"api";r=42;t=1`), the legacy
/// `X-RateLimit-Limit/Remaining/Reset` for the most constrained policy, and `Retry-After` when denied.
enum RateLimitHeaders {
    static func apply(_ decisions: [(name: String, decision: RateLimitDecision)], to headers: inout HTTPHeaders) {
        guard let first = decisions.first else { return }
        // Built in one pass: every authenticated request carries these (the per-key limit).
        var policy = ""
        var state = ""
        var tightest = first
        var wait: Int?
        for (index, item) in decisions.enumerated() {
            let decision = item.decision
            if index > 0 {
                policy += ", "
                state += ", "
            }
            policy += "\"\(item.name)\";q=\(decision.limit);w=\(decision.windowSeconds)"
            state += "\"\(item.name)\";r=\(decision.remaining);t=\(decision.resetSeconds)"
            if (decision.allowed ? 1 : 0, decision.remaining) < (tightest.decision.allowed ? 1 : 0, tightest.decision.remaining) { tightest = item }
            if !decision.allowed, let retry = decision.retryAfterSeconds { wait = max(wait ?? retry, retry) }
        }
        headers.set("RateLimit-Policy", policy)
        headers.set("RateLimit", state)
        headers.set("X-RateLimit-Limit", String(tightest.decision.limit))
        headers.set("X-RateLimit-Remaining", String(tightest.decision.remaining))
        headers.set("X-RateLimit-Reset", String(tightest.decision.resetSeconds))
        if let wait { headers.set("Retry-After", String(max(1, wait))) }
    }
}
