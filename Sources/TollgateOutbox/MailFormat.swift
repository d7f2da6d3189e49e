package import Foundation
import TollgateBase

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

    /// An amount in the currency's minor unit, e.g. `4900` `usd` → `$49.00` (``MoneyFormat``).
    package static func money(_ minor: Int64, currency: String) -> String { MoneyFormat.text(minor, currency: currency) }
}
