#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What one unit of a credit-priced feature costs (docs/credits.md): `cost` credits of `pool`,
/// counted in the pool's smallest unit (integers: no fractions anywhere).
public struct FeatureCredits: Codable, Sendable, Hashable {
    /// The pool's key, such as `ai_credits`.
    public var pool: String
    /// Credits per unit, at least 1.
    public var cost: Int64

    /// Creates a price in credits.
    public init(pool: String, cost: Int64) {
        self.pool = pool
        self.cost = cost
    }
}

/// A customer's credits in one pool as an evaluation sees them.
public struct CreditBalance: Codable, Sendable, Hashable {
    /// The credits left: the live blocks' remaining amounts less any debt (negative when the pool
    /// allows overage and the customer used it).
    public var balance: Int64
    /// What can still be spent: the balance less what open holds reserve, less the pool's floor
    /// (the floor is 0 for a hard stop, negative when overage is allowed).
    public var available: Int64
    /// The next instant at which the balance changes by itself (a block expiring, a hold running
    /// out); nil when none will.
    public var changesAt: Date?

    /// Creates a balance.
    public init(balance: Int64, available: Int64, changesAt: Date? = nil) {
        self.balance = balance
        self.available = available
        self.changesAt = changesAt
    }
}

/// A credit-priced feature's entitlement in credits: its price, and the customer's balance.
public struct FeatureCreditUse: Codable, Sendable, Hashable {
    /// The pool it draws from.
    public var pool: String
    /// Credits per unit.
    public var cost: Int64
    /// The customer's balance in the pool.
    public var balance: Int64
    /// What the customer can still spend there (``CreditBalance/available``).
    public var available: Int64

    /// Creates a credit use.
    public init(pool: String, cost: Int64, balance: Int64, available: Int64) {
        self.pool = pool
        self.cost = cost
        self.balance = balance
        self.available = available
    }

    /// Whether `quantity` units are covered: `cost × quantity ≤ available`, without overflowing.
    public func covers(_ quantity: Int64) -> Bool {
        let (total, overflow) = cost.multipliedReportingOverflow(by: quantity)
        return !overflow && total <= available
    }
}
