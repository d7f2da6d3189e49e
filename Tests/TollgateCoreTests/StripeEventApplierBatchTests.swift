import Foundation
import Synchronization
import Testing
import Tollgate
@testable import TollgateBilling
@testable import TollgateCore
import TollgateEntitlements
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// The batched applier (lanes by Stripe customer, several events per transaction) against the
/// serial one (one lane, one event per transaction): a random backlog of interleaved events of
/// many objects — subscription changes, invoice failures and payments (the grace clock), customer
/// changes, with same-second ties, duplicates and late (stale) events — ends in the same state,
/// each event applied exactly once, also when handlers fail for some events (retried later) and
/// when an applier dies mid-batch (a store outage rolls its transaction back; a new applier
/// finishes the backlog).
@Suite struct StripeEventApplierBatchTests {
    static let objects = 9

    struct Delivery {
        var name: String
        var id: String
        var created: Int
        var changes: [String: Any]
    }

    /// A random backlog: `count` events over ``objects`` Stripe customers, each with one
    /// subscription, `created` within 40 s (so same-second ties are common).
    static func backlog(seed: UInt64, count: Int) -> [Delivery] {
        var generator = SeededGenerator(seed: seed)
        let t0 = WebhookFixture.t0 + 10_000
        var deliveries: [Delivery] = []
        for index in 0..<count {
            let object = Int.random(in: 0..<objects, using: &generator)
            let created = t0 + Int.random(in: 0..<40, using: &generator)
            let customer = "cus_batch_\(object)", subscription = "sub_batch_\(object)", external = "org_batch_\(object)"
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<5:
                let status = ["active", "active", "past_due", "trialing", "canceled"].randomElement(using: &generator)!
                deliveries.append(Delivery(name: "customer.subscription.updated.new-shape", id: "evt_batch_\(index)", created: created, changes: [
                    "data.object.id": subscription, "data.object.customer": customer, "data.object.metadata": ["tollgate_customer": external],
                    "data.object.status": status, "data.object.items.data.0.quantity": Int.random(in: 1...20, using: &generator),
                    "data.object.items.data.0.price.lookup_key": ["pro", "enterprise"].randomElement(using: &generator)!,
                ]))
            case 5, 6:
                let paid = Bool.random(using: &generator)
                deliveries.append(Delivery(
                    name: paid ? "invoice.paid.new-shape" : "invoice.payment_failed.new-shape", id: "evt_batch_\(index)", created: created, changes: [
                        "data.object.id": "in_batch_\(index)", "data.object.customer": customer,
                        "data.object.parent.subscription_details.subscription": subscription,
                    ]))
            case 7, 8:
                deliveries.append(Delivery(name: "customer.updated", id: "evt_batch_\(index)", created: created, changes: [
                    "data.object.id": customer, "data.object.email": "v\(index)@batch\(object).example",
                    "data.object.metadata": ["tollgate_customer": external],
                ]))
            default:
                // A redelivery of an earlier event (stored once), or an unhandled type.
                if let earlier = deliveries.randomElement(using: &generator), Bool.random(using: &generator) {
                    deliveries.append(earlier)
                } else {
                    deliveries.append(Delivery(name: "product.created", id: "evt_batch_\(index)", created: created, changes: [:]))
                }
            }
        }
        return deliveries
    }

    /// What the store holds after a run, without ids and clock times.
    struct Snapshot: Equatable, CustomStringConvertible {
        var events: [String: String] = [:]
        var subscriptions: [String: String] = [:]
        var history: [String: [String]] = [:]
        var customers: [String: String] = [:]
        var versions: [String: String] = [:]
        var mails: [String] = []
        /// Each customer's domain events (the event log), in the order appended: `sequence type`.
        var log: [String: [String]] = [:]
        /// How many due marks each customer has (the scheduler does not run here).
        var due: [String: Int] = [:]

        var description: String {
            "events \(events.sorted { $0.key < $1.key })\nsubscriptions \(subscriptions)\nhistory \(history)\ncustomers \(customers)\nversions \(versions)\nmails \(mails)\nlog \(log)\ndue \(due)"
        }

        /// What differs from `other`, entry by entry.
        func difference(from other: Snapshot) -> String {
            func diff<V: Equatable>(_ name: String, _ mine: [String: V], _ theirs: [String: V]) -> [String] {
                Set(mine.keys).union(theirs.keys).sorted().compactMap { key in
                    mine[key] == theirs[key] ? nil : "\(name) \(key): \(mine[key].map { "\($0)" } ?? "none") vs \(theirs[key].map { "\($0)" } ?? "none")"
                }
            }
            var lines = diff("event", events, other.events) + diff("subscription", subscriptions, other.subscriptions)
            lines += diff("history", history, other.history) + diff("customer", customers, other.customers) + diff("version", versions, other.versions)
            lines += diff("log", log, other.log) + diff("due", due, other.due)
            if mails != other.mails { lines.append("mails \(mails) vs \(other.mails)") }
            return lines.joined(separator: "\n")
        }
    }

    static func snapshot(_ database: any Database) throws -> Snapshot {
        try database.withConnection { connection in
            var snapshot = Snapshot()
            for row in try connection.query("SELECT id, status, attempts, note FROM stripe_events") {
                snapshot.events[try row.get("id")] =
                    "\(try row.get("status") as String) \(try row.get("attempts") as Int) \(try row.get("note") as String? ?? "-")"
            }
            for row in try connection.query("""
                SELECT c.external_id, s.plan_key, s.status, s.quantity, s.past_due_since, s.stripe_subscription_id
                FROM subscriptions s JOIN customers c ON c.id = s.customer_id
                """) {
                snapshot.subscriptions[try row.get("external_id")] = [
                    try row.get("plan_key") as String, try row.get("status") as String, String(try row.get("quantity") as Int),
                    (try row.get("past_due_since") as Date?) == nil ? "in good standing" : "past due",
                    try row.get("stripe_subscription_id") as String? ?? "-",
                ].joined(separator: " ")
            }
            for row in try connection.query("""
                SELECT c.external_id, h.plan_key, h.status, h.quantity, h.source FROM subscription_history h
                JOIN customers c ON c.id = h.customer_id ORDER BY c.external_id, h.seq
                """) {
                let entry = "\(try row.get("plan_key") as String) \(try row.get("status") as String) \(try row.get("quantity") as Int) \(try row.get("source") as String)"
                snapshot.history[try row.get("external_id"), default: []].append(entry)
            }
            for row in try connection.query("SELECT external_id, email, stripe_customer_id FROM customers") {
                snapshot.customers[try row.get("external_id")] =
                    "\(try row.get("email") as String? ?? "-") \(try row.get("stripe_customer_id") as String? ?? "-")"
            }
            for row in try connection.query("SELECT object_id, last_event_created, last_event_id FROM stripe_object_versions") {
                snapshot.versions[try row.get("object_id")] =
                    "\((try row.get("last_event_created") as Date).timeIntervalSince1970) \(try row.get("last_event_id") as String)"
            }
            snapshot.mails = try connection.query("SELECT dedupe_key FROM outbox_messages ORDER BY dedupe_key").map { try $0.get("dedupe_key") }
            // In the order appended (`local_id`, which the publisher follows): the sequence numbers
            // must read 1, 2, 3, … whether a batch held them or each event took its own.
            for row in try connection.query("SELECT customer, sequence, type FROM events WHERE customer IS NOT NULL ORDER BY local_id") {
                snapshot.log[try row.get("customer"), default: []].append("\(try row.get("sequence") as Int) \(try row.get("type") as String)")
            }
            for row in try connection.query("SELECT customer, COUNT(*) AS n FROM entitlement_announcement_due GROUP BY customer") {
                snapshot.due[try row.get("customer")] = try row.get("n")
            }
            return snapshot
        }
    }

    /// Handlers that fail: a domain error on the first attempt of each event in `failing`, and a
    /// store outage (the applier dies) at the first attempt of `crashAt`.
    final class Faults: Sendable {
        let failing: Set<String>
        let crashAt: String?
        let seen = Mutex<Set<String>>([])

        init(failing: Set<String>, crashAt: String?) {
            self.failing = failing
            self.crashAt = crashAt
        }

        func handlers() -> [String: StripeEventHandler] {
            var handlers = StripeEventHandlers.all
            for (type, handler) in handlers {
                var wrapped = handler
                wrapped.apply = { [self] event, context in
                    let first = seen.withLock { $0.insert(event.id).inserted }
                    if first, event.id == crashAt { throw StoreError(.connectionLost, "the applier died mid-batch") }
                    if first, failing.contains(event.id) { throw DomainError.conflict("refused once") }
                    return try handler.apply(event, context)
                }
                handlers[type] = wrapped
            }
            return handlers
        }
    }

    /// Delivers the backlog, applies it with `options` (retrying failed events and surviving one
    /// death) until nothing is pending, and returns the state.
    static func run(
        _ backend: Backend, _ deliveries: [Delivery], options: StripeEventApplier.Options, failing: Set<String>, crashAt: String?
    ) throws -> (snapshot: Snapshot, report: StripeEventApplier.Report, deaths: Int) {
        let fixture = try WebhookFixture(backend)
        for object in 0..<objects {
            _ = try fixture.services.customers.upsert(.init(externalID: "org_batch_\(object)", email: "first@batch\(object).example"))
        }
        for delivery in deliveries {
            try fixture.deliver(delivery.name, id: delivery.id, created: delivery.created, delivery.changes)
        }
        let faults = Faults(failing: failing, crashAt: crashAt)
        var report = StripeEventApplier.Report()
        var now = Date()
        var rounds = 0
        var deaths = 0
        while try fixture.services.stripeEvents.counts()[.pending] ?? 0 > 0 {
            rounds += 1
            try #require(rounds < 20, "the backlog drains")
            // A fresh applier each round, as after a restart.
            let applier = fixture.applier(options, overriding: faults.handlers())
            do {
                report.add(try applier.applyPending(now: now))
            } catch let error as StoreError {
                #expect(error.message == "the applier died mid-batch")
                deaths += 1
            }
            now = now.addingTimeInterval(120)
        }
        return (try snapshot(fixture.store.database), report, deaths)
    }

    @Test(arguments: Backend.allCases)
    func aBacklogAppliedInLanesAndBatchesEndsAsAppliedOneByOne(backend: Backend) throws {
        let seeds = Int(ProcessInfo.processInfo.environment["TOLLGATE_SCENARIO_SEEDS"] ?? "") ?? 2
        for seed in 0..<UInt64(seeds) {
            var generator = SeededGenerator(seed: 0xBA7C_4000 + seed)
            let deliveries = Self.backlog(seed: 0xBA7C_0000 + seed, count: 90)
            let ids = Array(Set(deliveries.filter { $0.name != "product.created" }.map(\.id))).sorted()
            let failing = Set(ids.shuffled(using: &generator).prefix(6))
            let crashAt = ids.filter { !failing.contains($0) }.randomElement(using: &generator)
            let retry = (retryBase: 1.0, retryCap: 1.0)

            let serial = try Self.run(
                backend, deliveries, options: .init(retryBase: retry.retryBase, retryCap: retry.retryCap, batchSize: 1, workers: 1),
                failing: failing, crashAt: nil)
            let serialClean = try Self.run(backend, deliveries, options: .init(batchSize: 1, workers: 1), failing: [], crashAt: nil)
            for (workers, batch) in [(4, 7), (3, 100), (1, 13)] {
                // Handlers refuse some events once: each is retried later, the others go on.
                let batched = try Self.run(
                    backend, deliveries, options: .init(retryBase: retry.retryBase, retryCap: retry.retryCap, batchSize: batch, workers: workers),
                    failing: failing, crashAt: nil)
                #expect(batched.snapshot == serial.snapshot, "seed \(seed), \(workers) lanes × \(batch): \(batched.snapshot.difference(from: serial.snapshot))")
                #expect(batched.report == serial.report, "seed \(seed), \(workers) lanes × \(batch)")
                // The applier dies mid-batch: its batch is rolled back, and a new one finishes.
                let crashed = try Self.run(backend, deliveries, options: .init(batchSize: batch, workers: workers), failing: [], crashAt: crashAt)
                #expect(crashed.deaths == 1)
                #expect(crashed.snapshot == serialClean.snapshot, "seed \(seed), crash, \(workers) lanes × \(batch): \(crashed.snapshot.difference(from: serialClean.snapshot))")
            }
            // Each customer's domain events are numbered 1, 2, 3, … in the order appended.
            for (customer, entries) in serial.snapshot.log {
                #expect(entries.map { Int($0.prefix { $0 != " " }) } == Array(1...entries.count), "\(customer): \(entries)")
            }
            #expect(!serial.snapshot.log.isEmpty)
            // Exactly once: each event took one attempt, and one more for each refused one.
            for (id, state) in serial.snapshot.events {
                #expect(state.hasPrefix(failing.contains(id) ? "applied 2 " : "applied 1 ") || state.hasPrefix("ignored 1 "), "\(id): \(state)")
            }
            #expect(serial.report.retried == failing.count)
            #expect(serialClean.snapshot.events.values.allSatisfy { $0.hasPrefix("applied 1 ") || $0.hasPrefix("ignored 1 ") })
        }
    }
}

