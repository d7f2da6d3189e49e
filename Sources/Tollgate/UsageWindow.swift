#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The current usage window of a metered feature: `[start, end)`, with `end` nil when the
/// usage never resets.
public struct UsageWindow: Codable, Sendable, Hashable {
    /// The first instant of the window (inclusive).
    public var start: Date
    /// The instant the usage resets (exclusive); nil for ``ResetPeriod/never``.
    public var end: Date?

    /// Creates a window.
    public init(start: Date, end: Date?) {
        self.start = start
        self.end = end
    }

    /// The window of a usage that never resets: `[distantPast, nil)`.
    public static let unbounded = UsageWindow(start: .distantPast, end: nil)

    /// Whether `date` falls in the window: `start <= date < end`.
    public func contains(_ date: Date) -> Bool {
        guard start <= date else { return false }
        guard let end else { return true }
        return date < end
    }

    /// The window containing `now` for `period`, all in UTC:
    ///
    /// * ``ResetPeriod/day``: the calendar day, `[00:00, next day 00:00)`.
    /// * ``ResetPeriod/month``: the calendar month, `[the 1st 00:00, next month's 1st 00:00)`.
    /// * ``ResetPeriod/billingPeriod``: the subscription's `[currentPeriodStart,
    ///   currentPeriodEnd)` when both are known and contain `now`, else the calendar month.
    /// * ``ResetPeriod/never``: ``unbounded``.
    ///
    /// A `now` that is not finite or is hundreds of thousands of years away gets ``unbounded``.
    public static func current(for period: ResetPeriod, subscription: SubscriptionState?, at now: Date) -> UsageWindow {
        switch period {
        case .day:
            guard let day = CivilCalendar.day(containing: now) else { return .unbounded }
            return UsageWindow(start: CivilCalendar.start(ofDay: day), end: CivilCalendar.start(ofDay: day + 1))
        case .month:
            return calendarMonth(containing: now)
        case .billingPeriod:
            if let start = subscription?.currentPeriodStart, let end = subscription?.currentPeriodEnd {
                let period = UsageWindow(start: start, end: end)
                if period.contains(now) { return period }
            }
            return calendarMonth(containing: now)
        case .never:
            return .unbounded
        }
    }

    private static func calendarMonth(containing now: Date) -> UsageWindow {
        guard let day = CivilCalendar.day(containing: now) else { return .unbounded }
        let (year, month, _) = CivilCalendar.civil(fromDays: day)
        let first = CivilCalendar.days(year: year, month: month, day: 1)
        let next = month == 12
            ? CivilCalendar.days(year: year + 1, month: 1, day: 1)
            : CivilCalendar.days(year: year, month: month + 1, day: 1)
        return UsageWindow(start: CivilCalendar.start(ofDay: first), end: CivilCalendar.start(ofDay: next))
    }
}
