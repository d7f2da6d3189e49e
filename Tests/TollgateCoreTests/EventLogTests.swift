import Foundation
import Testing
import Tollgate
import Synchronization
import TollgateBase
@testable import TollgateEntitlements
@testable import TollgateEvents
import TollgateStore
import TollgateTestSupport

/// A migrated store with the example catalog, an event log, and the repositories that write events.
private struct EventFixture {
    let store: TestDatabase
    let log: EventLog
    let service: EntitlementService
    let customers: CustomerRepository
    let subscriptions: SubscriptionRepository
    let grants: GrantRepository

    init(_ backend: Backend) throws {
        store = try migratedStore(backend)
        log = EventLog(database: store.database)
        _ = try CatalogRepository(database: store.database).apply(try exampleCatalog())
        service = EntitlementService(database: store.database, events: log)
        customers = CustomerRepository(database: store.database)
        subscriptions = SubscriptionRepository(database: store.database)
        grants = GrantRepository(database: store.database)
    }

    /// Announces what is due at `now`, publishes, and returns every event published so far.
    func events(announcingAt now: Date? = nil) throws -> [Event] {
        // A change is due once it has settled (EntitlementAnnouncements.settle).
        if let now { try service.announceDue(now: now.addingTimeInterval(EntitlementAnnouncements.settle)) }
        while try log.publish() != nil {}
        return try log.read(after: 0, limit: 100_000)
    }

    func types(_ events: [Event], customer: String? = nil) -> [String] {
        events.filter { customer == nil || $0.customer == customer }.map(\.type.rawValue)
    }
}

private struct Rollback: Error {}

@Suite struct EventLogTests {
    @Test(arguments: Backend.allCases)
    func everyDomainWriteAppendsItsEventAndEntitlementChangesAreAnnounced(backend: Backend) throws {
        let fixture = try EventFixture(backend)
        _ = try fixture.customers.upsert(.init(externalID: "org_1", email: "a@example.com"), now: noon)
        _ = try fixture.customers.upsert(.init(externalID: "org_1", email: "a@example.com"), now: noon)  // no change: no event
        _ = try fixture.customers.upsert(.init(externalID: "org_1", name: "Acme"), now: noon)
        var events = try fixture.events(announcingAt: noon)
        #expect(fixture.types(events, customer: "org_1") == ["customer.created", "customer.updated", "entitlements.updated"])

        _ = try fixture.subscriptions.set(customer: "org_1", .init(plan: "pro", status: .active), source: "test", now: noon)
        let grant = try fixture.grants.create(
            customer: "org_1", .init(feature: "sso", value: .enabled, reason: "pilot", expiresAt: noon.addingTimeInterval(60)), grantedBy: "ops", now: noon)
        events = try fixture.events(announcingAt: noon)
        #expect(fixture.types(events, customer: "org_1").suffix(3) == ["subscription.created", "grant.created", "entitlements.updated"])
        let updated = try #require(events.last)
        #expect(updated.data["changed_features"]?.array?.contains("sso") == true)
        #expect(updated.data["features"]?["sso"]?["value"] == .bool(true))
        #expect(updated.data["etag"]?.string == (try fixture.service.snapshot(customer: "org_1", now: noon).contentTag()))

        // Nothing changed: evaluating again announces nothing.
        #expect(try fixture.events(announcingAt: noon.addingTimeInterval(1)).count == events.count)

        // Time passing: the grant runs out at its instant, announced once.
        let after = noon.addingTimeInterval(61)
        #expect(try fixture.service.nextAnnouncementDue() == grant.expiresAt)
        events = try fixture.events(announcingAt: after)
        #expect(fixture.types(events, customer: "org_1").suffix(2) == ["grant.expired", "entitlements.updated"])
        #expect(events.last?.data["features"]?["sso"]?["value"] == .null)
        #expect(events.last?.data["features"]?["sso"]?["denial"]?.string == "feature_not_in_plan")
        #expect(try fixture.events(announcingAt: after.addingTimeInterval(1)).count == events.count)

        _ = try fixture.subscriptions.set(customer: "org_1", .init(plan: "pro", status: .canceled), source: "test", now: after)
        events = try fixture.events(announcingAt: after)
        #expect(fixture.types(events, customer: "org_1").suffix(2) == ["subscription.canceled", "entitlements.updated"])

        // Sequences number one customer's events 1, 2, 3, … in position order.
        let mine = events.filter { $0.customer == "org_1" }
        #expect(mine.map(\.sequence) == (1...Int64(mine.count)).map { $0 })
        #expect(events.map(\.position) == (1...Int64(events.count)).map { $0 })
    }

