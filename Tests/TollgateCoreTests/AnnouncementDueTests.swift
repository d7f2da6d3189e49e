import Dispatch
import Foundation
import Synchronization
import Testing
import Tollgate
import TollgateBase
import TollgateBilling
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateEvents
import TollgateStore
import TollgateTestSupport

/// The insert-only due marks (`entitlement_announcement_due`, issue 14): Stripe appliers (lanes,
/// batches) and API writers racing several schedulers on one store. Every change is announced
/// after it commits, and once: each customer's `entitlements.updated` events start from what the
/// one before announced (none repeated, none skipped over), folding them gives the customer's
/// state at the end, and no mark is left behind.
@Suite struct AnnouncementDueTests {
    @Test(arguments: Backend.allCases)
    func appliersWritersAndSchedulersRacingAnnounceEveryChangeOnce(backend: Backend) throws {
        let seeds = Int(ProcessInfo.processInfo.environment["TOLLGATE_SCENARIO_SEEDS"] ?? "") ?? 2
        for seed in 0..<UInt64(seeds) {
            try race(backend, seed: seed)
        }
    }

    func race(_ backend: Backend, seed: UInt64) throws {
        let fixture = try WebhookFixture(backend)
        let objects = StripeEventApplierBatchTests.objects
        let externals = (0..<objects).map { "org_batch_\($0)" }
        for external in externals { _ = try fixture.services.customers.upsert(.init(externalID: external)) }
        for delivery in StripeEventApplierBatchTests.backlog(seed: 0xD0E_0000 + seed, count: 150) {
            try fixture.deliver(delivery.name, id: delivery.id, created: delivery.created, delivery.changes)
        }
        // Every evaluation is at one instant after every write (so the state they see differs only
        // by the writes committed, never by time passing).
        let at = Date().addingTimeInterval(3600)
        let services = fixture.services
        let entitlements = services.entitlements
        let appliers = 2, writers = 2, schedulers = 3
        let writing = Atomic<Int>(appliers + writers)
        ConcurrentThreads.run(appliers + writers + schedulers) { index in
            if index < appliers {
                // An applier instance of its own, lanes and small batches, until nothing is pending.
                defer { writing.subtract(1, ordering: .sequentiallyConsistent) }
                let applier = StripeEventApplier(
                    services: services, options: .init(retryBase: 0, retryCap: 0, batchSize: 3 + index * 4, workers: 2), overriding: [:])
                for _ in 0..<40 {
                    _ = try? applier.applyPending()
                    if ((try? services.stripeEvents.counts()[.pending]) ?? 0) == 0 { break }
                }
            } else if index < appliers + writers {
                // API writes: grants made and revoked, customers renamed.
                defer { writing.subtract(1, ordering: .sequentiallyConsistent) }
                var random = SeededGenerator(seed: 0xD0E_1000 + seed * 16 + UInt64(index))
                var made: [(customer: String, id: String)] = []
                for _ in 0..<40 {
                    let customer = externals.randomElement(using: &random)!
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0:
                        let feature: FeatureKey = ["sso", "projects", "seats"].randomElement(using: &random)!
                        let value: EntitlementValue = feature == "sso" ? .enabled : .limit(Int64.random(in: 1...9, using: &random))
                        if let grant = try? services.grants.create(
                            customer: customer, .init(feature: feature, value: value, reason: "race"), grantedBy: "test") {
                            made.append((customer, grant.id))
                        }
                    case 1:
                        if let pick = made.indices.randomElement(using: &random) {
                            _ = try? services.grants.revoke(customer: made[pick].customer, grant: made[pick].id)
                            made.remove(at: pick)
                        }
                    default:
                        _ = try? services.customers.upsert(.init(externalID: customer, name: "n\(Int.random(in: 0..<5, using: &random))"))
                    }
                }
            } else {
                // Schedulers of several instances, announcing while the writes go on.
                var last = 1
                while writing.load(ordering: .sequentiallyConsistent) > 0 || last > 0 {
                    last = (try? entitlements.announceDue(now: at, limit: 2 + index)) ?? 1
                }
            }
        }
        // What is left (a scheduler that met another's claim stops early): announced by one.
        while try entitlements.announceDue(now: at) > 0 {}
        while try fixture.services.eventLog.publish() != nil {}
        #expect(try fixture.services.stripeEvents.counts()[.pending] ?? 0 == 0, "the backlog drained")
        let marks: Int = try fixture.store.database.withConnection { connection in
            try connection.queryFirst("SELECT COUNT(*) AS n FROM entitlement_announcement_due")?.get("n") ?? -1
        }
        #expect(marks == 0, "every mark was folded")

