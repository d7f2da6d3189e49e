import Foundation
import Testing
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateStore
import TollgateTestSupport

/// An `Idempotency-Key` reservation whose holder can no longer finish it is released; a live
/// holder keeps it; a completed one replays (issue 11, item 13). "Instances" are stores on
/// separate connection pools over one database, as separate processes are.
@Suite struct IdempotencyLeaseTests {
    static let response = IdempotencyStore.StoredResponse(status: 201, contentType: "application/json", body: Array(#"{"id":"cus_1"}"#.utf8))

    @Test(arguments: Backend.allCases)
    func reservationOfADeadHolderIsTakenOverByARetryThatRunsAndRecords(backend: Backend) throws {
        let store = try migratedStore(backend)
        let other = try store.openAnother()
        defer { other.close() }
        let instanceA = IdempotencyStore(database: store.database)
        let instanceB = IdempotencyStore(database: other)
        let start = Date()
        let held = try #require(try instanceA.begin(apiKeyID: "k", key: "order-1", requestHash: "h", now: start).reservation)
        // A dies: it stops renewing and never records a response.
        instanceA.abandon(held)
        #expect(try instanceB.begin(apiKeyID: "k", key: "order-1", requestHash: "h", now: start.addingTimeInterval(1)) == .inProgress)

        let afterLease = start.addingTimeInterval(instanceA.lease.duration + 1)
        let retry = try #require(try instanceB.begin(apiKeyID: "k", key: "order-1", requestHash: "h", now: afterLease).reservation)
        #expect(try instanceB.complete(retry, response: Self.response))
        #expect(try instanceA.begin(apiKeyID: "k", key: "order-1", requestHash: "h", now: afterLease) == .replay(Self.response))
        // Had A only stalled, its late answer no longer counts: the key keeps the retry's response.
        #expect(try instanceA.complete(held, response: .init(status: 500, contentType: nil, body: [])) == false)
        try instanceA.release(held)
        #expect(try instanceB.begin(apiKeyID: "k", key: "order-1", requestHash: "h", now: afterLease) == .replay(Self.response))
    }

    /// The row a killed process leaves behind (written directly: no process of this test holds it).
    @Test(arguments: Backend.allCases)
    func leftoverRowWhoseLeaseRanOutIsTakenOver(backend: Backend) throws {
        let store = try migratedStore(backend)
        let now = Date()
        try store.database.withConnection { connection in
            try connection.execute("""
                INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at, lease_owner, lease_expires_at)
                VALUES ('k', 'order-2', 'h', \(now.addingTimeInterval(-60)), 'killed-process', \(now.addingTimeInterval(-1)))
                """)
        }
        let keys = IdempotencyStore(database: store.database)
        let retry = try #require(try keys.begin(apiKeyID: "k", key: "order-2", requestHash: "h", now: now).reservation)
        #expect(try keys.begin(apiKeyID: "k", key: "order-2", requestHash: "h", now: now) == .inProgress)
        #expect(try keys.complete(retry, response: Self.response))
        #expect(try keys.begin(apiKeyID: "k", key: "order-2", requestHash: "h", now: now) == .replay(Self.response))
    }

    /// A reservation from before leases (no lease recorded) keeps the old rule: held while kept.
    @Test(arguments: Backend.allCases)
    func reservationWithoutALeaseStaysHeld(backend: Backend) throws {
        let store = try migratedStore(backend)
        let now = Date()
        try store.database.withConnection { connection in
            try connection.execute("""
                INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at) VALUES ('k', 'old', 'h', \(now.addingTimeInterval(-60)))
                """)
        }
        let keys = IdempotencyStore(database: store.database)
        #expect(try keys.begin(apiKeyID: "k", key: "old", requestHash: "h", now: now.addingTimeInterval(3600)) == .inProgress)
    }

    /// While the holder runs, its heartbeat moves the lease on, so a retry after the first lease
    /// would have ended still finds the key in use.
    @Test(arguments: Backend.allCases)
    func liveHolderKeepsItsReservationPastItsFirstLease(backend: Backend) throws {
        let store = try migratedStore(backend)
        let other = try store.openAnother()
        defer { other.close() }
        let lease = IdempotencyStore.Lease(duration: 15, renewalInterval: .milliseconds(50))
        let instanceA = IdempotencyStore(database: store.database, lease: lease)
        let instanceB = IdempotencyStore(database: other, lease: lease)
        // Reserved 10 s ago (by A's clock): the first lease ends 5 s from now unless renewed.
        let reserved = Date().addingTimeInterval(-10)
        let firstLeaseEnd = reserved.addingTimeInterval(lease.duration)
        let held = try #require(try instanceA.begin(apiKeyID: "k", key: "slow", requestHash: "h", now: reserved).reservation)
        defer { try? instanceA.release(held) }

        let deadline = ContinuousClock.now + .seconds(30)
        var leaseEnd = firstLeaseEnd
        while leaseEnd <= firstLeaseEnd.addingTimeInterval(1), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            leaseEnd = try store.database.withConnection { connection in
                try connection.queryFirst("SELECT lease_expires_at FROM idempotency_keys WHERE key = 'slow'")?.get("lease_expires_at") ?? firstLeaseEnd
            }
        }
        #expect(leaseEnd > firstLeaseEnd.addingTimeInterval(1), "the heartbeat renewed the lease")
        #expect(try instanceB.begin(apiKeyID: "k", key: "slow", requestHash: "h", now: firstLeaseEnd.addingTimeInterval(1)) == .inProgress)
        #expect(try instanceB.begin(apiKeyID: "k", key: "slow", requestHash: "other", now: firstLeaseEnd.addingTimeInterval(1)) == .mismatch)
    }

    /// Retries on several instances find one abandoned reservation at once: exactly one takes it.
    @Test(arguments: Backend.allCases)
    func concurrentRetriesTakeOverAnAbandonedReservationOnce(backend: Backend) throws {
        let store = try migratedStore(backend)
        let pools = [store.database, try store.openAnother(), try store.openAnother()]
        defer { for pool in pools.dropFirst() { pool.close() } }
        let instances = pools.map { IdempotencyStore(database: $0) }
        let now = Date()
        for trial in 0..<20 {
            try store.database.withConnection { connection in
                try connection.execute("""
                    INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at, lease_owner, lease_expires_at)
                    VALUES ('k', \("t\(trial)"), 'h', \(now.addingTimeInterval(-60)), 'killed-process', \(now.addingTimeInterval(-1)))
                    """)
            }
            let barrier = ThreadBarrier(count: instances.count)
            let outcomes = ThreadSafeList<(instance: Int, outcome: IdempotencyStore.Outcome)>()
            let failures = ThreadSafeList<String>()
            ConcurrentThreads.run(instances.count) { index in
                barrier.arriveAndWait()
                do {
                    outcomes.append((index, try instances[index].begin(apiKeyID: "k", key: "t\(trial)", requestHash: "h", now: now)))
                } catch {
                    failures.append(String(describing: error))
                }
            }
            #expect(failures.values.isEmpty, "\(failures.values)")
            let taken = outcomes.values.filter { $0.outcome.reservation != nil }
            let refused = outcomes.values.filter { $0.outcome == .inProgress }
            #expect(taken.count == 1 && refused.count == instances.count - 1, "trial \(trial): \(outcomes.values)")
            for (instance, outcome) in taken {
                #expect(try instances[instance].complete(try #require(outcome.reservation), response: Self.response))
            }
        }
    }
}