    @Test(arguments: Backend.allCases)
    func anEventRollsBackWithItsChange(backend: Backend) throws {
        let fixture = try EventFixture(backend)
        let (customer, _) = try fixture.customers.upsert(.init(externalID: "org_1"), now: noon)
        let before = try fixture.events(announcingAt: noon)
        #expect(throws: Rollback.self) {
            try fixture.store.database.transaction { connection in
                _ = try SubscriptionRepository.set(
                    customer: customer, .init(plan: "pro", status: .active), source: "test", mode: .merge, observer: .none, on: connection, now: noon)
                try CustomerRepository.link(customer, stripeCustomerID: "cus_stripe_1", on: connection, now: noon)
                throw Rollback()
            }
        }
        #expect(try fixture.events(announcingAt: noon) == before)
        #expect(try fixture.store.database.withConnection { try $0.queryFirst("SELECT count(*) AS n FROM events")?.get("n", as: Int64.self) }
            == Int64(before.count))
    }

    @Test(arguments: Backend.allCases)
    func theCatalogChangingAnnouncesTheCustomersItChanged(backend: Backend) throws {
        let fixture = try EventFixture(backend)
        _ = try fixture.customers.upsert(.init(externalID: "org_free"), now: noon)
        _ = try fixture.customers.upsert(.init(externalID: "org_pro"), now: noon)
        _ = try fixture.subscriptions.set(customer: "org_pro", .init(plan: "pro", status: .active), source: "test", now: noon)
        let before = try fixture.events(announcingAt: noon).count
        var catalog = try exampleCatalog()
        let index = try #require(catalog.plans.firstIndex { $0.key == "pro" })
        catalog.plans[index].entitlements["seats"] = .limit(12)
        _ = try CatalogRepository(database: fixture.store.database).apply(catalog, now: noon)
        let events = Array(try fixture.events(announcingAt: noon).dropFirst(before))
        #expect(fixture.types(events) == ["catalog.updated", "entitlements.updated"])
        #expect(events.last?.customer == "org_pro")
        #expect(events.last?.data["features"]?["seats"]?["value"] == .integer(12))
    }

    /// Many writers append while a publisher runs: every event is published exactly once, positions
    /// are 1…N with no gap, and each customer's sequence rises with position.
    @Test(arguments: Backend.allCases)
    func concurrentChangesPublishGapFreeInCommitOrder(backend: Backend) throws {
        let fixture = try EventFixture(backend)
        let customerCount = 5
        var customers: [Customer] = []
        for index in 0..<customerCount { customers.append(try fixture.customers.upsert(.init(externalID: "org_\(index)"), now: noon).customer) }
        let base = try fixture.events().count
        let writers = 8, perWriter = 40
        let publishing = Mutex(true)
        let publisher = Thread {
            while publishing.withLock({ $0 }) { _ = try? fixture.log.publish(limit: 7) }
        }
        publisher.start()
        let customersCopy = customers
        ConcurrentThreads.run(writers) { writer in
            var random = SeededGenerator(seed: UInt64(writer + 1))
            for step in 0..<perWriter {
                let customer = customersCopy[Int.random(in: 0..<customerCount, using: &random)]
                _ = try? fixture.store.database.transaction { connection in
                    try EventLog.append(.customerUpdated, customer: .init(id: customer.id, externalID: customer.externalID),
                                        data: ["writer": .integer(writer), "step": .integer(step)], on: connection, now: noon)
                    if Bool.random(using: &random) { throw Rollback() }
                }
            }
        }
        publishing.withLock { $0 = false }
        let events = try fixture.events()
        #expect(events.map(\.position) == (1...Int64(events.count)).map { $0 })
        #expect(Set(events.map(\.id)).count == events.count)
        for customer in customers {
            let sequences = events.filter { $0.customer == customer.externalID }.compactMap(\.sequence)
            #expect(sequences == sequences.sorted())
            #expect(Set(sequences).count == sequences.count)
        }
        // Each writer's own events keep their order.
        for writer in 0..<writers {
            let steps = events.dropFirst(base).filter { $0.data["writer"] == .integer(writer) }.compactMap { $0.data["step"]?.int }
            #expect(steps == steps.sorted())
        }
    }

    /// Two instances announcing the same due customers at once announce each change once.
    @Test func twoInstancesAnnounceEachChangeOnce() throws {
        let store = try migratedStore(.postgres)
        let log = EventLog(database: store.database)
        _ = try CatalogRepository(database: store.database).apply(try exampleCatalog())
        let instances = [EntitlementService(database: store.database, events: log), EntitlementService(database: store.database, events: log)]
        let customers = CustomerRepository(database: store.database)
        let grants = GrantRepository(database: store.database)
        for index in 0..<40 {
            _ = try customers.upsert(.init(externalID: "org_\(index)"), now: noon)
            _ = try grants.create(customer: "org_\(index)", .init(feature: "sso", value: .enabled, reason: "r"), grantedBy: "ops", now: noon)
        }
        ConcurrentThreads.run(2) { index in
            while ((try? instances[index].announceDue(now: noon.addingTimeInterval(1), limit: 7)) ?? 0) > 0 {}
        }
        while try log.publish() != nil {}
        let updates = try log.read(after: 0, limit: 10_000, filter: .init(types: [.entitlementsUpdated]))
        #expect(updates.count == 40)
        #expect(Set(updates.compactMap(\.customer)).count == 40)
    }
}

