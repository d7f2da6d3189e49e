package import Tollgate
package import TollgateBase

/// Tier-based rate limits: each customer's policies come from their effective plan (via the
/// entitlement snapshot, so a plan change or a grant applies on the next decision), decided by GCRA
/// in the configured backend.
package final class RateLimitService: Sendable {
    /// A cost above this is refused as input, not rate-limited.
    package static let maximumCost = 1_000_000

    package struct PolicyDecision: Sendable, Equatable {
        package var policy: RateLimitPolicy
        package var decision: RateLimitDecision
    }

    package let backend: any RateLimitBackend
    private let entitlements: EntitlementService
    private let counters: RateLimitCounters

    /// Decisions are counted in `metrics` (``RateLimitCounters``).
    package init(backend: any RateLimitBackend, entitlements: EntitlementService, metrics: MetricsRegistry = MetricsRegistry()) {
        self.backend = backend
        self.entitlements = entitlements
        counters = RateLimitCounters(metrics)
    }

    /// Decides `cost` for the customer under one policy, or all of their policies when `policy` is
    /// nil. With several policies nothing is recorded unless every one allows (checked first, then
    /// recorded; a race between the two can only deny more, never allow more than a policy allows).
    package func consume(customer: String, policy name: String?, cost: Int) throws -> [PolicyDecision] {
        guard cost >= 1, cost <= Self.maximumCost else {
            throw DomainError.invalid("cost", "must be from 1 to \(Self.maximumCost)")
        }
        let all = try entitlements.snapshot(customer: customer).rateLimits
        let policies: [RateLimitPolicy]
        if let name {
            guard let policy = all.first(where: { $0.name == name }) else {
                throw DomainError.notFound("rate-limit policy \(name) for customer \(customer)")
            }
            policies = [policy]
        } else {
            policies = all
        }
        // The state is keyed by the policy's parameters too: a plan change (or a grant) starts a
        // fresh bucket under the new policy at once, instead of inheriting a TAT on the old scale.
        let keyed = policies.map { policy in
            (policy: policy, key: "customer:\(customer):\(policy.name):\(policy.limit)/\(policy.windowSeconds)/\(policy.burst)", gcra: GCRA(policy))
        }
        if keyed.count > 1 {
            let peeked = try keyed.map { PolicyDecision(policy: $0.policy, decision: try backend.peek(key: $0.key, gcra: $0.gcra, cost: cost)) }
            if peeked.contains(where: { !$0.decision.allowed }) {
                counters.customer(allowed: false)
                return peeked
            }
        }
        let decisions = try keyed.map { PolicyDecision(policy: $0.policy, decision: try backend.consume(key: $0.key, gcra: $0.gcra, cost: cost)) }
        counters.customer(allowed: decisions.allSatisfy(\.decision.allowed))
        return decisions
    }
}
