import Foundation
import Testing
@testable import Tollgate

@Suite struct RateLimitsTests {
    let pro = Plan(key: "pro", name: "Pro", rateLimits: [
        RateLimitPolicy(name: "api", limit: 100, windowSeconds: 1, burst: 200),
        RateLimitPolicy(name: "exports", limit: 5, windowSeconds: 60, burst: 5),
    ])

    private func entitlement(_ key: FeatureKey, _ value: EntitlementValue?) -> [FeatureKey: FeatureEntitlement] {
        [key: FeatureEntitlement(feature: key, kind: .limit, value: value, source: .grant)]
    }

    @Test func thePlanPoliciesApplyAsTheyAre() {
        #expect(RateLimits.effective(plan: pro, entitlements: [:]) == pro.rateLimits)
        #expect(RateLimits.effective(plan: nil, entitlements: [:]).isEmpty)
    }

    @Test func aMoreGenerousLimitFeatureRaisesThePolicyAndItsBurst() {
        let raised = RateLimits.effective(plan: pro, entitlements: entitlement("rate_limits.api", .limit(400)))
        #expect(raised[0] == RateLimitPolicy(name: "api", limit: 400, windowSeconds: 1, burst: 800))
        #expect(raised[1] == pro.rateLimits[1])
        // A smaller value never lowers the plan's policy; unlimited lifts it.
        #expect(RateLimits.effective(plan: pro, entitlements: entitlement("rate_limits.api", .limit(10)))[0] == pro.rateLimits[0])
        #expect(RateLimits.effective(plan: pro, entitlements: entitlement("rate_limits.api", .unlimited)).map(\.name) == ["exports"])
    }

    @Test func theSnapshotCarriesTheEffectivePolicies() {
        let input = EvaluationInput(
            features: [Feature(key: "rate_limits.api", name: "API rate", kind: .limit)], plan: nil, defaultPlan: pro,
            subscription: nil, grants: [Grant(id: "g", feature: "rate_limits.api", value: .limit(150), reason: "r", grantedBy: "t",
                                              createdAt: Date(timeIntervalSince1970: 0))],
            usage: [:], now: Date(timeIntervalSince1970: 1_000), policy: AccessPolicy())
        let snapshot = Evaluator.snapshot(customer: "c", input: input)
        #expect(snapshot.rateLimits.first { $0.name == "api" }?.limit == 150)
    }
}
