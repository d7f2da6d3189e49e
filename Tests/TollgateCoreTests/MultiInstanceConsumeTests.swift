import Foundation
import Testing
import Tollgate
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateStore
import TollgateTestSupport

/// Concurrent `consume` calls spread over several instances on one PostgreSQL (issue 11, "what
/// held"): the quota is one number in the store, not one per instance.
///
/// PostgreSQL only: it is the store several instances share. SQLite is single-instance by design
/// (one process owns the file); `EntitlementServiceTests.concurrentConsumersNeverExceedTheQuota`
/// covers concurrent consumers within one instance on both backends.
@Suite struct MultiInstanceConsumeTests {
    static let instances = 3
    static let threads = 60
    static let callsPerThread = 8
    static let quota: Int64 = 100

    /// The only feature is metered with a daily quota of ``quota`` on the default plan.
    static func catalog() throws -> Catalog {
        try Catalog.parse(Data("""
            {
              "features": [{ "key": "exports.daily", "name": "Exports per day", "kind": "metered", "reset": "day" }],
              "plans": [{ "key": "free", "name": "Free", "is_default": true, "entitlements": { "exports.daily": \(quota) } }]
            }
            """.utf8))
    }

    /// 480 concurrent consumes of 1 (60 threads released together, spread evenly over 3 instances,
    /// each with its own `Services` and connection pool; half with an idempotency key of their own):
    /// exactly the quota is allowed, each allowed call saw a distinct count 1…quota, every denial
    /// says `limit_exceeded` with nothing left, and the store holds exactly the quota, never more.
    @Test func concurrentConsumesOverThreeInstancesAllowExactlyTheQuota() throws {
        let store = try migratedStore(.postgres)
        let instances = try ServiceInstances(Self.instances, on: store)
        _ = try instances[0].catalog.apply(try Self.catalog())
        _ = try instances[0].customers.upsert(.init(externalID: "org_hot"))

        let outcomes = ThreadSafeList<UsageOutcome>()
        let failures = ThreadSafeList<String>()
        let barrier = ThreadBarrier(count: Self.threads)
        ConcurrentThreads.run(Self.threads) { thread in
            let service = instances[thread % Self.instances].entitlements
            barrier.arriveAndWait(timeout: 30)
            for call in 0..<Self.callsPerThread {
                let key = call.isMultiple(of: 2) ? "t\(thread)-c\(call)" : nil
                do {
                    outcomes.append(try service.consume(
                        .init(customer: "org_hot", feature: "exports.daily", quantity: 1, idempotencyKey: key), now: noon))
                } catch {
                    failures.append("thread \(thread) call \(call): \(error)")
                }
            }
        }

        #expect(failures.values.isEmpty, "\(failures.values.prefix(3))")
        let answers = outcomes.values
        #expect(answers.count == Self.threads * Self.callsPerThread)
        let allowed = answers.filter(\.allowed)
        #expect(allowed.count == Int(Self.quota), "\(allowed.count) allowed of a quota of \(Self.quota)")
        #expect(allowed.allSatisfy { !$0.duplicate }, "every key was distinct: no call is a repeat")
        // Each allowed call counted one more than the one before it, whichever instance it ran on.
        #expect(allowed.map(\.used).sorted() == Array(1...Self.quota), "\(allowed.map(\.used).sorted())")
        let denied = answers.filter { !$0.allowed }
        #expect(denied.allSatisfy { $0.reason == .limitExceeded && $0.used == Self.quota && $0.remaining == 0 },
                "\(denied.filter { $0.reason != .limitExceeded || $0.used != Self.quota }.prefix(3))")

        let (events, total): (Int, Int64) = try store.database.withConnection { connection in
            let row = try connection.queryFirst("SELECT COUNT(*) AS n, COALESCE(SUM(quantity), 0) AS total FROM usage_events")
            return (try row?.get("n") ?? -1, try row?.get("total") ?? -1)
        }
        #expect(events == Int(Self.quota) && total == Self.quota, "\(events) usage events totalling \(total)")
        // A fresh instance (no cache) reads the same usage from the store.
        let fresh = try ServiceInstances(2, on: store)
        #expect(try fresh[1].entitlements.snapshot(customer: "org_hot", now: noon).entitlements["exports.daily"]?.used == Self.quota)
    }
}
