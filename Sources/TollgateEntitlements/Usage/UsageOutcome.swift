package import Foundation
package import Tollgate

/// The answer to recording or consuming usage.
package struct UsageOutcome: Sendable, Codable, Equatable {
    /// True when the quantity was counted (or had been, for a repeated idempotency key).
    package var allowed: Bool
    /// Why not, when `allowed` is false.
    package var reason: DenialReason?
    /// True when the idempotency key had been used: nothing new was counted.
    package var duplicate: Bool
    package var feature: FeatureKey
    package var quantity: Int64
    /// Usage in the current window after this call (for a repeat, or a denial: as it stands now).
    package var used: Int64
    /// What is left of the quota after this call; nil when unlimited or not entitled.
    package var remaining: Int64?
    package var resetsAt: Date?
    /// Features priced in credits: the price and the balance after this use (before it, when denied).
    package var credits: FeatureCreditUse?

    package init(
        allowed: Bool, reason: DenialReason?, duplicate: Bool, feature: FeatureKey, quantity: Int64, used: Int64, remaining: Int64?, resetsAt: Date?,
        credits: FeatureCreditUse? = nil
    ) {
        self.allowed = allowed
        self.reason = reason
        self.duplicate = duplicate
        self.feature = feature
        self.quantity = quantity
        self.used = used
        self.remaining = remaining
        self.resetsAt = resetsAt
        self.credits = credits
    }
}

/// A usage request: record (always counts) or consume (counts only within the quota).
package struct UsageRequest: Sendable, Codable, Equatable {
    package static let maximumQuantity: Int64 = 1_000_000_000_000

    package var customer: String
    package var feature: FeatureKey
    package var quantity: Int64
    /// A repeat with the same key (per customer and feature) is a no-op.
    package var idempotencyKey: String?

    package init(customer: String, feature: FeatureKey, quantity: Int64 = 1, idempotencyKey: String? = nil) {
        self.customer = customer
        self.feature = feature
        self.quantity = quantity
        self.idempotencyKey = idempotencyKey
    }

    enum CodingKeys: String, CodingKey { case customer, feature, quantity, idempotencyKey }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        customer = try container.decode(String.self, forKey: .customer)
        feature = try container.decode(FeatureKey.self, forKey: .feature)
        quantity = try container.decodeIfPresent(Int64.self, forKey: .quantity) ?? 1
        idempotencyKey = try container.decodeIfPresent(String.self, forKey: .idempotencyKey)
    }

    func validate() throws(DomainError) {
        guard quantity >= 1, quantity <= Self.maximumQuantity else {
            throw .invalid("quantity", "must be from 1 to \(Self.maximumQuantity)")
        }
        if let idempotencyKey, idempotencyKey.isEmpty || idempotencyKey.count > 255 {
            throw .invalid("idempotency_key", "must be 1 to 255 characters")
        }
    }
}
