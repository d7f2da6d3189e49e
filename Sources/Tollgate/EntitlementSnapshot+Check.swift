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
    /// Over a limit or quota → denied, ``DenialReason/limitExceeded``. A feature priced in credits
    /// whose balance does not cover `cost × quantity` → denied, ``DenialReason/insufficientCredits``
    /// (``creditUse(_:)`` has the balance). `used` and `remaining`
    /// are reported as they are before the use.
    public func check(_ feature: FeatureKey, quantity: Int64 = 1) -> CheckResult {
        guard let position = index.position(of: feature) else {
            return Self.unknown(feature, quantity: quantity)
        }
        let rule = index.rule(at: position)
        let reason: DenialReason?
        if quantity < 1 {
            reason = .invalidQuantity
        } else if let value = rule.value {
            if !Self.allows(value, kind: rule.kind, used: rule.used ?? 0, quantity: quantity) {
                reason = .limitExceeded
            } else if !rule.creditsCover(quantity) {
                reason = .insufficientCredits
            } else {
                reason = nil
            }
        } else {
            reason = index.denial(at: position) ?? .featureNotInPlan
        }
        return CheckResult(
            allowed: reason == nil,
            reason: reason,
            feature: feature,
            value: rule.value,
            used: rule.used,
            remaining: rule.remaining,
            resetsAt: rule.resetsAt
        )
    }

    /// A credit-priced feature's price and the customer's balance in its pool (nil for a feature
    /// not priced in credits, or not in the snapshot). Kept out of ``CheckResult``, which stays as
    /// small as the check's hot path needs.
    public func creditUse(_ feature: FeatureKey) -> FeatureCreditUse? {
        index.position(of: feature).flatMap { index.credits(at: $0) }
    }

    /// The answer for a feature the snapshot does not have; kept out of line so the common
    /// path builds its result once, in place.
    @inline(never)
    private static func unknown(_ feature: FeatureKey, quantity: Int64) -> CheckResult {
        CheckResult(allowed: false, reason: quantity < 1 ? .invalidQuantity : .unknownFeature, feature: feature)
    }

    @inline(__always)
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
