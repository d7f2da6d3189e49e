import Foundation
import Synchronization
import Tollgate
import TollgateCore
import TollgateStore

/// Shared-backend rate-limit decisions per second: THREADS threads decide against one store for
/// SECONDS seconds, each on its own key (the usual case: many customers) or all on one key.
/// Usage: tollgate-bench-ratelimit DATABASE_URL [SECONDS] [THREADS] [one-key]
let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: tollgate-bench-ratelimit DATABASE_URL [SECONDS] [THREADS] [one-key]\n".utf8))
    exit(2)
}
let seconds = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
let threads = arguments.count > 3 ? Int(arguments[3]) ?? 8 : 8
let oneKey = arguments.count > 4 && arguments[4] == "one-key"
do {
    let database = try openDatabase(arguments[1], poolSize: threads, logger: .disabled)
    let backend = StoreRateLimitBackend(database: database)
    let gcra = GCRA(RateLimitPolicy(name: "bench", limit: 1_000_000, windowSeconds: 1, burst: 1_000_000))
    let decisions = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let deadline = ContinuousClock.now + .seconds(seconds)
    let group = DispatchGroup()
    for thread in 0..<threads {
        group.enter()
        Thread.detachNewThread {
            var index = 0
            while ContinuousClock.now < deadline {
                let key = oneKey ? "bench" : "bench:\(thread):\(index % 1000)"
                if (try? backend.consume(key: key, gcra: gcra, cost: 1)) != nil {
                    decisions.add(1, ordering: .relaxed)
                } else {
                    failures.add(1, ordering: .relaxed)
                }
                index += 1
            }
            group.leave()
        }
    }
    group.wait()
    let total = decisions.load(ordering: .relaxed)
    print(#"{"backend": "\#(database.dialect.rawValue)", "threads": \#(threads), "seconds": \#(seconds), "one_key": \#(oneKey), "decisions": \#(total), "decisions_per_second": \#(total / max(1, seconds)), "failures": \#(failures.load(ordering: .relaxed))}"#)
    database.close()
} catch {
    FileHandle.standardError.write(Data("tollgate-bench-ratelimit: \(error)\n".utf8))
    exit(1)
}
