import Foundation
package import Tollgate
package import TollgateStore

/// Where GCRA state lives. Each call decides one request atomically.
package protocol RateLimitBackend: Sendable {
    /// Decides `cost` for `key` and, when allowed, records it. Denied requests change nothing.
    func consume(key: String, gcra: GCRA, cost: Int) throws -> RateLimitDecision
    /// The decision `consume` would make now, without recording anything.
    func peek(key: String, gcra: GCRA, cost: Int) throws -> RateLimitDecision
}

/// One instance: TATs in this process's memory, on its monotonic clock (the default backend): the
/// library's ``LocalRateLimiter``, the one in-memory GCRA store.
package final class MemoryRateLimitBackend: RateLimitBackend {
    private let limiter: LocalRateLimiter

    package init(maximumKeys: Int = 1_000_000) {
        limiter = LocalRateLimiter(maximumKeys: maximumKeys)
    }

    package func consume(key: String, gcra: GCRA, cost: Int) -> RateLimitDecision {
        limiter.consume(key: key, gcra: gcra, cost: cost, now: limiter.now)
    }

    package func peek(key: String, gcra: GCRA, cost: Int) -> RateLimitDecision {
        limiter.peek(key: key, gcra: gcra, cost: cost, now: limiter.now)
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
