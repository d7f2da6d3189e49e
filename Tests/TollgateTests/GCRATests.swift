import Foundation
import Synchronization
import Testing
@testable import Tollgate

@Suite struct GCRATests {
    /// 10 per second, 5 at once: T = 100 ms, τ = 500 ms.
    let gcra = GCRA(RateLimitPolicy(name: "api", limit: 10, windowSeconds: 1, burst: 5))
    let millisecond: Int64 = 1_000_000

    @Test func aRestedKeyTakesTheBurstAtOnceThenOnePerInterval() {
        var tat: Int64?
        let now: Int64 = 1_000 * millisecond
        for index in 0..<5 {
            let decision = gcra.decide(tat: tat, now: now, cost: 1)
            #expect(decision.allowed, "request \(index)")
            #expect(decision.remaining == 4 - index)
            tat = decision.newTAT
        }
        let denied = gcra.decide(tat: tat, now: now, cost: 1)
        #expect(!denied.allowed)
        #expect(denied.remaining == 0)
        #expect(denied.retryAfterNanoseconds == 100 * millisecond)
        #expect(denied.resetAfterNanoseconds == 500 * millisecond)
        // One more each emission interval, exactly at its boundary and not a nanosecond before.
        #expect(!gcra.decide(tat: tat, now: now + 100 * millisecond - 1, cost: 1).allowed)
        let next = gcra.decide(tat: tat, now: now + 100 * millisecond, cost: 1)
        #expect(next.allowed)
        #expect(!gcra.decide(tat: next.newTAT, now: now + 100 * millisecond, cost: 1).allowed)
    }

    @Test func deniedRequestsConsumeNothing() {
        var tat: Int64?
        for _ in 0..<5 { tat = gcra.decide(tat: tat, now: 0, cost: 1).newTAT }
        let before = tat
        for attempt in 0..<100 {
            let decision = gcra.decide(tat: tat, now: Int64(attempt) * millisecond / 2, cost: 1)
            #expect(!decision.allowed)
            #expect(decision.newTAT == nil)
        }
        #expect(tat == before)
        #expect(gcra.decide(tat: tat, now: 100 * millisecond, cost: 1).allowed)
    }

    @Test func costAboveOneSpendsThatManyAndAboveTheBurstNeverPasses() {
        let three = gcra.decide(tat: nil, now: 0, cost: 3)
        #expect(three.allowed && three.remaining == 2)
        #expect(!gcra.decide(tat: three.newTAT, now: 0, cost: 3).allowed)
        #expect(gcra.decide(tat: three.newTAT, now: 0, cost: 2).allowed)
        let tooBig = gcra.decide(tat: nil, now: 0, cost: 6)
        #expect(!tooBig.allowed)
        #expect(tooBig.retryAfterNanoseconds == nil)
        #expect(!gcra.decide(tat: nil, now: 0, cost: 0).allowed)
        #expect(!gcra.decide(tat: nil, now: 0, cost: .max).allowed)
    }

    /// Requests far faster than the rate for a simulated 10 s: exactly burst + ⌊elapsed / T⌋ pass.
    @Test(arguments: [
        RateLimitPolicy(name: "a", limit: 10, windowSeconds: 1, burst: 5),
        RateLimitPolicy(name: "b", limit: 100, windowSeconds: 60, burst: 1),
        RateLimitPolicy(name: "c", limit: 3, windowSeconds: 1, burst: 20),
    ])
    func steadyStateMatchesTheFormula(policy: RateLimitPolicy) {
        let gcra = GCRA(policy)
        // Arrivals on a grid that divides T exactly, several per interval, so sampling adds no delay.
        let divisor: Int = (5...1_000).first(where: { gcra.emissionInterval % Int64($0) == 0 }) ?? 1
        let step = gcra.emissionInterval / Int64(divisor)
        var tat: Int64?
        var allowed = 0
        var now: Int64 = 0
        let end: Int64 = 10_000 * millisecond
        while now <= end {
            let decision = gcra.decide(tat: tat, now: now, cost: 1)
            if decision.allowed {
                allowed += 1
                tat = decision.newTAT
            }
            now += step
        }
        #expect(allowed == policy.burst + Int(end / gcra.emissionInterval))
    }

    /// Many threads hammer one key of the local limiter for about a second on the real clock.
    @Test func localLimiterUnderManyThreadsAllowsExactlyWhatGCRAAllows() {
        let limiter = LocalRateLimiter()
        // A burst of a whole second: a thread descheduled for less than that loses nothing.
        let policy = RateLimitPolicy(name: "api", limit: 200, windowSeconds: 1, burst: 200)
        let gcra = GCRA(policy)
        let allowed = Atomic<Int>(0)
        let start = limiter.now
        let threads = 8
        let group = DispatchGroup()
        for _ in 0..<threads {
            group.enter()
            Thread.detachNewThread {
                while limiter.now - start < 1_000_000_000 {
                    if limiter.consume(key: "tenant-1", policy: policy).allowed { allowed.add(1, ordering: .relaxed) }
                }
                group.leave()
            }
        }
        group.wait()
        // Then take what is left until the first denial: what the threads missed while descheduled
        // (GCRA keeps up to the burst), so the total is what GCRA allows from the start to that
        // denial — burst + ⌊elapsed/T⌋, ±1 — however busy the machine was.
        var drained = 0
        var lastTry = limiter.now
        while true {
            lastTry = limiter.now
            guard limiter.consume(key: "tenant-1", policy: policy).allowed else { break }
            drained += 1
        }
        let after = limiter.now
        let total = allowed.load(ordering: .relaxed) + drained
        // Denied at an instant between lastTry and after: burst + ⌊t/T⌋ ± 1 at that instant.
        #expect(total <= policy.burst + Int((after - start) / gcra.emissionInterval) + 1)
        #expect(total >= policy.burst + Int((lastTry - start) / gcra.emissionInterval) - 1)
        // Other keys are independent.
        #expect(limiter.consume(key: "tenant-2", policy: policy).allowed)
    }
}
