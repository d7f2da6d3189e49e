import Synchronization
import TollgateBase

/// GCRA limits kept in this process's memory: one TAT per key, on the process's monotonic clock.
///
/// For callers that limit in-process (and the service's in-memory backend). Keys are spread over
/// 16 independently locked shards so that threads limiting different keys do not queue.
public final class LocalRateLimiter: Sendable {
    private final class Shard: Sendable {
        let table = Mutex<[String: Int64]>([:])
    }

    private static let shardCount = 16
    private let shards: [Shard]
    private let origin = ContinuousClock.now
    /// Keys per shard before rested keys are swept out.
    private let sweepThreshold: Int

    public init(maximumKeys: Int = 1_000_000) {
        shards = (0..<Self.shardCount).map { _ in Shard() }
        sweepThreshold = max(16, maximumKeys / Self.shardCount)
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
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
        return shard.table.withLock { table in
            let decision = gcra.decide(tat: table[key], now: now, cost: cost)
            if let tat = decision.newTAT {
                table[key] = tat
                if table.count > sweepThreshold { table = table.filter { $0.value > now } }
            }
            return decision
        }
    }

    /// The decision `consume` would make, recording nothing.
    public func peek(key: String, gcra: GCRA, cost: Int, now: Int64) -> RateLimitDecision {
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
        var decision = shard.table.withLock { gcra.decide(tat: $0[key], now: now, cost: cost) }
        decision.newTAT = nil
        return decision
    }

    /// Forgets every key (a plan change does not need this: the policy is read per decision).
    public func reset() {
        for shard in shards { shard.table.withLock { $0.removeAll() } }
    }
}
