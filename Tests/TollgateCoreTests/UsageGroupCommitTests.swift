import Foundation
import Synchronization
import Testing
import Tollgate
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateBase
import TollgateStore
import TollgateTestSupport

/// Usage by group commit (issue 14, items 1 and 2), randomized and adversarial, on both backends:
/// concurrent calls through two instances share transactions, repeat each other's keys, mix single
/// events, batches and consumes; the counters must equal what was counted, exactly.
@Suite struct UsageGroupCommitTests {
    static let customers = ["org_a", "org_b", "org_c"]

    /// `api.calls`: metered, unlimited on the default plan (record counts it); `exports`: metered,
    /// quota `quota` a day; `sso`: a boolean feature (no usage).
    static func catalog(quota: Int64 = 1_000) throws -> Catalog {
        try Catalog.parse(Data("""
            {
              "features": [
                { "key": "api.calls", "name": "API calls", "kind": "metered", "reset": "month" },
                { "key": "exports", "name": "Exports", "kind": "metered", "reset": "day" },
                { "key": "sso", "name": "SSO", "kind": "boolean" }
              ],
              "plans": [{ "key": "free", "name": "Free", "is_default": true,
                          "entitlements": { "api.calls": "unlimited", "exports": \(quota), "sso": true } }]
            }
            """.utf8))
    }

    /// A key's quantity is a function of the key, so whichever copy counts first, the total is known.
    static func quantity(ofKey key: Int) -> Int64 { Int64(key % 7 + 1) }

    static func counter(_ store: TestDatabase, _ customer: String, _ feature: String) throws -> Int64 {
        try store.database.withConnection { connection in
            try connection.queryFirst("""
                SELECT COALESCE(SUM(u.used), 0) AS used FROM usage_counters u JOIN customers c ON c.id = u.customer_id
                WHERE c.external_id = \(customer) AND u.feature_key = \(feature)
                """)?.get("used") ?? 0
        }
    }

    static func events(_ store: TestDatabase, _ customer: String, _ feature: String) throws -> (rows: Int, quantity: Int64) {
        try store.database.withConnection { connection in
            let row = try connection.queryFirst("""
                SELECT COUNT(*) AS n, COALESCE(SUM(e.quantity), 0) AS q FROM usage_events e JOIN customers c ON c.id = e.customer_id
                WHERE c.external_id = \(customer) AND e.feature_key = \(feature)
                """)
            return (try row?.get("n") ?? 0, try row?.get("q") ?? 0)
        }
    }

    /// 12 threads over two instances send 60 calls each: single records and batches of up to 20,
    /// half keyed with keys drawn from a small pool per customer (so copies collide within a
    /// batch, across batches of one instance and across instances), the rest unkeyed. Every key
    /// counts once, whichever copy wins; every unkeyed event counts; each key has exactly one
    /// non-duplicate answer; counters equal the stored events.
    @Test(arguments: Backend.allCases, [UInt64(1), 2])
    func concurrentRecordsWithRepeatedKeysCountEachKeyOnce(backend: Backend, seed: UInt64) throws {
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(2, on: store)
        _ = try instances[0].catalog.apply(try Self.catalog())
        for customer in Self.customers { _ = try instances[0].customers.upsert(.init(externalID: customer)) }

        let threads = 12
        let keysPerCustomer = 40
        let counted = ThreadSafeList<String>()          // "customer/key" of each non-duplicate keyed answer
        let unkeyed = ThreadSafeList<(String, Int64)>()
        let usedKeys = ThreadSafeList<String>()
        let failures = ThreadSafeList<String>()
        let barrier = ThreadBarrier(count: threads)
        ConcurrentThreads.run(threads) { thread in
            var random = SeededGenerator(seed: seed &* 1_000 &+ UInt64(thread))
            let service = instances[thread % 2].entitlements
            barrier.arriveAndWait(timeout: 30)
            for call in 0..<60 {
                let size = Bool.random(using: &random) ? 1 : Int.random(in: 1...20, using: &random)
                var requests: [UsageRequest] = []
                for _ in 0..<size {
                    let customer = Self.customers.randomElement(using: &random)!
                    if Bool.random(using: &random) {
                        let key = Int.random(in: 0..<keysPerCustomer, using: &random)
                        requests.append(.init(customer: customer, feature: "api.calls", quantity: Self.quantity(ofKey: key), idempotencyKey: "k\(key)"))
                        usedKeys.append("\(customer)/k\(key)")
                    } else {
                        requests.append(.init(customer: customer, feature: "api.calls", quantity: Int64.random(in: 1...9, using: &random)))
                    }
                }
                do {
                    let outcomes: [UsageOutcome]
                    if size == 1 && call.isMultiple(of: 2) {
                        outcomes = [try service.record(requests[0])]
                    } else {
                        outcomes = try service.record(batch: requests).map { try $0.get() }
                    }
                    for (request, outcome) in zip(requests, outcomes) {
                        guard outcome.allowed else { failures.append("not allowed: \(outcome)"); continue }
                        if let key = request.idempotencyKey {
                            if !outcome.duplicate { counted.append("\(request.customer)/\(key)") }
                        } else {
                            if outcome.duplicate { failures.append("unkeyed duplicate: \(outcome)") }
                            unkeyed.append((request.customer, request.quantity))
                        }
                    }
                } catch {
                    failures.append("thread \(thread) call \(call): \(error)")
                }
            }
        }
        #expect(failures.values.isEmpty, "\(failures.values.prefix(3))")
        let distinct = Set(usedKeys.values)
        let winners = counted.values
        #expect(winners.count == distinct.count, "one counted answer per key: \(winners.count) for \(distinct.count) keys")
        #expect(Set(winners) == distinct)
        for customer in Self.customers {
            let keyed = distinct.filter { $0.hasPrefix(customer + "/") }
                .map { Self.quantity(ofKey: Int($0.split(separator: "/")[1].dropFirst())!) }.reduce(0, +)
            let loose = unkeyed.values.filter { $0.0 == customer }.map(\.1).reduce(0, +)
            #expect(try Self.counter(store, customer, "api.calls") == keyed + loose, "\(customer)")
            let stored = try Self.events(store, customer, "api.calls")
            #expect(stored.quantity == keyed + loose)
            #expect(stored.rows == distinct.filter { $0.hasPrefix(customer + "/") }.count + unkeyed.values.filter { $0.0 == customer }.count)
        }
    }

