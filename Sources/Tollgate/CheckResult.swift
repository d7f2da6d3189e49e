#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The answer to "may this customer use this feature (this much) now?".
public struct CheckResult: Codable, Sendable, Hashable {
    /// Whether the use is allowed.
    public var allowed: Bool
    /// Why not, when `allowed` is false.
    public var reason: DenialReason?
    /// The feature checked.
    public var feature: FeatureKey
    /// The customer's effective value, nil when not entitled or unknown.
    public var value: EntitlementValue?
    /// Metered features: the quantity used in the current window, before this use.
    public var used: Int64?
    /// The remaining quota (metered) or the limit (limit), before this use; nil when unlimited.
    public var remaining: Int64?
    /// Metered features: when the usage resets.
    public var resetsAt: Date?

    /// Creates a result.
    public init(
        allowed: Bool,
        reason: DenialReason? = nil,
        feature: FeatureKey,
        value: EntitlementValue? = nil,
        used: Int64? = nil,
        remaining: Int64? = nil,
        resetsAt: Date? = nil
    ) {
        self.allowed = allowed
        self.reason = reason
        self.feature = feature
        self.value = value
        self.used = used
        self.remaining = remaining
        self.resetsAt = resetsAt
    }
}
