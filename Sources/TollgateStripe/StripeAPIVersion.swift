/// A Stripe API version as `Stripe-Version` and an event's `api_version` spell it: a date,
/// `2017-08-15`, or since 2024-09-30 a date and the release's name, `2026-10-28.endive`
/// (<https://docs.stripe.com/api/versioning>, <https://docs.stripe.com/changelog>).
///
/// Versions are ordered by their date alone (``isBefore(_:)``): a release's name follows from its
/// date, and a `.preview` version of a date is read like the release of that date.
package struct StripeAPIVersion: Sendable, Hashable, CustomStringConvertible {
    package let year: Int
    package let month: Int
    package let day: Int
    /// The release after the dot (`basil`, `endive`, `preview`); nil for the dated versions before 2024-09-30.
    package let release: String?

    /// Parses `YYYY-MM-DD` or `YYYY-MM-DD.<letters>`; nil for anything else.
    package init?(_ text: String) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard date.count == 3, date[0].count == 4, date[1].count == 2, date[2].count == 2,
              date.allSatisfy({ $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }),
              let year = Int(date[0]), let month = Int(date[1]), let day = Int(date[2]),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 32,
                  parts[1].utf8.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "_") })
            else { return nil }
            release = String(parts[1])
        } else {
            release = nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    package init(year: Int, month: Int, day: Int, release: String?) {
        self.year = year
        self.month = month
        self.day = day
        self.release = release
    }

    /// The version this code is written against, sent as `Stripe-Version`
    /// (``StripeConfiguration/pinnedAPIVersion`` spells it): the newest the official SDKs name
    /// (stripe-python 16.1.0: `stripe.api_version`).
    package static let pinned = StripeAPIVersion(year: 2026, month: 10, day: 28, release: "endive")

    /// Whether a payload rendered at `apiVersion` (an event's `api_version`) has shapes this code
    /// reads: any version dated on or before ``pinned`` (older shapes, back to localstripe's
    /// `2017-08-15`, are read too), and an event without one (Stripe omits it only on events
    /// from before 2014-10-31). A later or unparseable version is not known: its shapes may have
    /// moved fields this code would then miss.
    package static func isReadable(_ apiVersion: String?) -> Bool {
        guard let apiVersion else { return true }
        guard let version = StripeAPIVersion(apiVersion) else { return false }
        return !pinned.isBefore(version)
    }

    /// Whether this version's date is earlier than `other`'s.
    package func isBefore(_ other: StripeAPIVersion) -> Bool {
        (year, month, day) < (other.year, other.month, other.day)
    }

    /// `YYYY-MM-DD`.
    package var date: String {
        func pad(_ value: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(value).count)) + String(value) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    package var description: String { release.map { "\(date).\($0)" } ?? date }
}
