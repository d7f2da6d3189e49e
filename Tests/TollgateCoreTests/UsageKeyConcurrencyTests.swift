import Foundation
import Testing
import Tollgate
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateStore
import TollgateTestSupport

/// Repeats of one usage idempotency key sent at the same moment, through separate connections of
/// one instance and through another instance on the same store (issue 11, item 12).
@Suite struct UsageKeyConcurrencyTests {
    enum Call: String, CaseIterable, Sendable, CustomStringConvertible {
        case consume, record
        var description: String { rawValue }
    }

    static let trials = 30
    /// Copies of each request sent at once: two through instance A (two pooled connections), one through B.
    static let copies = 3

    /// The only feature is metered with a quota of 1 per day.
    static func quotaOfOneCatalog() throws -> Catalog {
        try Catalog.parse(Data("""
            {
              "features": [{ "key": "exports.daily", "name": "Exports per day", "kind": "metered", "reset": "day" }],
              "plans": [{ "key": "free", "name": "Free", "is_default": true, "entitlements": { "exports.daily": 1 } }]
            }
            """.utf8))
    }

    @Test(arguments: Backend.allCases, Call.allCases)
    func concurrentRepeatsOfOneKeyGetTheFirstCallsAnswerAndCountOnce(backend: Backend, call: Call) throws {
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(2, on: store)
        _ = try instances[0].catalog.apply(try Self.quotaOfOneCatalog())
        for trial in 0..<Self.trials {
            _ = try instances[0].customers.upsert(.init(externalID: "org_\(trial)"))
        }

        for trial in 0..<Self.trials {
            let request = UsageRequest(customer: "org_\(trial)", feature: "exports.daily", quantity: 1, idempotencyKey: "key-\(trial)")
            let barrier = ThreadBarrier(count: Self.copies)
            let outcomes = ThreadSafeList<UsageOutcome>()
            let failures = ThreadSafeList<String>()
            ConcurrentThreads.run(Self.copies) { copy in
                let service = instances[copy < 2 ? 0 : 1].entitlements
                barrier.arriveAndWait()
                do {
                    outcomes.append(call == .consume ? try service.consume(request, now: noon) : try service.record(request, now: noon))
                } catch {
                    failures.append(String(describing: error))
                }
            }
            #expect(failures.values.isEmpty, "trial \(trial): \(failures.values)")
            let answers = outcomes.values
            // One call counted; every other copy is a repeat of it and gets its answer.
            #expect(answers.filter { !$0.duplicate }.count == 1, "trial \(trial): \(answers)")
            for answer in answers {
                #expect(answer.allowed && answer.reason == nil && answer.used == 1 && answer.remaining == 0, "trial \(trial): \(answers)")
            }
            let counted = try store.database.withConnection { connection in
                try connection.queryFirst("SELECT COUNT(*) AS n FROM usage_events WHERE idempotency_key = \("key-\(trial)")")?.get("n", as: Int.self)
            }
            #expect(counted == 1, "trial \(trial)")
            #expect(try instances[1].entitlements.snapshot(customer: "org_\(trial)", now: noon).entitlements["exports.daily"]?.used == 1)
        }
    }

    /// A denied call counts nothing and leaves no claim behind: its key can count later.
    @Test(arguments: Backend.allCases)
    func deniedConsumeLeavesItsKeyFreeForALaterCall(backend: Backend) throws {
        let store = try migratedStore(backend)
        let services = try ServiceInstances(1, on: store)[0]
        _ = try services.catalog.apply(try Self.quotaOfOneCatalog())
        _ = try services.customers.upsert(.init(externalID: "org_1"))
        let entitlements = services.entitlements
        #expect(try entitlements.consume(.init(customer: "org_1", feature: "exports.daily", idempotencyKey: "a"), now: noon).allowed)
        let denied = try entitlements.consume(.init(customer: "org_1", feature: "exports.daily", idempotencyKey: "b"), now: noon)
        #expect(!denied.allowed && denied.reason == .limitExceeded && !denied.duplicate && denied.used == 1 && denied.remaining == 0)
        // Tomorrow the quota is free again: the same key is decided afresh, and counts.
        let tomorrow = noon.addingTimeInterval(86_400)
        let later = try entitlements.consume(.init(customer: "org_1", feature: "exports.daily", idempotencyKey: "b"), now: tomorrow)
        #expect(later.allowed && !later.duplicate && later.used == 1)
        #expect(try entitlements.consume(.init(customer: "org_1", feature: "exports.daily", idempotencyKey: "b"), now: tomorrow).duplicate)
    }
}
