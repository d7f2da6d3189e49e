import Tollgate
import TollgateBase
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer

/// The tier-based rate-limit decision endpoint.
enum RateLimitRoutes {
    struct ConsumeRequest: Decodable {
        var customer: String
        var policy: String?
        var cost: Int?

        /// The common body read directly (a decision is answered from memory; the strict decoder
        /// was a sixth of its CPU); nil for anything else, which the strict decoder decides.
        static func fast(_ request: HTTPRequest) -> ConsumeRequest? {
            guard let members = request.flatJSON(fields: ["customer", "policy", "cost"]),
                  case .string(let customer)? = members["customer"] else { return nil }
            var body = ConsumeRequest(customer: customer)
            switch members["policy"] {
            case nil: break
            case .string(let policy)?: body.policy = policy
            default: return nil
            }
            switch members["cost"] {
            case nil: break
            case .integer(let cost)?: body.cost = cost
            default: return nil
            }
            return body
        }
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
                let body = try ConsumeRequest.fast(request) ?? request.decodeJSON(ConsumeRequest.self)
                let cost = body.cost ?? 1
                let decisions = try service.consume(customer: body.customer, policy: body.policy, cost: cost)
                let allowed = decisions.allSatisfy(\.decision.allowed)
                let response = ConsumeResponse(allowed: allowed, customer: body.customer, cost: cost, policies: decisions.map { item in
                    .init(name: item.policy.name, allowed: item.decision.allowed, limit: item.decision.limit,
                          windowSeconds: item.decision.windowSeconds, burst: item.decision.burst, remaining: item.decision.remaining,
                          resetSeconds: item.decision.resetSeconds, retryAfterSeconds: item.decision.retryAfterSeconds)
                })
                var headers = HTTPHeaders()
                headers.set("Content-Type", "application/json")
                RateLimitHeaders.apply(decisions.map { ($0.policy.name, $0.decision) }, to: &headers)
                return HTTPResponse(status: allowed ? 200 : 429, headers: headers, body: response.json)
            },
        ]
    }
}

extension RateLimitRoutes.ConsumeResponse {
    /// The body, written directly: exactly what `WireJSON.encoder()` makes of this value (sorted
    /// snake_case keys, nil fields left out), which `RateLimitJSONTests` holds byte for byte over
    /// random decisions. A decision is answered from memory, and `JSONEncoder` was a fifth of the
    /// endpoint's CPU.
    var json: [UInt8] {
        var out = "{\"allowed\":\(allowed),\"cost\":\(cost),\"customer\":"
        JSONString.append(customer, to: &out)
        out += ",\"policies\":["
        for (index, policy) in policies.enumerated() {
            if index > 0 { out += "," }
            out += "{\"allowed\":\(policy.allowed),\"burst\":\(policy.burst),\"limit\":\(policy.limit),\"name\":"
            JSONString.append(policy.name, to: &out)
            out += ",\"remaining\":\(policy.remaining),\"reset_seconds\":\(policy.resetSeconds)"
            if let retry = policy.retryAfterSeconds { out += ",\"retry_after_seconds\":\(retry)" }
            out += ",\"window_seconds\":\(policy.windowSeconds)}"
        }
        out += "]}"
        return Array(out.utf8)
    }
}
