#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A versioned snapshot of one customer's effective entitlements: what the service serves and
/// what clients cache and check against (``check(_:quantity:)``).
///
/// `entitlements` encodes as a JSON object keyed by feature key. Decoding rejects a
/// `formatVersion` other than a supported one with ``SnapshotFormatError``.
public struct EntitlementSnapshot: Sendable {
    /// The format version this library writes and reads.
    public static let formatVersion = 1

    /// The snapshot's format version.
    public var formatVersion: Int
    /// The customer's external id.
    public var customer: String
    /// When the snapshot was evaluated; metered usage and windows are as of this instant.
    public var generatedAt: Date
    /// The key of the plan whose entitlements apply, nil if none does.
    public var plan: String?
    /// Whether `plan` is the subscription's plan or the default plan; `none` without a plan.
    public var planSource: EntitlementSource
    /// The status of the customer's subscription, nil without one.
    public var subscriptionStatus: SubscriptionStatus?
    /// Every feature's effective entitlement. Setting it rebuilds the check index.
    public var entitlements: [FeatureKey: FeatureEntitlement] {
        get { storedEntitlements }
        set {
            storedEntitlements = newValue
            index = CheckIndex(newValue)
        }
    }

    /// The rate-limit policies of the customer's effective plan, as raised by their entitlements
    /// (see ``RateLimits/effective(plan:entitlements:)``). Absent in older snapshots: empty.
    public var rateLimits: [RateLimitPolicy]

    private var storedEntitlements: [FeatureKey: FeatureEntitlement]
    /// Derived from `entitlements`, for ``check(_:quantity:)``.
    private(set) var index: CheckIndex

    /// Creates a snapshot in the current format.
    public init(
        customer: String,
        generatedAt: Date,
        plan: String?,
        planSource: EntitlementSource,
        subscriptionStatus: SubscriptionStatus?,
        entitlements: [FeatureKey: FeatureEntitlement],
        rateLimits: [RateLimitPolicy] = []
    ) {
        self.formatVersion = Self.formatVersion
        self.customer = customer
        self.generatedAt = generatedAt
        self.plan = plan
        self.planSource = planSource
        self.subscriptionStatus = subscriptionStatus
        self.storedEntitlements = entitlements
        self.rateLimits = rateLimits
        self.index = CheckIndex(entitlements)
    }
}

extension EntitlementSnapshot: Hashable {
    /// Snapshots are equal when every field is (the check index is derived, so not compared).
    public static func == (lhs: EntitlementSnapshot, rhs: EntitlementSnapshot) -> Bool {
        lhs.formatVersion == rhs.formatVersion && lhs.customer == rhs.customer
            && lhs.generatedAt == rhs.generatedAt && lhs.plan == rhs.plan
            && lhs.planSource == rhs.planSource && lhs.subscriptionStatus == rhs.subscriptionStatus
            && lhs.storedEntitlements == rhs.storedEntitlements && lhs.rateLimits == rhs.rateLimits
    }

    /// Hashes every field but the derived check index.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(formatVersion)
        hasher.combine(customer)
        hasher.combine(generatedAt)
        hasher.combine(plan)
        hasher.combine(planSource)
        hasher.combine(subscriptionStatus)
        hasher.combine(storedEntitlements)
        hasher.combine(rateLimits)
    }
}

extension EntitlementSnapshot: Codable {
    enum CodingKeys: String, CodingKey {
        case formatVersion, customer, generatedAt, plan, planSource, subscriptionStatus, entitlements, rateLimits
    }

    /// Decodes a snapshot, first checking its format version.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .formatVersion)
        guard version == Self.formatVersion else {
            throw SnapshotFormatError(found: version, supported: Self.formatVersion)
        }
        self.formatVersion = version
        customer = try container.decode(String.self, forKey: .customer)
        generatedAt = try container.decode(Date.self, forKey: .generatedAt)
        plan = try container.decodeIfPresent(String.self, forKey: .plan)
        planSource = try container.decode(EntitlementSource.self, forKey: .planSource)
        subscriptionStatus = try container.decodeIfPresent(SubscriptionStatus.self, forKey: .subscriptionStatus)
        let entitlements = try FeatureKeyedCoding.decode(FeatureEntitlement.self, forKey: .entitlements, in: container)
        for (key, entitlement) in entitlements where entitlement.feature != key {
            throw DecodingError.dataCorruptedError(
                forKey: .entitlements,
                in: container,
                debugDescription: "the entitlement under \"\(key)\" is for feature \"\(entitlement.feature)\""
            )
        }
        storedEntitlements = entitlements
        rateLimits = try container.decodeIfPresent([RateLimitPolicy].self, forKey: .rateLimits) ?? []
        index = CheckIndex(entitlements)
    }

    /// Encodes the snapshot, `entitlements` as an object keyed by feature key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(formatVersion, forKey: .formatVersion)
        try container.encode(customer, forKey: .customer)
        try container.encode(generatedAt, forKey: .generatedAt)
        try container.encodeIfPresent(plan, forKey: .plan)
        try container.encode(planSource, forKey: .planSource)
        try container.encodeIfPresent(subscriptionStatus, forKey: .subscriptionStatus)
        try FeatureKeyedCoding.encode(entitlements, forKey: .entitlements, in: &container)
        try container.encode(rateLimits, forKey: .rateLimits)
    }
}
