#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One feature's effective entitlement for a customer, as computed by ``Evaluator``.
public struct FeatureEntitlement: Codable, Sendable, Hashable {
    /// The feature.
    public var feature: FeatureKey
    /// Its kind.
    public var kind: FeatureKind
    /// The effective value: ``EntitlementValue/enabled`` for a boolean, the limit or the
    /// window's quota otherwise; nil when the customer is not entitled.
    public var value: EntitlementValue?
    /// Where the value came from; ``EntitlementSource/none`` when not entitled.
    public var source: EntitlementSource
    /// Metered features: the quantity used in the current window. Nil for the other kinds.
    public var used: Int64?
    /// Metered features with a finite quota: `max(0, quota - used)`. Limit features: the limit.
    /// Nil when unlimited, not entitled, or boolean.
    public var remaining: Int64?
    /// Metered features: when the current window ends and the usage resets; nil for `never`.
    public var resetsAt: Date?
    /// Metered features: when the current window started; nil for `never`.
    public var windowStart: Date?
    /// Why the customer is not entitled (``DenialReason/featureNotInPlan`` or
    /// ``DenialReason/noActiveSubscription``); nil when `value` is set.
    public var denial: DenialReason?
    /// Features priced in credits: the price and the customer's balance in its pool. A use is
    /// allowed only when the value allows it and the credits cover it.
    public var credits: FeatureCreditUse?
    /// Limit features whose value is the plan's per-unit limit (source
    /// ``EntitlementSource/planPerUnit``): the rule and the quantity it was computed for.
    public var perUnit: PerUnitBasis?
    /// Limit features with members holding seats (docs/seats.md): how many, and the excess over
    /// the limit. Nil when nobody holds one.
    public var seats: SeatUse?

    /// Creates an entitlement.
    public init(
        feature: FeatureKey,
        kind: FeatureKind,
        value: EntitlementValue?,
        source: EntitlementSource,
        used: Int64? = nil,
        remaining: Int64? = nil,
        resetsAt: Date? = nil,
        windowStart: Date? = nil,
        denial: DenialReason? = nil,
        credits: FeatureCreditUse? = nil,
        perUnit: PerUnitBasis? = nil,
        seats: SeatUse? = nil
    ) {
        self.feature = feature
        self.kind = kind
        self.value = value
        self.source = source
        self.used = used
        self.remaining = remaining
        self.resetsAt = resetsAt
        self.windowStart = windowStart
        self.denial = denial
        self.credits = credits
        self.perUnit = perUnit
        self.seats = seats
    }
}
