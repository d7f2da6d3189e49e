/// What a plan charges per unit of a metered feature, billed by Stripe from the usage Tollgate
/// counts (docs/usage-billing.md): a metered Price on the feature's Billing Meter.
///
/// `unitAmountDecimal` is Stripe's `unit_amount_decimal`: the amount per unit in the currency's
/// **minor** unit, as a decimal string with at most 12 decimal places (`"0.05"` is 0.05 cents, so
/// 1,000 units cost 50 cents). A string, so the catalog never rounds it.
public struct MeteredPrice: Codable, Sendable, Hashable {
    /// The amount per unit in minor units, such as `"0.05"` or `"2"`.
    public var unitAmountDecimal: String
    /// The ISO 4217 currency code in lowercase, such as `usd`.
    public var currency: String

    /// Creates a metered price.
    public init(unitAmountDecimal: String, currency: String) {
        self.unitAmountDecimal = unitAmountDecimal
        self.currency = currency
    }

    /// Whether `unitAmountDecimal` is what Stripe accepts: digits, optionally a point and 1 to 12
    /// digits, not more than 12 digits before the point.
    public var hasValidAmount: Bool {
        let parts = unitAmountDecimal.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return false }
        let digits: (Substring) -> Bool = { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard digits(parts[0]), parts[0].count <= 12 else { return false }
        return parts.count == 1 || (digits(parts[1]) && parts[1].count <= 12)
    }
}
