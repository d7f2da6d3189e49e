/// When the usage of a metered feature starts again from zero. See ``UsageWindow``.
public enum ResetPeriod: String, Codable, Sendable, CaseIterable {
    /// Every UTC calendar day.
    case day
    /// Every UTC calendar month.
    case month
    /// Every billing period of the customer's subscription (the UTC calendar month without one).
    case billingPeriod = "billing_period"
    /// Never: the quota is a lifetime allowance.
    case never
}