    /// One batch holding every kind of event: each is answered in order, a bad one refuses only
    /// itself, and a repeat (in the batch, or of an earlier call) counts nothing.
    @Test(arguments: Backend.allCases)
    func batchAnswersEachEventInOrder(backend: Backend) throws {
        let store = try migratedStore(backend)
        let services = try ServiceInstances(1, on: store)[0]
        _ = try services.catalog.apply(try Self.catalog())
        _ = try services.customers.upsert(.init(externalID: "org_a"))
        let entitlements = services.entitlements
        _ = try entitlements.record(.init(customer: "org_a", feature: "api.calls", quantity: 5, idempotencyKey: "before"))

        let batch = UsageBatchRequest(events: [
            .init(customer: "org_a", feature: "api.calls", quantity: 2, idempotencyKey: "one"),       // counted: 7
            .init(customer: "org_nobody", feature: "api.calls", quantity: 1),                         // unknown customer
            .init(customer: "org_a", feature: "nope", quantity: 1),                                   // unknown feature
            .init(customer: "org_a", feature: "Not A Key!", quantity: 1),                             // invalid key text
            .init(customer: "org_a", feature: "api.calls", quantity: 0),                              // quantity out of range
            .init(customer: "org_a", feature: "sso", quantity: 1),                                    // not metered
            .init(customer: "org_a", feature: "api.calls", quantity: 2, idempotencyKey: "one"),       // repeat in the batch
            .init(customer: "org_a", feature: "api.calls", quantity: 5, idempotencyKey: "before"),    // repeat of an earlier call
            .init(customer: "org_a", feature: "api.calls", quantity: 3),                              // counted: 10
            .init(customer: "org_a", feature: "api.calls", quantity: 1, idempotencyKey: String(repeating: "x", count: 256)), // key too long
            .init(customer: "org_a", feature: "exports", quantity: 4, idempotencyKey: "one"),         // another feature: counted
        ])
        let response = try entitlements.record(batch)
        let statuses: [UsageBatchResult.Status] = [.counted, .refused, .refused, .refused, .refused, .refused, .duplicate, .duplicate, .counted, .refused, .counted]
        #expect(response.results.map(\.status) == statuses)
        let reasons: [String?] = [
            nil, "unknown_customer", "unknown_feature", "invalid_request", "invalid_request", "invalid_request", nil, nil, nil, "invalid_request", nil,
        ]
        #expect(response.results.map(\.reason) == reasons)
        #expect(response.results[0].used == 7 && response.results[8].used == 10 && response.results[10].used == 4)
        #expect(response.results[10].remaining == 996)
        #expect(response.counted == 3 && response.duplicate == 2 && response.refused == 6)
        #expect(try Self.counter(store, "org_a", "api.calls") == 10)
        #expect(try Self.events(store, "org_a", "api.calls").rows == 3)

        // The whole batch again: nothing new but its unkeyed event.
        let again = try entitlements.record(batch)
        let againStatuses: [UsageBatchResult.Status] = [.duplicate, .refused, .refused, .refused, .refused, .refused, .duplicate, .duplicate, .counted, .refused, .duplicate]
        #expect(again.results.map(\.status) == againStatuses)
        #expect(try Self.counter(store, "org_a", "api.calls") == 13)

        // Size limits: 1 to 1,000 events.
        #expect(throws: DomainError.self) { try entitlements.record(UsageBatchRequest(events: [])) }
        let tooMany = UsageBatchRequest(events: Array(repeating: .init(customer: "org_a", feature: "api.calls"), count: 1_001))
        #expect(throws: DomainError.self) { try entitlements.record(tooMany) }
        #expect(try Self.counter(store, "org_a", "api.calls") == 13)
    }

