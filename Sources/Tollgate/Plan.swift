/// A plan (a tier) of the catalog: its prices, trial, entitlements and rate-limit policies.
///
/// `entitlements` encodes as a JSON object keyed by feature key, such as
/// `{"seats": 5, "api.requests": "unlimited", "sso": true}`; the same object holds the per-unit
/// limits (`"seats": {"per_unit": 1}`, ``perUnit``). When decoding, every field but
/// `key` and `name` may be left out: `status` defaults to `active`, `trialDays` to 0,
/// `isDefault` to `false` and the collections to empty.
public struct Plan: Sendable, Hashable {
    /// The plan's key, such as `pro`.
    public var key: String
    /// A human-readable name.
    public var name: String
    /// Draft, active or archived.
    public var status: PlanStatus
    /// Its prices, per interval and currency.
    public var prices: [Price]
    /// Days of free trial for a new subscription.
    public var trialDays: Int
    /// What the plan entitles a customer to, per feature. A feature left out (of this and of
    /// ``perUnit``) is not included.
    public var entitlements: [FeatureKey: EntitlementValue]
    /// The limits that scale with the subscription's quantity, per limit feature (docs/seats.md).
    /// A feature is in this or in ``entitlements``, not both.
    public var perUnit: [FeatureKey: PerUnitEntitlement]
    /// Whether Tollgate keeps the Stripe subscription's quantity equal to the seats assigned of a
    /// feature (docs/seats.md); nil: it does not.
    public var seatBilling: SeatBilling?
    /// Its rate-limit policies.
    public var rateLimits: [RateLimitPolicy]
    /// Whether customers without an active subscription get this plan's entitlements. A
    /// catalog has at most one default plan.
    public var isDefault: Bool
    /// The credits the plan grants each period, per pool (docs/credits.md).
    public var credits: [String: PlanCredits]
    /// Metered features billed per unit by Stripe, by feature key (docs/usage-billing.md). Encoded
    /// as `metered_prices`, an object keyed by feature key; left out when empty.
    public var meteredPrices: [FeatureKey: MeteredPrice]

    /// Creates a plan.
    public init(
        key: String,
        name: String,
        status: PlanStatus = .active,
        prices: [Price] = [],
        trialDays: Int = 0,
        entitlements: [FeatureKey: EntitlementValue] = [:],
        rateLimits: [RateLimitPolicy] = [],
        isDefault: Bool = false,
        credits: [String: PlanCredits] = [:],
        meteredPrices: [FeatureKey: MeteredPrice] = [:],
        perUnit: [FeatureKey: PerUnitEntitlement] = [:],
        seatBilling: SeatBilling? = nil
    ) {
        self.key = key
        self.name = name
        self.status = status
        self.prices = prices
        self.trialDays = trialDays
        self.entitlements = entitlements
        self.rateLimits = rateLimits
        self.isDefault = isDefault
        self.credits = credits
        self.meteredPrices = meteredPrices
        self.perUnit = perUnit
        self.seatBilling = seatBilling
    }

    /// Whether the plan names `feature` at all (a fixed value or a per-unit limit).
    public func includes(_ feature: FeatureKey) -> Bool {
        entitlements[feature] != nil || perUnit[feature] != nil
    }
}

/// What a plan grants of one credit pool each billing period.
public struct PlanCredits: Codable, Sendable, Hashable {
    /// Credits added at the start of each period.
    public var perPeriod: Int64
    /// How much of what is left at the period's end carries over (nil: nothing does).
    public var rolloverCap: Int64?

    /// Creates a period allowance.
    public init(perPeriod: Int64, rolloverCap: Int64? = nil) {
        self.perPeriod = perPeriod
        self.rolloverCap = rolloverCap
    }
}

extension Plan: Codable {
    enum CodingKeys: String, CodingKey {
        case key, name, status, prices, trialDays, entitlements, rateLimits, isDefault, credits, meteredPrices, seatBilling
    }

    /// Decodes a plan; see the type's documentation for the defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decode(String.self, forKey: .key)
        name = try container.decode(String.self, forKey: .name)
        status = try container.decodeIfPresent(PlanStatus.self, forKey: .status) ?? .active
        prices = try container.decodeIfPresent([Price].self, forKey: .prices) ?? []
        trialDays = try container.decodeIfPresent(Int.self, forKey: .trialDays) ?? 0
        let entries = container.contains(.entitlements)
            ? try FeatureKeyedCoding.decode(PlanEntitlementEntry.self, forKey: .entitlements, in: container)
            : [:]
        entitlements = entries.compactMapValues { if case .fixed(let value) = $0 { value } else { nil } }
        perUnit = entries.compactMapValues { if case .perUnit(let rule) = $0 { rule } else { nil } }
        rateLimits = try container.decodeIfPresent([RateLimitPolicy].self, forKey: .rateLimits) ?? []
        isDefault = try container.decodeIfPresent(Bool.self, forKey: .isDefault) ?? false
        credits = try container.decodeIfPresent([String: PlanCredits].self, forKey: .credits) ?? [:]
        meteredPrices = container.contains(.meteredPrices)
            ? try FeatureKeyedCoding.decode(MeteredPrice.self, forKey: .meteredPrices, in: container)
            : [:]
        seatBilling = try container.decodeIfPresent(SeatBilling.self, forKey: .seatBilling)
    }

    /// Encodes every field, `entitlements` as an object keyed by feature key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        try container.encode(prices, forKey: .prices)
        try container.encode(trialDays, forKey: .trialDays)
        var entries = entitlements.mapValues(PlanEntitlementEntry.fixed)
        for (feature, rule) in perUnit { entries[feature] = .perUnit(rule) }
        try FeatureKeyedCoding.encode(entries, forKey: .entitlements, in: &container)
        try container.encode(rateLimits, forKey: .rateLimits)
        try container.encode(isDefault, forKey: .isDefault)
        if !credits.isEmpty { try container.encode(credits, forKey: .credits) }
        if !meteredPrices.isEmpty { try FeatureKeyedCoding.encode(meteredPrices, forKey: .meteredPrices, in: &container) }
        try container.encodeIfPresent(seatBilling, forKey: .seatBilling)
    }
}

/// One value of a plan's `entitlements` object: a fixed value or a per-unit limit (an object).
enum PlanEntitlementEntry: Codable {
    case fixed(EntitlementValue)
    case perUnit(PerUnitEntitlement)

    init(from decoder: any Decoder) throws {
        if (try? decoder.container(keyedBy: PerUnitEntitlement.CodingKeys.self)) != nil {
            self = .perUnit(try PerUnitEntitlement(from: decoder))
        } else {
            self = .fixed(try EntitlementValue(from: decoder))
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .fixed(let value): try value.encode(to: encoder)
        case .perUnit(let rule): try rule.encode(to: encoder)
        }
    }
}