        let updates = try fixture.services.eventLog.read(after: 0, limit: 100_000, filter: .init(types: [.entitlementsUpdated]))
        for external in externals {
            var folded: [String: JSONValue] = [:]
            for (number, event) in updates.filter({ $0.customer == external }).enumerated() {
                let features = event.data["features"]?.members ?? [:]
                let changed = (event.data["changed_features"]?.array ?? []).compactMap(\.string)
                #expect(!changed.isEmpty && Set(changed) == Set(features.keys), "seed \(seed) \(external) #\(number): \(event.data)")
                if number > 0 {
                    // It starts where the one before left off: nothing announced twice or in between.
                    for key in changed {
                        #expect(event.data["previous"]?[key] == folded[key], "seed \(seed) \(external) #\(number) \(key)")
                        #expect(features[key] != folded[key], "seed \(seed) \(external) #\(number) \(key) announced unchanged")
                    }
                }
                for (key, value) in features { folded[key] = value }
            }
            let snapshot = try entitlements.snapshot(customer: external, now: at)
            var actual: [String: JSONValue] = [:]
            for (key, entitlement) in snapshot.entitlements { actual[key.rawValue] = try DomainEvents.encode(AnnouncedEntitlement(entitlement)) }
            #expect(folded == actual, "seed \(seed) \(external): the announcements fold to the state")
        }
    }

    /// Marks fold into the customer's row at the earliest instant one is due (one evaluation for
    /// all), and the scheduler wakes for a mark not folded yet.
    @Test(arguments: Backend.allCases)
    func aMarkIsDueAtItsInstantAndFoldsIntoTheEarliest(backend: Backend) throws {
        let store = try migratedStore(backend)
        let log = EventLog(database: store.database)
        _ = try CatalogRepository(database: store.database).apply(try exampleCatalog())
        let service = EntitlementService(database: store.database, events: log)
        _ = try CustomerRepository(database: store.database).upsert(.init(externalID: "org_1"), now: noon)
        let created = noon.addingTimeInterval(EntitlementAnnouncements.settle)
        // (Instants as stored: to the millisecond.)
        func isAbout(_ instant: Date?, _ expected: Date) -> Bool { instant.map { abs($0.timeIntervalSince(expected)) < 0.001 } ?? false }
        #expect(isAbout(try service.nextAnnouncementDue(), created), "a mark not folded yet wakes the scheduler")
        #expect(try service.announceDue(now: noon) == 0, "not due before it settled")
        #expect(isAbout(try service.nextAnnouncementDue(), created), "folded, still due at its instant")
        try store.database.transaction { connection in
            let id: String = try #require(try connection.queryFirst("SELECT id FROM customers WHERE external_id = 'org_1'")?.get("id"))
            try EntitlementAnnouncements.markDue(customerID: id, externalID: "org_1", on: connection, now: noon.addingTimeInterval(60))
            try EntitlementAnnouncements.markDue(customerID: id, externalID: "org_1", on: connection, now: noon.addingTimeInterval(-1))
        }
        #expect(isAbout(try service.nextAnnouncementDue(), noon.addingTimeInterval(-1 + EntitlementAnnouncements.settle)))
        #expect(try service.announceDue(now: created) == 1)
        #expect(try service.announceDue(now: created) == 0, "both marks were folded into one evaluation")
        let marks: Int = try store.database.withConnection { connection in
            try connection.queryFirst("SELECT COUNT(*) AS n FROM entitlement_announcement_due")?.get("n") ?? -1
        }
        #expect(marks == 0)
    }
}

/// The applier never waits for the scheduler: a batch's subscription events whose customer's event
/// sequence another transaction holds (the scheduler evaluating the customer) are left pending for
/// a later round, with every later event of that customer, while the other customers' events are
/// applied; once it is released they are applied in order, each once. (PostgreSQL: SQLite has one
/// writer, so no other transaction holds anything while a batch runs.)
@Suite struct StripeEventDeferralTests {
    @Test func aCustomerHeldByAnotherTransactionWaitsForALaterRoundInOrder() throws {
        let fixture = try WebhookFixture(.postgres)
        let names = ["a", "b", "c"]
        for name in names { _ = try fixture.services.customers.upsert(.init(externalID: "org_defer_\(name)")) }
        func deliver(_ name: String, _ step: Int) throws {
            try fixture.deliver("customer.subscription.updated.new-shape", id: "evt_defer_\(name)_\(step)", created: WebhookFixture.t0 + 100 * step, [
                "data.object.id": "sub_defer_\(name)", "data.object.customer": "cus_defer_\(name)",
                "data.object.metadata": ["tollgate_customer": "org_defer_\(name)"], "data.object.items.data.0.quantity": step,
            ])
        }
        for name in names { try deliver(name, 1) }
        try fixture.applier(.init(batchSize: 10, workers: 2)).applyPending()
        for step in 2...4 { for name in names { try deliver(name, step) } }

        // Another transaction holds org_defer_b's event sequence, as the scheduler's claim does.
        let held = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let database = fixture.store.database
        let holder = Thread {
            try? database.transaction { connection in
                _ = try connection.query("""
                    SELECT s.customer_id FROM customer_event_sequences s JOIN customers c ON c.id = s.customer_id
                    WHERE c.external_id = 'org_defer_b' FOR UPDATE OF s
                    """)
                held.signal()
                release.wait()
            }
        }
        holder.start()
        held.wait()
        let services = fixture.services
        let drained = DispatchSemaphore(value: 0)
        Thread {
            let applier = StripeEventApplier(services: services, options: .init(batchSize: 2, workers: 2), overriding: [:])
            for _ in 0..<100 where ((try? services.stripeEvents.counts()[.pending]) ?? 0) > 0 { _ = try? applier.applyPending() }
            drained.signal()
        }.start()
        func status(_ name: String, _ step: Int) throws -> StripeEventStatus { try fixture.event("evt_defer_\(name)_\(step)").status }
        var others = false
        for _ in 0..<400 where !others {
            others = try ["a", "c"].allSatisfy { name in try (2...4).allSatisfy { try status(name, $0) == .applied } }
            if !others { Thread.sleep(forTimeInterval: 0.025) }
        }
        #expect(others, "the other customers' events are applied meanwhile")
        #expect(try (2...4).map { try status("b", $0) } == [.pending, .pending, .pending], "the held customer's wait, all of them")
        release.signal()
        #expect(drained.wait(timeout: .now() + 30) == .success)
        for name in names {
            #expect(try fixture.services.subscriptions.history(customer: "org_defer_\(name)").map(\.quantity) == [1, 2, 3, 4], "\(name)")
            for step in 1...4 { #expect(try fixture.event("evt_defer_\(name)_\(step)").attempts == 1) }
        }
    }
}