    /// Concurrent consumes (random quantities, some keys repeated across threads) over two
    /// instances: the counter never passes the quota, each denial was right when it was decided
    /// (the usage it reports left no room), and the counter equals the stored events.
    @Test(arguments: Backend.allCases)
    func concurrentConsumesNeverPassTheQuota(backend: Backend) throws {
        let quota: Int64 = 150
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(2, on: store)
        _ = try instances[0].catalog.apply(try Self.catalog(quota: quota))
        _ = try instances[0].customers.upsert(.init(externalID: "org_a"))

        let threads = 10
        let consumed = ThreadSafeList<Int64>()
        let failures = ThreadSafeList<String>()
        let barrier = ThreadBarrier(count: threads)
        ConcurrentThreads.run(threads) { thread in
            var random = SeededGenerator(seed: 77 &+ UInt64(thread))
            let service = instances[thread % 2].entitlements
            barrier.arriveAndWait(timeout: 30)
            for _ in 0..<30 {
                var request = UsageRequest(customer: "org_a", feature: "exports", quantity: Int64.random(in: 1...4, using: &random))
                if Bool.random(using: &random) {
                    let key = Int.random(in: 0..<60, using: &random)
                    request.idempotencyKey = "c\(key)"
                    request.quantity = Self.quantity(ofKey: key) % 4 + 1
                }
                do {
                    let outcome = try service.consume(request, now: noon)
                    if outcome.allowed {
                        if !outcome.duplicate { consumed.append(outcome.quantity) }
                        if outcome.used > quota { failures.append("over the quota: \(outcome)") }
                    } else {
                        if outcome.reason != .limitExceeded { failures.append("denied for \(String(describing: outcome.reason))") }
                        if outcome.used + outcome.quantity <= quota { failures.append("denied with room left: \(outcome)") }
                    }
                } catch {
                    failures.append("\(error)")
                }
            }
        }
        #expect(failures.values.isEmpty, "\(failures.values.prefix(3))")
        let total = consumed.values.reduce(0, +)
        #expect(total <= quota)
        #expect(try Self.counter(store, "org_a", "exports") == total)
        #expect(try Self.events(store, "org_a", "exports").quantity == total)
    }

    /// Group commit's own rules, without a store: a batch never holds two submissions with one key,
    /// never more than the maximum (a submission is never split), and every submission is answered
    /// with its own answers in order.
    /// With several leaders, no two batches committing at once hold the same key either.
    @Test(arguments: [1, 3])
    func groupCommitKeepsSubmissionsWholeAndKeysApart(leaders: Int) {
        let batches = ThreadSafeList<[String]>()
        let inFlight = Mutex<[String: Int]>([:])
        let overlaps = ThreadSafeList<String>()
        let commit = GroupCommit<String, String>(maximumItems: 8, maximumLeaders: leaders, key: { $0.hasPrefix("k") ? $0 : nil }) { items in
            batches.append(items)
            let keys = items.filter { $0.hasPrefix("k") }
            inFlight.withLock { counts in for key in keys { counts[key, default: 0] += 1 } }
            usleep(UInt32.random(in: 0..<200))
            inFlight.withLock { counts in
                for key in keys {
                    if counts[key, default: 0] > 1 { overlaps.append(key) }
                    counts[key, default: 0] -= 1
                }
            }
            return items.map { "done:" + $0 }
        }
        let failures = ThreadSafeList<String>()
        ConcurrentThreads.run(16) { thread in
            for call in 0..<50 {
                let items = (0..<(call % 3 + 1)).map { index in index == 0 && call.isMultiple(of: 2) ? "k\(call % 5)" : "t\(thread)-\(call)-\(index)" }
                let answers = commit.submit(items)
                if answers != items.map({ "done:" + $0 }) { failures.append("\(items) → \(answers)") }
            }
        }
        #expect(failures.values.isEmpty, "\(failures.values.prefix(3))")
        if leaders == 1 { #expect(overlaps.values.isEmpty) }
        for batch in batches.values {
            let keys = batch.filter { $0.hasPrefix("k") }
            #expect(keys.count == Set(keys).count, "\(batch)")
            #expect(batch.count <= 8)
        }
        let perThread = (0..<50).map { (call: Int) -> Int in call % 3 + 1 }.reduce(0, +)
        let committed = batches.values.map(\.count).reduce(0, +)
        #expect(committed == 16 * perThread)
    }
}
