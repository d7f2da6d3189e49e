/// How a customer's rate limits follow their tier.
public enum RateLimits {
    /// The feature whose entitlement can raise policy `name`: `rate_limits.<name>`.
    public static func featureKey(forPolicy name: String) -> FeatureKey? {
        FeatureKey(validating: "rate_limits." + name)
    }

    /// The policies of the effective plan (the subscription's plan, or the default plan), each
    /// raised by the customer's entitlement to the limit feature `rate_limits.<policy>` when the
    /// catalog declares one and it is more generous (from the plan or from a grant): the limit
    /// becomes that number and the burst grows in proportion. `unlimited` lifts the policy.
    public static func effective(plan: Plan?, entitlements: [FeatureKey: FeatureEntitlement]) -> [RateLimitPolicy] {
        guard let plan else { return [] }
        return plan.rateLimits.compactMap { policy in
            guard let key = featureKey(forPolicy: policy.name), let value = entitlements[key]?.value else { return policy }
            switch value {
            case .unlimited:
                return nil
            case .limit(let raised) where raised > Int64(policy.limit) && raised <= Int64(Int32.max):
                var policy = policy
                let factor = Double(raised) / Double(max(1, policy.limit))
                policy.burst = max(policy.burst, Int((Double(policy.burst) * factor).rounded(.up)))
                policy.limit = Int(raised)
                return policy
            default:
                return policy
            }
        }
    }
}
