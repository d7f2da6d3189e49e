#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Everything ``Evaluator`` needs to know about one customer at one instant.
public struct EvaluationInput: Sendable {
    /// Every feature of the catalog; the result has one entitlement for each.
    public var features: [Feature]
    /// The plan of the customer's subscription, nil without one.
    public var plan: Plan?
    /// The catalog's default plan, if it has one.
    public var defaultPlan: Plan?
    /// The customer's current subscription, if any.
    public var subscription: SubscriptionState?
    /// The customer's grants, active or not (inactive ones are ignored).
    public var grants: [Grant]
    /// The used quantity of each metered feature in its *current* window (see
    /// ``UsageWindow/current(for:subscription:at:)``), summed by the caller. Missing means 0.
    public var usage: [FeatureKey: Int64]
    /// The customer's credits per pool (docs/credits.md), for the features priced in credits.
    /// Missing means none.
    public var credits: [String: CreditBalance]
    /// How many members hold a seat of each limit feature (docs/seats.md). Missing means none.
    public var seats: [FeatureKey: Int64]
    /// The instant of the evaluation.
    public var now: Date
    /// Which subscriptions grant access.
    public var policy: AccessPolicy

    /// Creates an input.
    public init(
        features: [Feature],
        plan: Plan? = nil,
        defaultPlan: Plan? = nil,
        subscription: SubscriptionState? = nil,
        grants: [Grant] = [],
        usage: [FeatureKey: Int64] = [:],
        credits: [String: CreditBalance] = [:],
        seats: [FeatureKey: Int64] = [:],
        now: Date,
        policy: AccessPolicy = AccessPolicy()
    ) {
        self.features = features
        self.plan = plan
        self.defaultPlan = defaultPlan
        self.subscription = subscription
        self.grants = grants
        self.usage = usage
        self.credits = credits
        self.seats = seats
        self.now = now
        self.policy = policy
    }
}
