/// The lookup table behind ``EntitlementSnapshot/check(_:quantity:)``: an open-addressing hash
/// table from feature key to an entitlement, probed with the key's precomputed
/// ``FeatureKey/lookupHash``. A check costs one multiply-free probe sequence and one string
/// comparison, with no `Hasher` run and no copy of the entitlement.
struct CheckIndex: Sendable {
    /// The entitlements, in table order.
    let entries: [FeatureEntitlement]
    /// Power-of-two table of indices into `entries`; -1 marks an empty slot.
    private let slots: [Int32]
    private let mask: Int

    init(_ entitlements: [FeatureKey: FeatureEntitlement]) {
        var capacity = 4
        while capacity < entitlements.count * 2 {
            capacity *= 2
        }
        var slots = [Int32](repeating: -1, count: capacity)
        var entries: [FeatureEntitlement] = []
        entries.reserveCapacity(entitlements.count)
        let mask = capacity - 1
        for (key, entitlement) in entitlements {
            var slot = Int(truncatingIfNeeded: key.lookupHash) & mask
            while slots[slot] >= 0 {
                slot = (slot + 1) & mask
            }
            slots[slot] = Int32(entries.count)
            var entry = entitlement
            entry.feature = key
            entries.append(entry)
        }
        self.entries = entries
        self.slots = slots
        self.mask = mask
    }

    /// The position in `entries` of `key`'s entitlement, nil when there is none.
    func position(of key: FeatureKey) -> Int? {
        var slot = Int(truncatingIfNeeded: key.lookupHash) & mask
        while true {
            let position = Int(slots[slot])
            guard position >= 0 else { return nil }
            let candidate = entries[position].feature
            if candidate.lookupHash == key.lookupHash && candidate.rawValue == key.rawValue {
                return position
            }
            slot = (slot + 1) & mask
        }
    }
}
