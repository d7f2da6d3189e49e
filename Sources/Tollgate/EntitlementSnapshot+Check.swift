extension EntitlementSnapshot {
    /// Whether the customer may use `quantity` of `feature`, answered from the snapshot: one
    /// dictionary lookup, no allocation.
    ///
    /// * `quantity < 1` → denied, ``DenialReason/invalidQuantity``.
    /// * A feature not in the snapshot → denied, ``DenialReason/unknownFeature``.
    /// * Not entitled → denied with the entitlement's denial.
    /// * Boolean → allowed (the quantity is ignored).
    /// * Limit `N` → allowed iff `quantity <= N`: `quantity` is the total asked for, such as 6
    ///   seats. Unlimited is always allowed.
    /// * Metered → allowed iff `used + quantity <= quota` (without overflowing). Unlimited is
    ///   always allowed.
    ///
    /// Over a limit or quota → denied, ``DenialReason/limitExceeded``. `used` and `remaining`
    /// are reported as they are before the use.
    public func check(_ feature: FeatureKey, quantity: Int64 = 1) -> CheckResult {
        guard let entitlement = entitlements[feature] else {
            return CheckResult(allowed: false, reason: quantity < 1 ? .invalidQuantity : .unknownFeature, feature: feature)
        }
        var result = CheckResult(
            allowed: false,
            feature: feature,
            value: entitlement.value,
            used: entitlement.used,
            remaining: entitlement.remaining,
            resetsAt: entitlement.resetsAt
        )
        if quantity < 1 {
            result.reason = .invalidQuantity
        } else if let value = entitlement.value {
            result.allowed = Self.allows(value, kind: entitlement.kind, used: entitlement.used ?? 0, quantity: quantity)
            result.reason = result.allowed ? nil : .limitExceeded
        } else {
            result.reason = entitlement.denial ?? .featureNotInPlan
        }
        return result
    }

    private static func allows(_ value: EntitlementValue, kind: FeatureKind, used: Int64, quantity: Int64) -> Bool {
        guard case .limit(let limit) = value else { return true }
        switch kind {
        case .boolean:
            return true
        case .limit:
            return quantity <= limit
        case .metered:
            let (total, overflow) = used.addingReportingOverflow(quantity)
            return !overflow && total <= limit
        }
    }
}
