/// A plan's limit that scales with the subscription's quantity (docs/seats.md): in a plan's
/// `entitlements`, `{"per_unit": 3, "base": 2, "max": 100}` for a limit feature.
///
/// The limit is `min(max, base + per_unit × quantity)`, computed without overflowing (it saturates
/// at `Int64.max`); `base` defaults to 0 and a missing `max` leaves the limit uncapped. The
/// quantity is the subscription's whose plan counts; for the default plan (no subscription that
/// grants access) it is 0, so only `base` counts.
public struct PerUnitEntitlement: Codable, Sendable, Hashable {
    /// The limit added by each unit of the subscription's quantity.
    public var perUnit: Int64
    /// The limit at quantity 0.
    public var base: Int64
    /// The most the limit can reach, nil when uncapped.
    public var max: Int64?

    /// Creates a per-unit entitlement.
    public init(perUnit: Int64, base: Int64 = 0, max: Int64? = nil) {
        self.perUnit = perUnit
        self.base = base
        self.max = max
    }

    enum CodingKeys: String, CodingKey { case perUnit, base, max }

    /// Decodes `per_unit` (required), `base` and `max`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        perUnit = try container.decode(Int64.self, forKey: .perUnit)
        base = try container.decodeIfPresent(Int64.self, forKey: .base) ?? 0
        max = try container.decodeIfPresent(Int64.self, forKey: .max)
    }

    /// Encodes `per_unit`, and `base` and `max` when they are set.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(perUnit, forKey: .perUnit)
        if base != 0 { try container.encode(base, forKey: .base) }
        try container.encodeIfPresent(max, forKey: .max)
    }

    /// The limit at `quantity` units (a negative quantity counts as 0).
    public func limit(quantity: Int) -> Int64 {
        let units = Int64(Swift.max(0, quantity))
        let (product, overflow) = perUnit.multipliedReportingOverflow(by: units)
        let scaled = overflow ? (perUnit < 0 ? Int64.min : Int64.max) : product
        let limit = base.saturatingAdding(scaled)
        return max.map { Swift.min($0, limit) } ?? limit
    }
}

extension PerUnitEntitlement: CustomStringConvertible {
    /// `3 per unit`, `2 + 3 per unit, at most 100`: how the diff and the CLI show it.
    public var description: String {
        (base == 0 ? "" : "\(base) + ") + "\(perUnit) per unit" + (max.map { ", at most \($0)" } ?? "")
    }
}

/// Where a per-unit limit came from, as the snapshot reports it beside the source
/// ``EntitlementSource/planPerUnit``: the plan's rule and the quantity it was applied to.
public struct PerUnitBasis: Codable, Sendable, Hashable {
    /// The limit per unit.
    public var perUnit: Int64
    /// The limit at quantity 0.
    public var base: Int64
    /// The cap, nil when uncapped.
    public var max: Int64?
    /// The subscription's quantity the limit was computed for (0 for the default plan).
    public var quantity: Int

    /// Creates a basis.
    public init(perUnit: Int64, base: Int64 = 0, max: Int64? = nil, quantity: Int) {
        self.perUnit = perUnit
        self.base = base
        self.max = max
        self.quantity = quantity
    }

    init(_ rule: PerUnitEntitlement, quantity: Int) {
        self.init(perUnit: rule.perUnit, base: rule.base, max: rule.max, quantity: quantity)
    }
}

/// A limit feature's seats (docs/seats.md): how many members hold one and by how much that exceeds
/// the limit — never resolved by dropping anyone; the SaaS releases seats.
public struct SeatUse: Codable, Sendable, Hashable {
    /// Members holding a seat.
    public var assigned: Int64
    /// `assigned - limit` when the limit fell below the holders (a downgrade, a lower quantity);
    /// 0 otherwise. While it is positive, new assignments are refused.
    public var overLimit: Int64

    /// Creates a seat use.
    public init(assigned: Int64, overLimit: Int64 = 0) {
        self.assigned = assigned
        self.overLimit = overLimit
    }

    /// The seats of `assigned` holders under `value` (a limit feature's effective value; nil: not entitled, so every holder is over).
    public init(assigned: Int64, value: EntitlementValue?) {
        let limit: Int64? = switch value {
        case .limit(let limit)?: limit
        case .unlimited?, .enabled?: nil
        case nil: 0
        }
        self.init(assigned: assigned, overLimit: limit.map { Swift.max(0, assigned.saturatingSubtracting($0)) } ?? 0)
    }
}

extension Int64 {
    /// `self - other`, clamped to the representable range.
    func saturatingSubtracting(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }
}

/// A plan's seat billing (docs/seats.md, "Quantity from seats"): Tollgate keeps the Stripe
/// subscription's quantity equal to the members holding seats of `feature`, at most one update per
/// subscription per interval, with the plan's proration behaviour.
public struct SeatBilling: Codable, Sendable, Hashable {
    /// The limit feature whose assigned seats the quantity follows.
    public var feature: FeatureKey
    /// Stripe's `proration_behavior` for the quantity change (`create_prorations`, `none`,
    /// `always_invoice`); nil: Stripe's default, `create_prorations`.
    public var prorationBehavior: String?

    /// Creates a seat billing.
    public init(feature: FeatureKey, prorationBehavior: String? = nil) {
        self.feature = feature
        self.prorationBehavior = prorationBehavior
    }
}
