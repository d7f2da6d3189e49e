public import Foundation

/// Where the service reads the time of day: the system clock in production, one fixed or
/// hand-moved instant in tests, so a test that compares with "now" reads the same now as the code
/// under test (a clock read twice drifts across a second boundary on a busy machine).
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) { self.read = read }

    public func now() -> Date { read() }

    /// The system clock.
    public static let system = WallClock { Date() }

    /// A clock that always reads `instant`.
    public static func fixed(_ instant: Date) -> WallClock { WallClock { instant } }
}
