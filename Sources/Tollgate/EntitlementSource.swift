/// Where an effective value came from.
public enum EntitlementSource: String, Codable, Sendable, CaseIterable {
    /// The subscription's plan.
    case plan
    /// The plan's per-unit limit at the subscription's quantity (``PerUnitEntitlement``); the
    /// entitlement's ``FeatureEntitlement/perUnit`` says how it was computed.
    case planPerUnit = "plan_per_unit"
    /// The default plan (no subscription, or one that grants no access).
    case defaultPlan = "default_plan"
    /// A grant: the feature is not in the plan, or a grant made the value more generous.
    case grant
    /// Nowhere: not entitled.
    case none
}
