#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A per-customer override of one feature: enables a boolean, raises a limit, or adds to a
/// metered quota. The more generous of plan and grants wins (see ``Evaluator``).
public struct Grant: Codable, Sendable, Hashable {
    /// The grant's identifier.
    public var id: String
    /// The feature it overrides.
    public var feature: FeatureKey
    /// Its value: `enabled`, a limit (or an amount added to a metered quota), or unlimited.
    public var value: EntitlementValue
    /// Why it was granted.
    public var reason: String
    /// Who granted it.
    public var grantedBy: String
    /// When it was granted.
    public var createdAt: Date
    /// When it stops counting, if ever.
    public var expiresAt: Date?
    /// When it was revoked, if it was.
    public var revokedAt: Date?

    /// Creates a grant.
    public init(
        id: String,
        feature: FeatureKey,
        value: EntitlementValue,
        reason: String,
        grantedBy: String,
        createdAt: Date,
        expiresAt: Date? = nil,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.feature = feature
        self.value = value
        self.reason = reason
        self.grantedBy = grantedBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Whether the grant counts at `now`: it is not revoked, and `now` is before its expiry
    /// (an expired grant stops counting *at* its expiry instant).
    public func isActive(at now: Date) -> Bool {
        guard revokedAt == nil else { return false }
        guard let expiresAt else { return true }
        return now < expiresAt
    }
}
