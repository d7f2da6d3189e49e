import Foundation
import Synchronization
import Tollgate
import TollgateCore
import TollgateEntitlements
import TollgateLogging
import TollgateStore

/// Rate-limit decisions per second: THREADS threads decide for SECONDS seconds, each on its own
/// keys (the usual case: many customers) or all on one key, against a store (`DATABASE_URL`: the
/// shared backend) or in memory (`memory`: the library's LocalRateLimiter and the service's
/// compare-and-swap backend). Usage: tollgate-bench-ratelimit DATABASE_URL|memory [SECONDS] [THREADS] [one-key]
let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: tollgate-bench-ratelimit DATABASE_URL [SECONDS] [THREADS] [one-key]\n".utf8))
    exit(2)
}
let seconds = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
let threads = arguments.count > 3 ? Int(arguments[3]) ?? 8 : 8
let oneKey = arguments.count > 4 && arguments[4] == "one-key"
let gcra = GCRA(RateLimitPolicy(name: "bench", limit: 1_000_000_000, windowSeconds: 1, burst: 1_000_000_000))

/// Runs `decide` on THREADS threads until the deadline; returns decisions made.
func hammer(_ decide: @escaping @Sendable (Int, Int) -> Bool) -> (decisions: Int, failures: Int) {
    let decisions = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let deadline = ContinuousClock.now + .seconds(seconds)
    let group = DispatchGroup()
    for thread in 0..<threads {
        group.enter()
        Thread.detachNewThread {
            var index = 0
            var made = 0
            var failed = 0
            while index % 256 != 0 || ContinuousClock.now < deadline {
                if decide(thread, index) { made += 1 } else { failed += 1 }
                index += 1
            }
            decisions.add(made, ordering: .relaxed)
            failures.add(failed, ordering: .relaxed)
            group.leave()
        }
    }
    group.wait()
    return (decisions.load(ordering: .relaxed), failures.load(ordering: .relaxed))
}

@Sendable func key(_ thread: Int, _ index: Int) -> String { oneKey ? "bench" : "bench:\(thread):\(index % 1000)" }

if arguments[1] == "memory" {
    let local = LocalRateLimiter()
    let library = hammer { thread, index in local.consume(key: key(thread, index), gcra: gcra, cost: 1, now: local.now).allowed }
    let service = MemoryRateLimitBackend()
    let backend = hammer { thread, index in service.consume(key: key(thread, index), gcra: gcra, cost: 1).allowed }
    print(#"{"backend": "memory", "threads": \#(threads), "seconds": \#(seconds), "one_key": \#(oneKey), "local_rate_limiter_decisions_per_second": \#(library.decisions / max(1, seconds)), "memory_backend_decisions_per_second": \#(backend.decisions / max(1, seconds))}"#)
    exit(0)
}

do {
    let database = try openDatabase(arguments[1], poolSize: threads, logger: .disabled)
    let backend = StoreRateLimitBackend(database: database)
    let result = hammer { thread, index in (try? backend.consume(key: key(thread, index), gcra: gcra, cost: 1)) != nil }
    print(#"{"backend": "\#(database.dialect.rawValue)", "threads": \#(threads), "seconds": \#(seconds), "one_key": \#(oneKey), "decisions": \#(result.decisions), "decisions_per_second": \#(result.decisions / max(1, seconds)), "failures": \#(result.failures)}"#)
    database.close()
} catch {
    FileHandle.standardError.write(Data("tollgate-bench-ratelimit: \(error)\n".utf8))
    exit(1)
}
