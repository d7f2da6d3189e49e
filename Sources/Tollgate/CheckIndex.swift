#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The lookup table behind ``EntitlementSnapshot/check(_:quantity:)``: an open-addressing hash
/// table from feature key to a compact, trivially copyable ``Rule``, probed with the key's
/// precomputed ``FeatureKey/lookupHash``. A check runs no `Hasher`, copies no strings but the
/// key it returns, and allocates nothing.
struct CheckIndex: Sendable {
    /// What a check needs of an entitlement; plain values only, so reading one retains nothing.
    struct Rule: Sendable {
        var kind: FeatureKind
        var value: EntitlementValue?
        var used: Int64?
        var remaining: Int64?
        var resetsAt: Date?
        /// Credit-priced features: credits per unit (0: not priced in credits) and what can be
        /// spent. Plain numbers, so a rule stays trivially copyable; the pool's name is in
        /// ``credits(at:)``.
        var creditCost: Int64
        var creditsAvailable: Int64

        /// Whether `quantity` units are covered (always, for a feature not priced in credits).
        @inline(__always)
        func creditsCover(_ quantity: Int64) -> Bool {
            guard creditCost > 0 else { return true }
            let (total, overflow) = creditCost.multipliedReportingOverflow(by: quantity)
            return !overflow && total <= creditsAvailable
        }
    }

    /// The keys, in table order.
    private let keys: [FeatureKey]
    /// The rules, parallel to `keys`.
    private let rules: [Rule]
    /// The denials, parallel to `keys`: read only when a check is denied for want of a value.
    private let denials: [DenialReason?]
    /// The credit uses, parallel to `keys`: read only for a feature priced in credits.
    private let creditUses: [FeatureCreditUse?]
    /// Power-of-two table of positions in `keys`; -1 marks an empty slot. At most half full.
    private let slots: [Int32]
    private let mask: Int

    init(_ entitlements: [FeatureKey: FeatureEntitlement]) {
        var capacity = 4
        while capacity < entitlements.count * 2 {
            capacity *= 2
        }
        var slots = [Int32](repeating: -1, count: capacity)
        var keys: [FeatureKey] = []
        var rules: [Rule] = []
        var denials: [DenialReason?] = []
        var creditUses: [FeatureCreditUse?] = []
        keys.reserveCapacity(entitlements.count)
        rules.reserveCapacity(entitlements.count)
        denials.reserveCapacity(entitlements.count)
        let mask = capacity - 1
        for (key, entitlement) in entitlements {
            var slot = Int(truncatingIfNeeded: key.lookupHash) & mask
            while slots[slot] >= 0 {
                slot = (slot + 1) & mask
            }
            slots[slot] = Int32(keys.count)
            keys.append(key)
            rules.append(Rule(
                kind: entitlement.kind,
                value: entitlement.value,
                used: entitlement.used,
                remaining: entitlement.remaining,
                resetsAt: entitlement.resetsAt,
                creditCost: entitlement.credits?.cost ?? 0,
                creditsAvailable: entitlement.credits?.available ?? 0
            ))
            denials.append(entitlement.denial)
            creditUses.append(entitlement.credits)
        }
        self.keys = keys
        self.rules = rules
        self.denials = denials
        self.creditUses = creditUses
        self.slots = slots
        self.mask = mask
    }

    /// The position of `key`, nil when the snapshot has no such feature.
    @inline(__always)
    func position(of key: FeatureKey) -> Int? {
        var slot = Int(truncatingIfNeeded: key.lookupHash) & mask
        while true {
            let position = Int(slots[slot])
            guard position >= 0 else { return nil }
            if keys[position].lookupHash == key.lookupHash && keys[position].rawValue == key.rawValue {
                return position
            }
            slot = (slot + 1) & mask
        }
    }

    /// The rule at `position`.
    @inline(__always)
    func rule(at position: Int) -> Rule {
        rules[position]
    }

    /// The credit use at `position` (a feature priced in credits).
    func credits(at position: Int) -> FeatureCreditUse? {
        creditUses[position]
    }

    /// The denial at `position`.
    func denial(at position: Int) -> DenialReason? {
        denials[position]
    }
}
