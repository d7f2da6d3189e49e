import Synchronization
import TollgateBase

/// GCRA limits kept in this process's memory: one TAT per key, on the process's monotonic clock.
///
/// The one in-memory GCRA store: callers that limit in-process use it directly, and the service's
/// `memory` rate-limit backend is this limiter behind the backend protocol.
///
/// Every request may write its key's state (the service's per-API-key limit runs on each call), so
/// a lock per decision would serialise the callers' threads. A key's state is one `Int64`, so it
/// lives in an `Atomic` and each decision is a compare-and-swap loop; the table of keys sits behind
/// a reader-writer lock that is written only when a key is first seen.
public final class LocalRateLimiter: Sendable {
    /// One key's TAT; `Int64.min` until the first admitted request.
    private final class Cell: Sendable {
        let tat = Atomic<Int64>(.min)
    }

    private let cells = ReadWriteLock<[String: Cell]>([:])
    private let origin = ContinuousClock.now
    /// Keys kept before rested keys are swept out.
    private let maximumKeys: Int

    public init(maximumKeys: Int = 1_000_000) {
        self.maximumKeys = max(1, maximumKeys)
    }

    /// Nanoseconds since this limiter was made.
    public var now: Int64 {
        let elapsed = ContinuousClock.now - origin
        return elapsed.nanoseconds
    }

    /// Decides and, when allowed, records `cost` units for `key` under `policy`.
    public func consume(key: String, policy: RateLimitPolicy, cost: Int = 1) -> RateLimitDecision {
        consume(key: key, gcra: GCRA(policy), cost: cost, now: now)
    }

    /// The same at an explicit instant on this limiter's clock (tests, replays).
    public func consume(key: String, gcra: GCRA, cost: Int, now: Int64) -> RateLimitDecision {
        let cell = self.cell(for: key, now: now)
        var current = cell.tat.load(ordering: .acquiring)
        while true {
            let decision = gcra.decide(tat: current == .min ? nil : current, now: now, cost: cost)
            guard let newTAT = decision.newTAT else { return decision }
            let (exchanged, original) = cell.tat.compareExchange(expected: current, desired: newTAT, ordering: .acquiringAndReleasing)
            if exchanged { return decision }
            current = original
        }
    }

    /// The decision `consume` would make, recording nothing.
    public func peek(key: String, gcra: GCRA, cost: Int, now: Int64) -> RateLimitDecision {
        let tat = cells.read { $0[key] }?.tat.load(ordering: .acquiring) ?? .min
        var decision = gcra.decide(tat: tat == .min ? nil : tat, now: now, cost: cost)
        decision.newTAT = nil
        return decision
    }

    /// Forgets every key (a plan change does not need this: the policy is read per decision).
    public func reset() {
        cells.write { $0.removeAll() }
    }

    private func cell(for key: String, now: Int64) -> Cell {
        if let cell = cells.read({ $0[key] }) { return cell }
        return cells.write { table in
            if let cell = table[key] { return cell }
            if table.count >= maximumKeys {
                // Forget rested keys (their TAT is in the past: a fresh cell decides the same).
                table = table.filter { $0.value.tat.load(ordering: .relaxed) > now }
            }
            let cell = Cell()
            table[key] = cell
            return cell
        }
    }
}
