/// `Duration` in the units the C libraries and Foundation take, written once.
extension Duration {
    /// Seconds as a `Double` (Foundation's `TimeInterval`).
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// Whole nanoseconds (truncated toward zero; saturating at `Int64`'s bounds, some 292 years).
    package var nanoseconds: Int64 { Self.whole(components, perSecond: 1_000_000_000) }

    /// Whole microseconds (truncated toward zero, saturating).
    package var microseconds: Int64 { Self.whole(components, perSecond: 1_000_000) }

    private static func whole(_ parts: (seconds: Int64, attoseconds: Int64), perSecond units: Int64) -> Int64 {
        let (scaled, overflow) = parts.seconds.multipliedReportingOverflow(by: units)
        guard !overflow else { return parts.seconds < 0 ? .min : .max }
        let (total, overflowSum) = scaled.addingReportingOverflow(parts.attoseconds / (1_000_000_000_000_000_000 / units))
        return overflowSum ? (scaled < 0 ? .min : .max) : total
    }

    /// Whole milliseconds, rounded up: a timeout of 1.2 ms waits 2 ms, never 1.
    package var millisecondsRoundedUp: Int64 {
        let (whole, rest) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000)
        return rest > 0 ? whole + 1 : whole
    }
}