/// Which lane an event takes: all of one Stripe customer's events (of the customer, its
/// subscriptions, invoices, checkout sessions and entitlement summary) share one.
@Suite struct StripeEventLaneTests {
    @Test func everyRecordedEventOfOneCustomerHasTheCustomersLaneKey() throws {
        let names = [
            "checkout.session.completed", "customer.updated", "customer.deleted", "customer.subscription.created.new-shape",
            "customer.subscription.updated.old-shape", "customer.subscription.deleted.new-shape", "invoice.paid.new-shape",
            "invoice.payment_failed.old-shape", "invoice.payment_action_required", "entitlements.active_entitlement_summary.updated",
        ]
        for name in names {
            let event = try WebhookEvent(json: try WebhookPayloads.event(name))
            #expect(StripeEventApplier.laneKey(event) == WebhookFixture.stripeCustomer, "\(name)")
            let due = StripeEventApplier.DueEvent(id: event.id, payload: "", event: event)
            let lanes = (1...8).map { StripeEventApplier.lane(of: due, among: $0) }
            #expect(lanes.enumerated().allSatisfy { $0.element >= 0 && $0.element <= $0.offset })
        }
        // An event naming no customer goes by its object.
        let product = try WebhookEvent(json: try WebhookPayloads.event("product.created"))
        #expect(StripeEventApplier.laneKey(product) == product.objectID)
    }

    @Test(arguments: Backend.allCases)
    func lanesAreAtMostHalfThePoolAndOneOnSQLite(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let pool = fixture.store.database.statistics().maximum
        #expect(fixture.applier(.init(workers: 64)).laneCount == (backend == .sqlite ? 1 : max(1, pool / 2)))
        #expect(fixture.applier(.init(workers: 1)).laneCount == 1)
    }
}
