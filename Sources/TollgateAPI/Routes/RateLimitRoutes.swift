import Tollgate
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer

/// The tier-based rate-limit decision endpoint.
enum RateLimitRoutes {
    struct ConsumeRequest: Decodable {
        var customer: String
        var policy: String?
        var cost: Int?
    }

    struct ConsumeResponse: Encodable {
        struct Policy: Encodable {
            var name: String
            var allowed: Bool
            var limit: Int
            var windowSeconds: Int
            var burst: Int
            var remaining: Int
            var resetSeconds: Int
            var retryAfterSeconds: Int?
        }
        var allowed: Bool
        var customer: String
        var cost: Int
        var policies: [Policy]
    }

    static func endpoints(service: RateLimitService) -> [Endpoint] {
        [
            Endpoint(.POST, "/v1/rate-limits/consume", scope: .write, documentation: .init(
                "consumeRateLimit",
                summary: "Decide a request against the customer's tier policies (all, or one): 200 allowed, 429 denied, same body",
                tag: "Rate limits", requestSchema: "RateLimitRequest", responseSchema: "RateLimitDecision", errors: [404],
                otherResponses: [429: "RateLimitDecision"])
            ) { request, _ in
                let body = try request.decodeJSON(ConsumeRequest.self)
                let cost = body.cost ?? 1
                let decisions = try service.consume(customer: body.customer, policy: body.policy, cost: cost)
                let allowed = decisions.allSatisfy(\.decision.allowed)
                let response = ConsumeResponse(allowed: allowed, customer: body.customer, cost: cost, policies: decisions.map { item in
                    .init(name: item.policy.name, allowed: item.decision.allowed, limit: item.decision.limit,
                          windowSeconds: item.decision.windowSeconds, burst: item.decision.burst, remaining: item.decision.remaining,
                          resetSeconds: item.decision.resetSeconds, retryAfterSeconds: item.decision.retryAfterSeconds)
                })
                var headers = HTTPHeaders()
                RateLimitHeaders.apply(decisions.map { ($0.policy.name, $0.decision) }, to: &headers)
                return try .json(response, status: allowed ? 200 : 429, headers: headers)
            },
        ]
    }
}
