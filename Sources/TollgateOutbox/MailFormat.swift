package import Foundation

/// How mails write dates and amounts: `March 14, 2026` (UTC) and `$49.00`.
package enum MailFormat {
    /// "February 12, 2026" (UTC).
    package static func day(_ date: Date) -> String { utc(date, "MMMM d, yyyy") }

    /// "February 12, 2026 at 09:30 UTC".
    package static func dateTime(_ date: Date) -> String { utc(date, "MMMM d, yyyy 'at' HH:mm 'UTC'") }

    private static func utc(_ date: Date, _ format: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter.string(from: date)
    }

    /// Stripe's zero-decimal currencies (<https://docs.stripe.com/currencies#zero-decimal>).
    static let zeroDecimal: Set<String> = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]

    /// An amount in the currency's minor unit, e.g. `4900` `usd` → `$49.00`.
    package static func money(_ minor: Int64, currency: String) -> String {
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
}
