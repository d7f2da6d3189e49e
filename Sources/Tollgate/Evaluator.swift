#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Computes a customer's effective entitlements from their plan, grants and usage: the one
/// evaluator that the server, the CLI and the client library share.
///
/// **Plan.** If the subscription grants access (``AccessPolicy``) and its plan is known, the
/// plan counts (source ``EntitlementSource/plan``); otherwise the default plan does
/// (``EntitlementSource/defaultPlan``), if there is one.
///
/// **Per-unit limits.** A limit the plan scales with the subscription's quantity
/// (``Plan/perUnit``) is `min(max, base + per_unit × quantity)` (``PerUnitEntitlement``), with
/// source ``EntitlementSource/planPerUnit`` and the rule and quantity in
/// ``FeatureEntitlement/perUnit``. The quantity is the subscription's; 0 for the default plan.
///
/// **Grants.** Only active grants count (``Grant/isActive(at:)``), and the more generous value
/// wins:
/// * boolean: enabled if the plan or any grant has the feature;
/// * limit: the largest of the plan's limit and the grants' (`unlimited` beats every number);
/// * metered: the plan's quota plus every grant's amount (`unlimited` if any is).
///
/// A feature that only grants provide, or whose value a grant made more generous, has source
/// ``EntitlementSource/grant``. For limit and metered features a value of `true` is not a
/// quantity and is ignored.
///
/// **Seats.** A limit feature with members holding seats (``EvaluationInput/seats``) reports how
/// many and the excess over the value (``FeatureEntitlement/seats``, ``SeatUse``).
///
/// **Credits.** A metered feature priced in credits (``Feature/credits``) carries its price and
/// the customer's balance in its pool (``FeatureEntitlement/credits``); a use must be covered by
/// it as well as allowed by the value (``EntitlementSnapshot/check(_:quantity:)``).
///
/// **Denials.** A feature without a value is denied with
/// ``DenialReason/noActiveSubscription`` when the customer has no subscription that grants
/// access (so the default plan was used, and lacks it), else ``DenialReason/featureNotInPlan``.
public enum Evaluator {
    /// The effective entitlement of every feature of `input.features`, keyed by feature key.
    public static func evaluate(_ input: EvaluationInput) -> [FeatureKey: FeatureEntitlement] {
        let choice = PlanChoice(input)
        var grants: [FeatureKey: [EntitlementValue]] = [:]
        for grant in input.grants where grant.isActive(at: input.now) {
            grants[grant.feature, default: []].append(grant.value)
        }
        var result: [FeatureKey: FeatureEntitlement] = [:]
        result.reserveCapacity(input.features.count)
        for feature in input.features {
            result[feature.key] = entitlement(
                of: feature,
                grants: grants[feature.key] ?? [],
                choice: choice,
                input: input
            )
        }
        return result
    }

    /// The snapshot of `customer`'s effective entitlements at `input.now`, with the plan used,
    /// where it came from and the subscription's status.
    public static func snapshot(customer: String, input: EvaluationInput) -> EntitlementSnapshot {
        let choice = PlanChoice(input)
        let entitlements = evaluate(input)
        return EntitlementSnapshot(
            customer: customer,
            generatedAt: input.now,
            plan: choice.plan?.key,
            planSource: choice.plan == nil ? .none : choice.source,
            subscriptionStatus: input.subscription?.status,
            entitlements: entitlements,
            rateLimits: RateLimits.effective(plan: choice.plan, entitlements: entitlements)
        )
    }

    private static func entitlement(
        of feature: Feature,
        grants: [EntitlementValue],
        choice: PlanChoice,
        input: EvaluationInput
    ) -> FeatureEntitlement {
        var planValue = choice.plan?.entitlements[feature.key]
        var basis: PerUnitBasis?
        var planSource = choice.source
        if planValue == nil, feature.kind == .limit, let rule = choice.plan?.perUnit[feature.key] {
            let quantity = choice.source == .plan ? input.subscription?.quantity ?? 0 : 0
            planValue = .limit(rule.limit(quantity: quantity))
            basis = PerUnitBasis(rule, quantity: quantity)
            planSource = .planPerUnit
        }
        let (value, fromGrant) = combine(kind: feature.kind, planValue: planValue, grants: grants)
        var entitlement = FeatureEntitlement(
            feature: feature.key,
            kind: feature.kind,
            value: value,
            source: value == nil ? .none : (fromGrant ? .grant : planSource),
            perUnit: value == nil || fromGrant ? nil : basis
        )
        if value == nil {
            entitlement.denial = choice.subscriptionGrantsAccess ? .featureNotInPlan : .noActiveSubscription
        }
        switch feature.kind {
        case .boolean:
            break
        case .limit:
            if case .limit(let limit) = value {
                entitlement.remaining = max(0, limit)
            }
            if let assigned = input.seats[feature.key], assigned > 0 {
                entitlement.seats = SeatUse(assigned: assigned, value: value)
            }
        case .metered:
            let used = input.usage[feature.key] ?? 0
            let window = UsageWindow.current(for: feature.reset ?? .never, subscription: input.subscription, at: input.now)
            entitlement.used = used
            entitlement.resetsAt = window.end
            entitlement.windowStart = window.end == nil ? nil : window.start
            if case .limit(let quota) = value {
                entitlement.remaining = quota.remaining(after: used)
            }
            if let price = feature.credits {
                let balance = input.credits[price.pool] ?? CreditBalance(balance: 0, available: 0)
                entitlement.credits = FeatureCreditUse(pool: price.pool, cost: price.cost, balance: balance.balance, available: balance.available)
            }
        }
        return entitlement
    }

    /// The effective value of a feature, and whether grants made it (rather than the plan).
    private static func combine(
        kind: FeatureKind,
        planValue: EntitlementValue?,
        grants: [EntitlementValue]
    ) -> (value: EntitlementValue?, fromGrant: Bool) {
        switch kind {
        case .boolean:
            if planValue != nil { return (.enabled, false) }
            return grants.isEmpty ? (nil, false) : (.enabled, true)
        case .limit, .metered:
            let plan = planValue?.quantity
            var value = plan
            for grant in grants {
                guard let amount = grant.quantity else { continue }
                guard let current = value else {
                    value = amount
                    continue
                }
                value = kind == .limit ? current.maximum(amount) : current.adding(amount)
            }
            return (value, value != nil && value != plan)
        }
    }
}

/// Which plan's entitlements a customer gets.
struct PlanChoice {
    /// Whether the customer has a subscription that grants access now.
    var subscriptionGrantsAccess: Bool
    /// The plan that counts: the subscription's, or the default plan.
    var plan: Plan?
    /// ``EntitlementSource/plan`` or ``EntitlementSource/defaultPlan``.
    var source: EntitlementSource

    init(_ input: EvaluationInput) {
        subscriptionGrantsAccess = input.subscription.map { input.policy.grantsAccess($0, at: input.now) } ?? false
        if subscriptionGrantsAccess, let plan = input.plan {
            self.plan = plan
            source = .plan
        } else {
            plan = input.defaultPlan
            source = .defaultPlan
        }
    }
}
