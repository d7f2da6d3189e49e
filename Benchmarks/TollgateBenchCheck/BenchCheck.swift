import Foundation
import Tollgate
import TollgateBase

/// Times `check` and counts its allocations, with a control loop that allocates on purpose to
/// prove the counter sees allocations.
enum BenchCheck {
    static func run(arguments: [String]) {
        let checks = arguments.count > 1 ? Int(arguments[1]) ?? 20_000_000 : 20_000_000
        let snapshot = SampleSnapshot.make()
        // A boolean, a limit (with a quantity), a metered quota, and a key longer than the
        // 15-byte small-string form (heap-stored string, so hashing and equality do real work).
        let probes: [(FeatureKey, Int64)] = [("sso", 1), ("seats", 6), ("api.requests", 10), ("integrations.github", 1)]
        precondition(probes.allSatisfy { snapshot.entitlements[$0.0] != nil }, "sample snapshot lacks a probed feature")

        _ = loop(snapshot, probes, iterations: 1_000_000)  // warm up
        var timings: [Double] = []
        var sink = 0
        for _ in 0..<5 {
            let clock = ContinuousClock()
            let start = clock.now
            sink &+= loop(snapshot, probes, iterations: checks)
            let elapsed = start.duration(to: clock.now)
            let seconds = elapsed.seconds
            timings.append(seconds * 1e9 / Double(checks))
        }
        timings.sort()

        let counting = AllocationCounter.install()
        let allocationChecks = 10_000_000
        let before = AllocationCounter.count
        sink &+= loop(snapshot, probes, iterations: allocationChecks)
        let checkAllocations = AllocationCounter.count - before

        let controlIterations = 1_000_000
        let controlBefore = AllocationCounter.count
        sink &+= allocatingControl(iterations: controlIterations)
        let controlAllocations = AllocationCounter.count - controlBefore
        AllocationCounter.uninstall()

        let fields: [(String, String)] = [
            ("check_ns", format(timings[timings.count / 2])),
            ("check_ns_best", format(timings[0])),
            ("checks", String(checks)),
            ("allocations_per_check", counting ? format(Double(checkAllocations) / Double(allocationChecks)) : "null"),
            ("allocations_counted_checks", String(allocationChecks)),
            ("control_allocations_per_iteration", counting ? format(Double(controlAllocations) / Double(controlIterations)) : "null"),
            ("features", String(snapshot.entitlements.count)),
            ("sink", String(sink)),
        ]
        print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
    }

    /// Runs `iterations` checks over the probes and folds every result into a checksum, so
    /// the optimiser cannot drop the work.
    @inline(never)
    static func loop(_ snapshot: EntitlementSnapshot, _ probes: [(FeatureKey, Int64)], iterations: Int) -> Int {
        var checksum = 0
        var index = 0
        for _ in 0..<iterations {
            let (feature, quantity) = probes[index]
            index = index == probes.count - 1 ? 0 : index + 1
            let result = snapshot.check(feature, quantity: quantity)
            checksum &+= result.allowed ? 1 : 0
            checksum &+= Int(truncatingIfNeeded: result.remaining ?? 0)
        }
        return blackHole(checksum)
    }

    /// Allocates one array per iteration: the counter must report one allocation each, or
    /// it is not seeing allocations.
    @inline(never)
    static func allocatingControl(iterations: Int) -> Int {
        var checksum = 0
        for iteration in 0..<iterations {
            let array = blackHole([iteration, iteration &+ 1])
            checksum &+= array.count
        }
        return checksum
    }

    /// Returns its argument, opaquely to the optimiser (no inlining, no escape analysis).
    @_optimize(none)
    static func blackHole<T>(_ value: T) -> T { value }

    private static func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}
