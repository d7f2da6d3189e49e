import Foundation
import Tollgate

/// Fixtures shared by the tests.
enum Fixture {
    /// 2027-12-31T12:00:00Z, a fixed instant.
    static let now = utc("2027-12-31T12:00:00Z")

    /// Parses an ISO 8601 UTC timestamp, with optional fractional seconds.
    static func utc(_ string: String) -> Date {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = string.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        guard let date = parser.date(from: string) else {
            preconditionFailure("bad fixture timestamp \(string)")
        }
        return date
    }
}
