#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension EvaluationInput {
    /// The first instant after ``now`` at which evaluating this same input may answer otherwise,
    /// with nothing written in between: a grant expiring, the subscription's period ending (cancel
    /// at period end; billing-period usage windows), the past-due grace running out (see
    /// ``AccessPolicy``), the trial ending, a usage window resetting, credits expiring, a hold
    /// running out, a plan's credits renewing. Nil when nothing changes by
    /// itself. A cached evaluation must not be served at or after it.
    public var nextChange: Date? {
        var instants: [Date] = grants.compactMap { $0.revokedAt == nil ? $0.expiresAt : nil }
        if let subscription {
            instants += [subscription.currentPeriodEnd, subscription.trialEnd].compactMap { $0 }
            if subscription.status == .pastDue {
                let since = subscription.pastDueSince ?? subscription.currentPeriodStart ?? now
                instants.append(since.addingTimeInterval(policy.pastDueGracePeriod))
            }
        }
        for feature in features where feature.kind == .metered {
            guard let reset = feature.reset, let end = UsageWindow.current(for: reset, subscription: subscription, at: now).end else { continue }
            instants.append(end)
        }
        instants += credits.values.compactMap(\.changesAt)
        // A plan's credits renew with each billing period.
        if let plan = effectivePlan, !plan.credits.isEmpty, let end = UsageWindow.current(for: .billingPeriod, subscription: subscription, at: now).end {
            instants.append(end)
        }
        return instants.filter { $0 > now }.min()
    }
}

extension EvaluationInput {
    /// The plan whose entitlements count: the subscription's when it grants access (``AccessPolicy``)
    /// and its plan is known, else the catalog's default plan (nil when there is neither).
    public var effectivePlan: Plan? {
        PlanChoice(self).plan
    }
}
