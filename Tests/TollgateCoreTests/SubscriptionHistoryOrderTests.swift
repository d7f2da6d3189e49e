import Foundation
import Testing
import Tollgate
@testable import TollgateBilling
@testable import TollgateCore
import TollgateEntitlements
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// Several instances apply one backlog of Stripe events at once (issue 11, item 14): every
/// customer's history lists the applied states in the order they were applied, and ends with the
/// current subscription.
@Suite struct SubscriptionHistoryOrderTests {
    static let secret = "whsec_history_order_tests"
    static let customers = 6
    static let eventsPerCustomer = 25
    static let instances = 3

    /// `skew`: how far apart the instances' clocks are (instance i runs `i × skew` ahead), as the
    /// clocks of separate hosts are; 0 is one clock.
    @Test(arguments: Backend.allCases, [0, 0.4])
    func concurrentAppliersKeepEveryHistoryInAppliedOrder(backend: Backend, skew: TimeInterval) throws {
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(Self.instances, on: store, environment: ["TOLLGATE_STRIPE_WEBHOOK_SECRET": Self.secret])
        let services = instances[0]
        _ = try services.catalog.apply(try exampleCatalog())
        for customer in 0..<Self.customers {
            _ = try services.customers.upsert(.init(externalID: "org_\(customer)"))
        }
        // The backlog: each customer's subscription changes quantity 1, 2, 3, … one second apart;
        // stored all at once, interleaved across customers.
        let t0 = 1_767_225_600
        for step in 0..<Self.eventsPerCustomer {
            for customer in 0..<Self.customers {
                let payload = try WebhookPayloads.event(
                    "customer.subscription.updated.new-shape", id: "evt_c\(customer)_s\(step)", created: t0 + step, [
                        "data.object.id": "sub_Order\(customer)", "data.object.customer": "cus_Order\(customer)",
                        "data.object.metadata": ["tollgate_customer": "org_\(customer)"],
                        "data.object.cancel_at_period_end": step % 2 == 0,
                        "data.object.items.data.0.quantity": step + 1,
                    ])
                let header = WebhookSignature.header(payload: payload, timestamp: Int64(Date().timeIntervalSince1970), secrets: [Self.secret])
                _ = try services.webhooks.receive(payload: payload, signatureHeader: header)
            }
        }

        // One applier per instance, all at once, until nothing is pending (bounded).
        let failures = ThreadSafeList<String>()
        let barrier = ThreadBarrier(count: Self.instances)
        ConcurrentThreads.run(Self.instances) { index in
            let applier = StripeEventApplier(services: instances[index], options: .init(retryBase: 0, retryCap: 0))
            barrier.arriveAndWait()
            for _ in 0..<500 {
                do {
                    try applier.applyPending(now: skew == 0 ? nil : Date().addingTimeInterval(Double(index) * skew))
                    if try instances[index].stripeEvents.counts()[.pending, default: 0] == 0 { return }
                } catch let error as StoreError where error.code == .busy {
                    continue  // SQLite: another instance held the write lock past the busy timeout
                } catch {
                    failures.append(String(describing: error))
                    return
                }
            }
        }
        #expect(failures.values.isEmpty, "\(failures.values)")
        let counts = try services.stripeEvents.counts()
        #expect(counts[.pending, default: 0] == 0 && counts[.failed, default: 0] == 0, "\(counts)")

        for customer in 0..<Self.customers {
            let history = try services.subscriptions.history(customer: "org_\(customer)")
            let quantities = history.map(\.quantity)
            // Events apply oldest first or are stale, so applied states have rising quantities.
            #expect(quantities == quantities.sorted() && Set(quantities).count == quantities.count, "org_\(customer): \(quantities)")
            #expect(zip(history, history.dropFirst()).allSatisfy { $0.changedAt <= $1.changedAt }, "org_\(customer)")
            let current = try #require(try services.subscriptions.current(customer: "org_\(customer)")).state
            #expect(current.quantity == Self.eventsPerCustomer, "org_\(customer): the newest event wins")
            let last = try #require(history.last)
            #expect(last.plan == current.planKey && last.status == current.status && last.quantity == current.quantity
                && last.cancelAtPeriodEnd == current.cancelAtPeriodEnd && last.currentPeriodStart == current.currentPeriodStart
                && last.currentPeriodEnd == current.currentPeriodEnd && last.trialEnd == current.trialEnd, "org_\(customer)")
        }
    }

    /// Two writers whose clocks disagree: history follows the order of the writes, and its
    /// timestamps never go back.
    @Test(arguments: Backend.allCases)
    func historyFollowsWriteOrderWhenAWritersClockIsBehind(backend: Backend) throws {
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(2, on: store)
        _ = try instances[0].catalog.apply(try exampleCatalog())
        _ = try instances[0].customers.upsert(.init(externalID: "org_1"))
        let later = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try instances[0].subscriptions.set(customer: "org_1", .init(plan: "pro", status: .active), source: "api", now: later)
        _ = try instances[1].subscriptions.set(customer: "org_1", .init(plan: "enterprise", status: .active), source: "api",
                                               now: later.addingTimeInterval(-5))
        let history = try instances[0].subscriptions.history(customer: "org_1")
        #expect(history.map(\.plan) == ["pro", "enterprise"])
        #expect(history.map(\.changedAt) == [later, later])
        #expect(try instances[1].subscriptions.current(customer: "org_1")?.state.planKey == history.last?.plan)
    }
}
