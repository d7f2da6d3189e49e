extension EntitlementSnapshot {
    /// Whether the customer may use `quantity` of `feature`, answered from the snapshot: one
    /// lookup in a precomputed index, no allocation.
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
        guard let position = index.position(of: feature) else {
            return CheckResult(allowed: false, reason: quantity < 1 ? .invalidQuantity : .unknownFeature, feature: feature)
        }
        return index.entries.withUnsafeBufferPointer { entries in
            let entitlement = entries[position]
            let reason: DenialReason?
            if quantity < 1 {
                reason = .invalidQuantity
            } else if let value = entitlement.value {
                let allowed = Self.allows(value, kind: entitlement.kind, used: entitlement.used ?? 0, quantity: quantity)
                reason = allowed ? nil : .limitExceeded
            } else {
                reason = entitlement.denial ?? .featureNotInPlan
            }
            return CheckResult(
                allowed: reason == nil,
                reason: reason,
                feature: feature,
                value: entitlement.value,
                used: entitlement.used,
                remaining: entitlement.remaining,
                resetsAt: entitlement.resetsAt
            )
        }
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
