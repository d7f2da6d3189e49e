package import Foundation

/// Where the service reads the time of day: the system clock in production, one fixed or
/// hand-moved instant in tests, so a test that compares with "now" reads the same now as the code
/// under test (a clock read twice drifts across a second boundary on a busy machine).
package struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    package init(_ read: @escaping @Sendable () -> Date) { self.read = read }

    package func now() -> Date { read() }

    /// The system clock.
    package static let system = WallClock { Date() }

    /// A clock that always reads `instant`.
    package static func fixed(_ instant: Date) -> WallClock { WallClock { instant } }
}
