import Foundation

/// How people read an amount: `4900` `usd` → `$49.00`, `500` `jpy` → `¥500` (en_US conventions,
/// the currency's own minor unit). The one rule for mails, the CLI's human output and the catalog
/// diff; JSON keeps the minor units.
package enum MoneyFormat {
    /// Stripe's zero-decimal currencies (<https://docs.stripe.com/currencies#zero-decimal>).
    static let zeroDecimal: Set<String> = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]

    /// An amount in the currency's minor unit, e.g. `4900` `usd` → `$49.00`.
    package static func text(_ minor: Int64, currency: String) -> String {
        let code = currency.lowercased()
        let digits = zeroDecimal.contains(code) ? 0 : 2
        let formatter = NumberFormatter()
        formatter.locale = Locale(identifier: "en_US")
        formatter.numberStyle = .currency
        formatter.currencyCode = code.uppercased()
        formatter.minimumFractionDigits = digits
        formatter.maximumFractionDigits = digits
        let value = Decimal(minor) / pow(Decimal(10), digits)
        return formatter.string(from: value as NSDecimalNumber) ?? "\(code.uppercased()) \(value)"
    }

    /// A recurring price: `$49.00 / month`.
    package static func recurring(_ minor: Int64, currency: String, per interval: String) -> String {
        "\(text(minor, currency: currency)) / \(interval)"
    }
}
