import Foundation
import Testing
import Tollgate
import TollgateBase
@testable import TollgateEntitlements
@testable import TollgateEvents
import TollgateOutbox
import TollgateWire
import TollgateStore
import TollgateTestSupport

@Suite struct UsageAlertTests {
    @Test func boundariesRoundUpAndNeverOverflow() {
        #expect(UsageAlerts.boundary(80, of: 5) == 4)
        #expect(UsageAlerts.boundary(50, of: 1000) == 500)
        #expect(UsageAlerts.boundary(100, of: 7) == 7)
        #expect(UsageAlerts.boundary(1000, of: Int64.max) == Int64.max)
    }

    @Test func catalogAlertsAreValidatedAndDiffed() throws {
        var catalog = try exampleCatalog()
        catalog.defaultAlerts = [80, 80, 0]
        let index = try #require(catalog.features.firstIndex { $0.key == "seats" })
        catalog.features[index].alerts = [50]
        let places = catalog.problems().map(\.place)
        #expect(places.contains("default_alerts"))
        #expect(places.contains("features[\(index)].alerts"))
        var valid = try exampleCatalog()
        valid.defaultAlerts = [50, 100]
        #expect(CatalogDiff(from: try exampleCatalog(), to: valid).changes.map(\.subject) == ["default_alerts"])
    }

    /// 400 consumers cross the thresholds at once: each alert fires exactly once; a grant that raises
    /// the allowance re-arms those above the usage, which then fire once more under the new allowance.
    @Test(arguments: Backend.allCases)
    func eachAlertFiresOnceUnderConcurrentConsumersAndAGrantReArmsThem(backend: Backend) throws {
        let store = try migratedStore(backend)
        let log = EventLog(database: store.database)
        var catalog = try exampleCatalog()
        catalog.defaultAlerts = [50, 80, 100]
        _ = try CatalogRepository(database: store.database).apply(catalog)
        _ = try CustomerRepository(database: store.database).upsert(.init(externalID: "org_1"))
        let service = EntitlementService(database: store.database, events: log)
        let now = Date()
        // Free: api.requests 1,000 a month. 400 × 3 asks for 1,200; 999 fit (333 consumes).
        ConcurrentThreads.run(400) { index in
            _ = try? service.consume(.init(customer: "org_1", feature: "api.requests", quantity: 3, idempotencyKey: "k\(index)"), now: now)
        }
        while try log.publish() != nil {}
        func alerts() throws -> [Event] {
            try log.read(after: 0, limit: 10_000, filter: .init(customer: "org_1", types: [.usageThresholdReached, .usageLimitReached]))
        }
        var fired = try alerts()
        #expect(fired.compactMap { $0.data["threshold"]?.int } == [50, 80])
        #expect(fired.filter { $0.type == .usageLimitReached }.isEmpty)  // 999 < 1,000
        #expect(fired.allSatisfy { $0.data["allowance"] == .integer(1000) })

        // Exactly to the allowance: the limit is reached, once.
        _ = try service.record(.init(customer: "org_1", feature: "api.requests", quantity: 1, idempotencyKey: "last"), now: now)
        _ = try service.record(.init(customer: "org_1", feature: "api.requests", quantity: 1, idempotencyKey: "over"), now: now)
        while try log.publish() != nil {}
        fired = try alerts()
        #expect(fired.map(\.type.rawValue).suffix(2) == ["usage.threshold_reached", "usage.limit_reached"])
        #expect(fired.count == 4)

        // A grant of 1,000 more: the allowance is 2,000, usage 1,001; 50 % (1,000) was passed under the
        // new allowance already and stays quiet, 80 % (1,600) and 100 % are armed again.
        _ = try GrantRepository(database: store.database).create(
            customer: "org_1", .init(feature: "api.requests", value: .limit(1000), reason: "bonus"), grantedBy: "ops")
        service.invalidate(customer: "org_1")
        ConcurrentThreads.run(400) { index in
            _ = try? service.consume(.init(customer: "org_1", feature: "api.requests", quantity: 3, idempotencyKey: "g\(index)"), now: now)
        }
        while try log.publish() != nil {}
        let rearmed = Array(try alerts().dropFirst(4))
        #expect(rearmed.compactMap { $0.data["threshold"]?.int } == [80, 100])
        #expect(rearmed.filter { $0.type == .usageLimitReached }.count == 1)  // 1,001 + 333 × 3 = 2,000
        #expect(rearmed.allSatisfy { $0.data["allowance"] == .integer(2000) })
    }

    /// With the alert mail on, each threshold queues one `usage_threshold` mail in the usage
    /// transaction; the limit itself queues none.
    @Test(arguments: Backend.allCases)
    func thresholdsQueueOneMailEach(backend: Backend) throws {
        let store = try migratedStore(backend)
        var catalog = try exampleCatalog()
        catalog.defaultAlerts = [80]
        _ = try CatalogRepository(database: store.database).apply(catalog)
        _ = try CustomerRepository(database: store.database).upsert(.init(externalID: "org_1", email: "ada@example.com", name: "Ada"))
        let service = EntitlementService(database: store.database, events: EventLog(database: store.database), usageAlertObserver: UsageAlertMail.observer)
        for index in 0..<3 {
            _ = try service.record(.init(customer: "org_1", feature: "exports.daily", quantity: 2, idempotencyKey: "e\(index)"))
        }
        let mails = try OutboxStore(database: store.database).list(status: nil, page: PageRequest(limit: 100, startingAfter: nil)).items
        #expect(mails.map(\.template) == ["usage_threshold"])
        #expect(mails.first?.recipient == "ada@example.com")
    }
}

/// The announced state written directly is byte for byte what `WireJSON.encoder()` writes.
@Suite struct AnnouncementTextTests {
    @Test func theDirectTextIsTheEncodersOverRandomStates() throws {
        var random = SeededGenerator(seed: 0xA770_0C3D)
        let values: [EntitlementValue?] = [nil, .enabled, .unlimited, .limit(0), .limit(7), .limit(Int64.max)]
        let keys = ["seats", "api.requests", "a_b.c9", "sso", "x"]
        let reasons: [DenialReason] = [.featureNotInPlan, .noActiveSubscription, .limitExceeded, DenialReason(rawValue: "quo\"te\\d/é")]
        for _ in 0..<300 {
            var features: [String: AnnouncedEntitlement] = [:]
            for key in keys where Bool.random(using: &random) {
                let instant = { Date(timeIntervalSince1970: Double(Int.random(in: 0...253_402_300_799, using: &random))) }
                var entitlement = FeatureEntitlement(
                    feature: FeatureKey(validating: key)!, kind: .metered, value: values.randomElement(using: &random)!,
                    source: EntitlementSource.allCases.randomElement(using: &random)!)
                entitlement.denial = Bool.random(using: &random) ? reasons.randomElement(using: &random) : nil
                entitlement.resetsAt = Bool.random(using: &random) ? instant() : nil
                entitlement.windowStart = Bool.random(using: &random) ? instant() : nil
                features[key] = AnnouncedEntitlement(entitlement)
            }
            let expected = String(decoding: try WireJSON.encoder().encode(features), as: UTF8.self)
            #expect(EntitlementAnnouncements.encode(features) == expected)
            #expect(EntitlementAnnouncements.decode(expected) == (features.isEmpty ? [:] : features))
        }
    }
}
