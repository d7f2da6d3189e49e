package import Foundation
package import Tollgate
import TollgateBase

/// Recently computed snapshots, so a hot entitlement check costs no store read.
///
/// Writes made through this process invalidate the customer at once; writes made elsewhere (another
/// instance, the CLI) are seen within `ttl`. A snapshot is never served at or after the next instant
/// at which it changes by itself (a grant's expiry, a period's end, …), whatever `ttl` says. A snapshot computed while an invalidation happened is
/// not kept (the generation moved), so a racing write can never leave a stale entry behind.
package final class SnapshotCache: Sendable {
    private struct State: Sendable {
        var entries: [String: (snapshot: EntitlementSnapshot, expires: ContinuousClock.Instant)] = [:]
        var generation: UInt64 = 0
    }

    package let ttl: Duration
    private let capacity: Int
    private let state = ReadWriteLock(State())

    package init(ttl: Duration, capacity: Int = 100_000) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The cached snapshot of `customer` while it is fresh.
    package func get(_ customer: String) -> EntitlementSnapshot? {
        let now = ContinuousClock.now
        return state.read { state in
            guard let entry = state.entries[customer], entry.expires > now else { return nil }
            return entry.snapshot
        }
    }

    /// The generation to hand back to ``put(_:_:generation:)`` once the snapshot is computed.
    package var generation: UInt64 { state.read { $0.generation } }

    /// Keeps `snapshot` for at most ``ttl``, and never at or past `notAfter` (the next instant at
    /// which it changes by itself: a grant expiring, a period or grace ending, a usage window
    /// resetting — ``EvaluationInput/nextChange``).
    package func put(_ customer: String, _ snapshot: EntitlementSnapshot, generation: UInt64, notAfter: Date? = nil) {
        let now = ContinuousClock.now
        var expires = now + ttl
        if let notAfter {
            let remaining = notAfter.timeIntervalSinceNow
            guard remaining > 0 else { return }
            if .seconds(remaining) < ttl { expires = now + .seconds(remaining) }
        }
        state.write { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[customer] = (snapshot, expires)
        }
    }

    package func invalidate(_ customer: String) {
        state.write { state in
            state.generation &+= 1
            state.entries.removeValue(forKey: customer)
        }
    }

    package func invalidateAll() {
        state.write { state in
            state.generation &+= 1
            state.entries.removeAll()
        }
    }
}
