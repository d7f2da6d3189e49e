/// How often a price is charged.
public enum BillingInterval: String, Codable, Sendable, CaseIterable {
    /// Monthly.
    case month
    /// Yearly.
    case year
}

/// One price of a plan.
public struct Price: Codable, Sendable, Hashable {
    /// How often it is charged.
    public var interval: BillingInterval
    /// The ISO 4217 currency code in lowercase, such as `eur`.
    public var currency: String
    /// The amount in the currency's minor unit (cents for `eur`).
    public var unitAmount: Int64

    /// Creates a price.
    public init(interval: BillingInterval, currency: String, unitAmount: Int64) {
        self.interval = interval
        self.currency = currency
        self.unitAmount = unitAmount
    }
}
