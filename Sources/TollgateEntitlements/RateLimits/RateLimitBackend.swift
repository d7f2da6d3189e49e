import Foundation
import Synchronization
package import Tollgate
package import TollgateStore
import TollgateBase

/// Where GCRA state lives. Each call decides one request atomically.
package protocol RateLimitBackend: Sendable {
    /// Decides `cost` for `key` and, when allowed, records it. Denied requests change nothing.
    func consume(key: String, gcra: GCRA, cost: Int) throws -> RateLimitDecision
    /// The decision `consume` would make now, without recording anything.
    func peek(key: String, gcra: GCRA, cost: Int) throws -> RateLimitDecision
}

/// One instance: TATs in this process's memory, on its monotonic clock (the default backend).
///
/// Every request writes its key's state (the per-API-key limit runs on each call), so a lock per
/// decision would serialise the connection threads. A key's state is one `Int64`, so it lives in an
/// `Atomic` and each decision is a compare-and-swap loop; the table of keys sits behind a
/// reader-writer lock that is written only when a key is first seen.
package final class MemoryRateLimitBackend: RateLimitBackend {
    /// One key's TAT; `Int64.min` until the first admitted request.
    private final class Cell: Sendable {
        let tat = Atomic<Int64>(.min)
    }

    private let cells = ReadWriteLock<[String: Cell]>([:])
    private let origin = ContinuousClock.now
    private let maximumKeys: Int

    package init(maximumKeys: Int = 1_000_000) {
        self.maximumKeys = maximumKeys
    }

    package func consume(key: String, gcra: GCRA, cost: Int) -> RateLimitDecision {
        let cell = self.cell(for: key)
        let now = self.now
        var current = cell.tat.load(ordering: .acquiring)
        while true {
            let decision = gcra.decide(tat: current == .min ? nil : current, now: now, cost: cost)
            guard let newTAT = decision.newTAT else { return decision }
            let (exchanged, original) = cell.tat.compareExchange(expected: current, desired: newTAT, ordering: .acquiringAndReleasing)
            if exchanged { return decision }
            current = original
        }
    }

    package func peek(key: String, gcra: GCRA, cost: Int) -> RateLimitDecision {
        let tat = cells.read { $0[key] }?.tat.load(ordering: .acquiring) ?? .min
        var decision = gcra.decide(tat: tat == .min ? nil : tat, now: now, cost: cost)
        decision.newTAT = nil
        return decision
    }

    private var now: Int64 {
        let elapsed = ContinuousClock.now - origin
        return elapsed.nanoseconds
    }

    private func cell(for key: String) -> Cell {
        if let cell = cells.read({ $0[key] }) { return cell }
        let now = self.now
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

/// Several instances: TATs in the store, on the database's clock.
///
/// PostgreSQL decides with one statement (an upsert whose update is conditional on the GCRA
/// test, reading `clock_timestamp()` once), so concurrent instances never both take the last unit.
/// SQLite decides in one write transaction on this machine's clock.
package final class StoreRateLimitBackend: RateLimitBackend {
    private let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    package func consume(key: String, gcra: GCRA, cost: Int) throws -> RateLimitDecision {
        guard let increment = gcra.increment(cost: cost) else { return try peek(key: key, gcra: gcra, cost: cost) }
        switch database.dialect {
        case .postgres:
            let row = try database.withConnection { connection in
                try connection.queryFirst("""
                    WITH clock AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint AS now),
                        step AS (SELECT \(increment)::bigint AS increment, \(gcra.tolerance)::bigint AS tolerance)
                    INSERT INTO rate_limit_buckets AS b (key, tat)
                    SELECT \(key), clock.now + step.increment FROM clock, step WHERE step.increment <= step.tolerance
                    ON CONFLICT (key) DO UPDATE SET tat = GREATEST(b.tat, (SELECT now FROM clock)) + (SELECT increment FROM step)
                    WHERE GREATEST(b.tat, (SELECT now FROM clock)) + (SELECT increment FROM step) - (SELECT now FROM clock)
                        <= (SELECT tolerance FROM step)
                    RETURNING b.tat, (SELECT now FROM clock) AS now
                    """)
            }
            guard let row else { return denied(try peek(key: key, gcra: gcra, cost: cost)) }
            return gcra.allowed(newTAT: try row.get("tat"), now: try row.get("now"))
        case .sqlite:
            return try database.transaction { connection in
                let now = Self.wallClockNanoseconds()
                let tat: Int64? = try connection.queryFirst("SELECT tat FROM rate_limit_buckets WHERE key = \(key)")?.get("tat")
                let decision = gcra.decide(tat: tat, now: now, cost: cost)
                if let newTAT = decision.newTAT {
                    try connection.execute("""
                        INSERT INTO rate_limit_buckets (key, tat) VALUES (\(key), \(newTAT))
                        ON CONFLICT (key) DO UPDATE SET tat = excluded.tat
                        """)
                }
                return decision
            }
        }
    }

    package func peek(key: String, gcra: GCRA, cost: Int) throws -> RateLimitDecision {
        let (tat, now): (Int64?, Int64) = try database.withConnection { connection in
            switch database.dialect {
            case .postgres:
                let row = try connection.queryFirst("""
                    SELECT (SELECT tat FROM rate_limit_buckets WHERE key = \(key)) AS tat,
                        (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint AS now
                    """)
                return (try row?.get("tat"), try row?.get("now") ?? Self.wallClockNanoseconds())
            case .sqlite:
                return (try connection.queryFirst("SELECT tat FROM rate_limit_buckets WHERE key = \(key)")?.get("tat"), Self.wallClockNanoseconds())
            }
        }
        var decision = gcra.decide(tat: tat, now: now, cost: cost)
        decision.newTAT = nil
        return decision
    }

    /// A decision the store refused: whatever a later read shows, it stays denied.
    private func denied(_ decision: RateLimitDecision) -> RateLimitDecision {
        var decision = decision
        decision.allowed = false
        decision.newTAT = nil
        return decision
    }

    static func wallClockNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
