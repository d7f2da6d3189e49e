/// How plan and grant values combine: "the more generous value wins".
extension EntitlementValue {
    /// The value as a quantity (limit or quota): `enabled` is not one, so it is ignored for
    /// limit and metered features.
    var quantity: EntitlementValue? {
        switch self {
        case .enabled: nil
        case .limit, .unlimited: self
        }
    }

    /// The larger of two quantities; `unlimited` beats every number.
    func maximum(_ other: EntitlementValue) -> EntitlementValue {
        switch (self, other) {
        case (.limit(let a), .limit(let b)): .limit(Swift.max(a, b))
        case (.unlimited, _), (_, .unlimited): .unlimited
        case (.enabled, _): other
        case (_, .enabled): self
        }
    }

    /// The sum of two quantities, saturating at `Int64.max` / `Int64.min`; `unlimited` if
    /// either is.
    func adding(_ other: EntitlementValue) -> EntitlementValue {
        switch (self, other) {
        case (.limit(let a), .limit(let b)): .limit(a.saturatingAdding(b))
        case (.unlimited, _), (_, .unlimited): .unlimited
        case (.enabled, _): other
        case (_, .enabled): self
        }
    }
}

extension Int64 {
    /// `self + other`, clamped to the representable range instead of overflowing.
    func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `max(0, self - other)`, without overflowing.
    func remaining(after used: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(used)
        guard overflow else { return Swift.max(0, difference) }
        return used < 0 ? .max : 0
    }
}