/// A seeded random history of changes and time passing, announced at random moments: folding the
/// `entitlements.updated` events of each customer gives exactly what the customer may do at the
/// end, and every grant that ran out is announced once — the events never disagree with the state.
@Suite struct EventLogHistoryTests {
    @Test(arguments: Backend.allCases)
    func foldingTheEventsGivesTheStateAfterARandomHistory(backend: Backend) throws {
        let fixture = try EventFixture(backend)
        var random = SeededGenerator(seed: 0x7011_6a7e)
        let customers = ["org_a", "org_b", "org_c"]
        var now = noon
        for customer in customers { _ = try fixture.customers.upsert(.init(externalID: customer), now: now) }
        var grants: [(customer: String, id: String)] = []
        let features: [(FeatureKey, EntitlementValue)] = [("sso", .enabled), ("seats", .limit(3)), ("api.requests", .limit(500)), ("projects", .unlimited)]
        let statuses: [SubscriptionStatus] = [.active, .trialing, .pastDue, .canceled, .active]
        for _ in 0..<120 {
            let customer = customers.randomElement(using: &random)!
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<3:
                let (feature, value) = features.randomElement(using: &random)!
                let expiry: Date? = Bool.random(using: &random) ? now.addingTimeInterval(Double(Int.random(in: 1...7200, using: &random))) : nil
                let grant = try fixture.grants.create(
                    customer: customer, .init(feature: feature, value: value, reason: "random", expiresAt: expiry), grantedBy: "test", now: now)
                grants.append((customer, grant.id))
            case 3:
                if let pick = grants.filter({ $0.customer == customer }).randomElement(using: &random) {
                    _ = try fixture.grants.revoke(customer: customer, grant: pick.id, now: now)
                }
            case 4..<6:
                let plan = ["pro", "enterprise", "free"].randomElement(using: &random)!
                let status = statuses.randomElement(using: &random)!
                _ = try fixture.subscriptions.set(
                    customer: customer, .init(plan: plan, status: status, currentPeriodStart: now,
                                              currentPeriodEnd: now.addingTimeInterval(Double(Int.random(in: 600...90_000, using: &random)))),
                    source: "test", now: now)
            case 6..<8:
                now = now.addingTimeInterval(Double(Int.random(in: 1...5400, using: &random)))
            default:
                try fixture.service.announceDue(now: now.addingTimeInterval(EntitlementAnnouncements.settle))
            }
        }
        now = now.addingTimeInterval(1)
        let events = try fixture.events(announcingAt: now)

        for customer in customers {
            var folded: [String: JSONValue] = [:]
            for event in events where event.customer == customer && event.type == .entitlementsUpdated {
                for (key, value) in event.data["features"]?.members ?? [:] { folded[key] = value }
            }
            let snapshot = try fixture.service.snapshot(customer: customer, now: now)
            var actual: [String: JSONValue] = [:]
            for (key, entitlement) in snapshot.entitlements { actual[key.rawValue] = try DomainEvents.encode(AnnouncedEntitlement(entitlement)) }
            #expect(folded == actual, "customer \(customer)")
            // The last announcement carries the ETag of the state as it is.
            let last = events.last { $0.customer == customer && $0.type == .entitlementsUpdated }
            #expect(last?.data["etag"]?.string == (try snapshot.contentTag()))
        }
        // Every grant that ran out (unrevoked) by the end is announced exactly once.
        let expiredIDs = events.filter { $0.type == .grantExpired }.compactMap { $0.data["object"]?["id"]?.string }
        #expect(Set(expiredIDs).count == expiredIDs.count)
        var ranOut: Set<String> = []
        for customer in customers {
            for grant in try fixture.grants.list(customer: customer) {
                guard let expiry = grant.expiresAt, expiry <= now else { continue }
                if let revoked = grant.revokedAt, revoked <= expiry { continue }
                ranOut.insert(grant.id)
            }
        }
        #expect(Set(expiredIDs) == ranOut)
    }
}

@Suite struct EventLogUpgradeTests {
    /// Customers written before the event log (no announcement row) are marked due once, so their
    /// state is announced and their time-based changes follow.
    @Test(arguments: Backend.allCases)
    func customersFromBeforeTheLogAreAnnouncedOnce(backend: Backend) throws {
        let fixture = try EventFixture(backend)
        _ = try fixture.customers.upsert(.init(externalID: "org_old"), now: noon)
        try fixture.store.database.withConnection { connection in
            try connection.execute("DELETE FROM entitlement_announcements")
            try connection.execute("DELETE FROM entitlement_announcement_due")
        }
        #expect(try fixture.service.markUnannounced(now: noon) == 1)
        #expect(try fixture.service.markUnannounced(now: noon) == 0)
        let events = try fixture.events(announcingAt: noon)
        #expect(events.filter { $0.customer == "org_old" && $0.type == .entitlementsUpdated }.count == 1)
    }
}
