import Foundation
import Testing
import Tollgate
@testable import TollgateCore
@testable import TollgateEntitlements
@testable import TollgateEvents
import TollgateOutbox
import TollgateStore
import TollgateTestSupport
import TollgateBase
import TollgateBilling
import TollgateWire

/// Seats (issue 17, docs/seats.md): per-unit limits follow the subscription's quantity, assignments
/// never exceed the limit under concurrency, and a limit that falls below the holders is reported
/// once and blocks new assignments without releasing anyone — on both backends.
@Suite struct SeatTests {
    /// `team` scales seats with the quantity (1 each) and projects (3 each, at most 100); `small`
    /// has a fixed 2 seats; the default plan has none.
    static func catalog() throws -> Catalog {
        try Catalog.parse(Data("""
            {
              "features": [
                { "key": "seats", "name": "Seats", "kind": "limit" },
                { "key": "projects", "name": "Projects", "kind": "limit" },
                { "key": "api.requests", "name": "API requests", "kind": "metered", "reset": "month" },
                { "key": "sso", "name": "SSO", "kind": "boolean" }
              ],
              "plans": [
                { "key": "free", "name": "Free", "is_default": true, "entitlements": { "projects": 1, "api.requests": 100 } },
                { "key": "team", "name": "Team", "entitlements": { "seats": { "per_unit": 1 }, "projects": { "per_unit": 3, "max": 100 }, "sso": true } },
                { "key": "small", "name": "Small", "entitlements": { "seats": 2 } }
              ]
            }
            """.utf8))
    }

    static let customer = "org_seats"

    /// One or more instances over a migrated store with the catalog and the customer.
    static func instances(_ backend: Backend, count: Int = 1) throws -> (TestDatabase, ServiceInstances) {
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(count, on: store)
        _ = try instances[0].catalog.apply(try catalog())
        _ = try instances[0].customers.upsert(.init(externalID: customer, email: "owner@seats.example", name: "Seat Owner"))
        return (store, instances)
    }

    static func subscribe(_ services: Services, plan: String = "team", quantity: Int, status: SubscriptionStatus = .active) throws {
        _ = try services.subscriptions.set(customer: customer, SubscriptionChange(plan: plan, status: status, quantity: quantity), source: "api")
    }

    static func code(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as DomainError {
            return error.failure.code
        } catch {
            return "\(error)"
        }
    }

    /// Every holder, all pages.
    static func holders(_ services: Services, feature: FeatureKey = "seats") throws -> [String] {
        var all: [String] = []
        var cursor: String?
        while true {
            let page = try services.seats.list(customer: customer, feature: feature, page: try PageRequest(limit: 7, startingAfter: cursor))
            all += page.data.map(\.member)
            guard page.hasMore, let last = page.data.last else { return all }
            cursor = last.member
        }
    }

    static func events(_ services: Services, _ types: Set<EventType>) throws -> [Event] {
        while try services.eventLog.publish() != nil {}
        return try services.eventLog.read(after: 0, limit: 10_000, filter: .init(customer: customer, types: types))
    }

    static func seatMails(_ services: Services) throws -> [OutboxMessage] {
        try services.outbox.list(page: try PageRequest(limit: 100)).items.filter { $0.template == "seats_over_limit" }
    }

    /// Evaluates the customers due, as the scheduler does shortly after a change.
    static func announce(_ services: Services) throws {
        _ = try services.entitlements.announceDue(now: Date().addingTimeInterval(1))
    }

    // MARK: - Per-unit limits

    @Test(arguments: Backend.allCases)
    func perUnitLimitsRoundTripThroughTheStoreAndTheDiff(_ backend: Backend) throws {
        let (_, instances) = try Self.instances(backend)
        let services = instances[0]
        let stored = try services.catalog.load()
        #expect(stored.plan("team")?.perUnit == ["seats": PerUnitEntitlement(perUnit: 1), "projects": PerUnitEntitlement(perUnit: 3, max: 100)])
        #expect(stored.plan("team")?.entitlements == ["sso": .enabled])
        for plan in try Self.catalog().plans { #expect(stored.plan(plan.key) == plan) }
        let file = String(decoding: try stored.encoded(), as: UTF8.self)
        #expect(file.contains(#""per_unit" : 3"#) && file.contains(#""max" : 100"#))

        var changed = try Self.catalog()
        changed.plans[1].perUnit["seats"] = PerUnitEntitlement(perUnit: 2, base: 1)
        changed.plans[2].perUnit["seats"] = PerUnitEntitlement(perUnit: 5)
        changed.plans[2].entitlements["seats"] = nil
        let diff = try services.catalog.apply(changed)
        let details = diff.changes.flatMap(\.details)
        #expect(details.contains("entitlements.seats: 1 per unit → 1 + 2 per unit"), "\(details)")
        #expect(details.contains("entitlements.seats: 2 → 5 per unit"), "\(details)")
        for plan in changed.plans { #expect(try services.catalog.load().plan(plan.key) == plan) }
    }

    @Test func perUnitCatalogRulesNameThePlace() throws {
        let bad = """
            {
              "features": [{ "key": "seats", "name": "Seats", "kind": "limit" }, { "key": "sso", "name": "SSO", "kind": "boolean" }],
              "plans": [{ "key": "team", "name": "Team", "entitlements": {
                "seats": { "per_unit": 0, "base": -1, "max": -2 }, "sso": { "per_unit": 1 }, "ghost": { "per_unit": 1 } } }]
            }
            """
        var problems: [String] = []
        do {
            _ = try Catalog.parse(Data(bad.utf8))
            Issue.record("the catalog parsed")
        } catch {
            problems = error.problems.map { "\($0.place): \($0.message)" }
        }
        #expect(problems.contains { $0.hasPrefix("plans[0].entitlements.seats.per_unit:") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("plans[0].entitlements.seats.base:") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("plans[0].entitlements.seats.max:") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("plans[0].entitlements.sso:") && $0.contains("only a limit feature") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("plans[0].entitlements.ghost:") && $0.contains("unknown feature") }, "\(problems)")
        // An object without per_unit is named as such, not as a bad plain value.
        let typo = #"{"features": [{ "key": "seats", "name": "Seats", "kind": "limit" }], "plans": [{ "key": "t", "name": "T", "entitlements": { "seats": { "per_units": 1 } } }]}"#
        do {
            _ = try Catalog.parse(Data(typo.utf8))
            Issue.record("a per-unit object without per_unit parsed")
        } catch {
            #expect(error.problems.contains { "\($0.place): \($0.message)".contains("per_unit") }, "\(error.problems)")
        }
    }

    /// Stripe's quantity, mirrored from `customer.subscription.*` webhooks by the real applier, moves
    /// the per-unit limit at once (the cached snapshot is dropped by the write), and the snapshot says
    /// where the value came from.
    @Test(arguments: Backend.allCases)
    func perUnitLimitFollowsQuantityChangesFromStripeWebhooks(_ backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let services = fixture.services
        var catalog = try exampleCatalog()
        let pro = try #require(catalog.plans.firstIndex { $0.key == "pro" })
        catalog.plans[pro].entitlements["seats"] = nil
        catalog.plans[pro].perUnit["seats"] = PerUnitEntitlement(perUnit: 2, max: 12)
        _ = try services.catalog.apply(catalog)
        let applier = fixture.applier()

        try fixture.deliver("customer.subscription.created.new-shape")  // pro, quantity 3
        #expect(try applier.applyPending().applied == 1)
        var seats = try #require(try services.entitlements.snapshot(customer: "org_acme").entitlements["seats"])
        #expect(seats.value == .limit(6) && seats.source == .planPerUnit)
        #expect(seats.perUnit == PerUnitBasis(perUnit: 2, max: 12, quantity: 3))
        for index in 0..<6 { _ = try services.seats.assign(customer: "org_acme", feature: "seats", member: "u_\(index)") }
        #expect(Self.code { _ = try services.seats.assign(customer: "org_acme", feature: "seats", member: "u_6") } == "limit_exceeded")

        func quantity(_ quantity: Int, at offset: Int, id: String) throws {
            try fixture.deliver("customer.subscription.updated.new-shape", id: id, created: WebhookFixture.t0 + offset, [
                "data.object.items.data.0.quantity": quantity, "data.object.items.data.0.price.lookup_key": "pro",
                "data.object.items.data.0.price.metadata": ["tollgate_plan": "pro"], "data.object.cancel_at_period_end": false,
            ])
            #expect(try applier.applyPending().applied == 1)
        }
        try quantity(7, at: 600, id: "evt_quantity_up")
        seats = try #require(try services.entitlements.snapshot(customer: "org_acme").entitlements["seats"])
        #expect(try fixture.subscription?.state.planKey == "pro")
        #expect(seats.value == .limit(12), "2 × 7 capped at 12")
        #expect(seats.perUnit?.quantity == 7 && seats.seats == SeatUse(assigned: 6))
        #expect(try services.seats.assign(customer: "org_acme", feature: "seats", member: "u_6").created)

        try quantity(2, at: 1200, id: "evt_quantity_down")
        seats = try #require(try services.entitlements.snapshot(customer: "org_acme").entitlements["seats"])
        #expect(seats.value == .limit(4) && seats.seats == SeatUse(assigned: 7, overLimit: 3))
        #expect(Self.code { _ = try services.seats.assign(customer: "org_acme", feature: "seats", member: "u_new") } == "limit_exceeded")
        let listing = try services.seats.list(customer: "org_acme", feature: "seats", page: try PageRequest(limit: 100))
        #expect(listing.assigned == 7 && listing.overLimit == 3 && listing.data.count == 7 && listing.limit == .limit(4))
        _ = try services.entitlements.announceDue(now: Date().addingTimeInterval(1))
        while try services.eventLog.publish() != nil {}
        let overLimit = try services.eventLog.read(after: 0, limit: 100, filter: .init(customer: "org_acme", types: [.seatsOverLimit]))
        #expect(overLimit.count == 1 && overLimit.first?.data["over_limit"]?.int == 3 && overLimit.first?.data["limit"]?.int == 4)
    }

    // MARK: - Assignment

    /// 200 assigners on two instances race for 25 seats: exactly 25 are assigned, every other is
    /// refused with `limit_exceeded`, and the stored count agrees with the rows.
    @Test(arguments: Backend.allCases)
    func concurrentAssignersNeverExceedTheLimit(_ backend: Backend) throws {
        let (store, instances) = try Self.instances(backend, count: 2)
        try Self.subscribe(instances[0], quantity: 25)
        let outcomes = ThreadSafeList<String>()
        let barrier = ThreadBarrier(count: 200)
        ConcurrentThreads.run(200) { index in
            barrier.arriveAndWait()
            let services = instances[index % 2]
            let code = Self.code { _ = try services.seats.assign(customer: Self.customer, feature: "seats", member: "u_\(index)") }
            outcomes.append(code ?? "assigned")
        }
        let all = outcomes.values
        #expect(all.filter { $0 == "assigned" }.count == 25, "\(Dictionary(grouping: all, by: { $0 }).mapValues(\.count))")
        #expect(all.filter { $0 == "limit_exceeded" }.count == 175)
        #expect(try Self.holders(instances[1]).count == 25)
        let (rows, counted): (Int64, Int64) = try store.database.withConnection { connection in
            (try connection.queryFirst("SELECT count(*) AS n FROM seat_assignments")?.get("n") ?? -1,
             try connection.queryFirst("SELECT assigned FROM seat_limits")?.get("assigned") ?? -1)
        }
        #expect(rows == 25 && counted == 25)
        #expect(try Self.events(instances[0], [.seatsAssigned]).count == 25)
    }

    /// The same member assigned by 40 racing callers holds one seat; one call created it.
    @Test(arguments: Backend.allCases)
    func assigningAHolderAgainIsIdempotentUnderConcurrency(_ backend: Backend) throws {
        let (_, instances) = try Self.instances(backend, count: 2)
        try Self.subscribe(instances[0], quantity: 3)
        let created = ThreadSafeList<Bool>()
        let barrier = ThreadBarrier(count: 40)
        ConcurrentThreads.run(40) { index in
            barrier.arriveAndWait()
            if let seat = try? instances[index % 2].seats.assign(customer: Self.customer, feature: "seats", member: "u_same") { created.append(seat.created) }
        }
        #expect(created.values.count == 40 && created.values.filter { $0 }.count == 1)
        #expect(try Self.holders(instances[0]) == ["u_same"])
        let again = try instances[1].seats.assign(customer: Self.customer, feature: "seats", member: "u_same")
        #expect(!again.created && again.assigned == 1)
    }

    /// A downgrade below the holders: nobody is released, the excess is reported in the listing and
    /// the snapshot, new assignments are refused, `seats.over_limit` and the mail come once per
    /// crossing however often the customer is evaluated; fitting again and falling below again is a
    /// second crossing.
    @Test(arguments: Backend.allCases)
    func aDowngradeBelowTheHoldersIsReportedOnceAndBlocksAssignments(_ backend: Backend) throws {
        let (_, instances) = try Self.instances(backend)
        let services = instances[0]
        try Self.subscribe(services, quantity: 5)
        for index in 0..<5 { _ = try services.seats.assign(customer: Self.customer, feature: "seats", member: "u_\(index)") }
        try Self.announce(services)
        #expect(try Self.events(services, [.seatsOverLimit]).isEmpty)

        try Self.subscribe(services, plan: "small", quantity: 5)  // POST subscription: 2 fixed seats
        #expect(try Self.holders(services) == (0..<5).map { "u_\($0)" }, "nobody is released")
        let listing = try services.seats.list(customer: Self.customer, feature: "seats", page: try PageRequest())
        #expect(listing.limit == .limit(2) && listing.assigned == 5 && listing.overLimit == 3)
        #expect(try services.entitlements.snapshot(customer: Self.customer).entitlements["seats"]?.seats == SeatUse(assigned: 5, overLimit: 3))
        #expect(Self.code { _ = try services.seats.assign(customer: Self.customer, feature: "seats", member: "u_9") } == "limit_exceeded")
        // A holder keeps access while over the limit: the SaaS decides whom to release.
        #expect(try services.seats.check(customer: Self.customer, feature: "seats", member: "u_4").allowed)

        try Self.announce(services)
        try Self.announce(services)
        try Self.subscribe(services, plan: "small", quantity: 6)  // another write, still over
        try Self.announce(services)
        var events = try Self.events(services, [.seatsOverLimit])
        #expect(events.count == 1)
        #expect(events.first?.data["assigned"]?.int == 5 && events.first?.data["over_limit"]?.int == 3 && events.first?.data["feature"]?.string == "seats")
        var mails = try Self.seatMails(services)
        #expect(mails.count == 1 && mails.first?.recipient == "owner@seats.example")
        let mail = try #require(mails.first)
        let data = try #require(try services.outbox.find(id: mail.id)).data
        #expect(data.contains(#""over_limit":"3""#) && data.contains(#""limit":"2""#), "\(data)")

        // Releasing down to the limit ends the crossing; an assignment is possible only once there is room.
        for index in 0..<3 { try services.seats.release(customer: Self.customer, feature: "seats", member: "u_\(index)") }
        #expect(Self.code { _ = try services.seats.assign(customer: Self.customer, feature: "seats", member: "u_9") } == "limit_exceeded")
        try Self.announce(services)
        try services.seats.release(customer: Self.customer, feature: "seats", member: "u_3")
        _ = try services.seats.assign(customer: Self.customer, feature: "seats", member: "u_9")
        try Self.announce(services)
        #expect(try Self.events(services, [.seatsOverLimit]).count == 1)

        // A cancellation (the default plan has no seats) is a second crossing.
        try Self.subscribe(services, plan: "small", quantity: 1, status: .canceled)
        try Self.announce(services)
        events = try Self.events(services, [.seatsOverLimit])
        #expect(events.count == 2 && events.last?.data["limit"]?.int == 0 && events.last?.data["over_limit"]?.int == 2)
        mails = try Self.seatMails(services)
        #expect(mails.count == 2)
        #expect(try Self.holders(services) == ["u_4", "u_9"])
    }

    /// The check for a member: allowed iff entitled and holding a seat.
    @Test(arguments: Backend.allCases)
    func theCheckForAMemberAnswersWhetherItHoldsASeat(_ backend: Backend) throws {
        let (_, instances) = try Self.instances(backend)
        let services = instances[0]
        try Self.subscribe(services, quantity: 2)
        _ = try services.seats.assign(customer: Self.customer, feature: "seats", member: "u_1")
        let held = try services.seats.check(customer: Self.customer, feature: "seats", member: "u_1")
        #expect(held.allowed && held.reason == nil && held.value == .limit(2))
        let other = try services.seats.check(customer: Self.customer, feature: "seats", member: "u_2")
        #expect(!other.allowed && other.reason == .notAssigned)
        try services.seats.release(customer: Self.customer, feature: "seats", member: "u_1")
        #expect(try services.seats.check(customer: Self.customer, feature: "seats", member: "u_1").reason == .notAssigned)
        _ = try services.seats.assign(customer: Self.customer, feature: "seats", member: "u_1")
        try Self.subscribe(services, quantity: 2, status: .canceled)
        #expect(try services.seats.check(customer: Self.customer, feature: "seats", member: "u_1").reason == .noActiveSubscription)
        #expect(Self.code { _ = try services.seats.check(customer: Self.customer, feature: "sso", member: "u_1") } == "invalid_request")
        #expect(Self.code { _ = try services.seats.check(customer: Self.customer, feature: "nope", member: "u_1") } == "unknown_feature")
    }

    /// Bad input is refused with a clear code and changes nothing.
    @Test(arguments: Backend.allCases)
    func badInputIsRefusedAndChangesNothing(_ backend: Backend) throws {
        let (store, instances) = try Self.instances(backend)
        let services = instances[0]
        try Self.subscribe(services, quantity: 3)
        let seats = services.seats
        let cases: [(String, () throws -> Void, String)] = [
            ("empty member", { _ = try seats.assign(customer: Self.customer, feature: "seats", member: "") }, "invalid_request"),
            ("oversized member", { _ = try seats.assign(customer: Self.customer, feature: "seats", member: String(repeating: "m", count: 256)) }, "invalid_request"),
            ("control character", { _ = try seats.assign(customer: Self.customer, feature: "seats", member: "u\n1") }, "invalid_request"),
            ("surrounding space", { _ = try seats.assign(customer: Self.customer, feature: "seats", member: " u_1") }, "invalid_request"),
            ("unknown feature", { _ = try seats.assign(customer: Self.customer, feature: "ghosts", member: "u_1") }, "unknown_feature"),
            ("metered feature", { _ = try seats.assign(customer: Self.customer, feature: "api.requests", member: "u_1") }, "invalid_request"),
            ("boolean feature", { _ = try seats.assign(customer: Self.customer, feature: "sso", member: "u_1") }, "invalid_request"),
            ("unknown customer", { _ = try seats.assign(customer: "org_nobody", feature: "seats", member: "u_1") }, "unknown_customer"),
            ("not entitled", { _ = try seats.assign(customer: Self.customer, feature: "seats", member: "u_1") }, ""),
            ("release of a non-holder", { try seats.release(customer: Self.customer, feature: "seats", member: "u_2") }, "not_found"),
            ("list of a metered feature", { _ = try seats.list(customer: Self.customer, feature: "api.requests", page: try PageRequest()) }, "invalid_request"),
        ]
        for (name, body, expected) in cases where !expected.isEmpty {
            #expect(Self.code(body) == expected, "\(name)")
        }
        #expect(try seats.assign(customer: Self.customer, feature: "seats", member: String(repeating: "m", count: 255)).created)
        try seats.release(customer: Self.customer, feature: "seats", member: String(repeating: "m", count: 255))
        let rows: Int64 = try store.database.withConnection { try $0.queryFirst("SELECT count(*) AS n FROM seat_assignments")?.get("n") ?? -1 }
        #expect(rows == 0)
        #expect(try Self.events(services, [.seatsAssigned, .seatsReleased]).count == 2)
        // The default plan has no seats: refused, nothing written.
        try Self.subscribe(services, quantity: 3, status: .canceled)
        #expect(Self.code { _ = try seats.assign(customer: Self.customer, feature: "seats", member: "u_1") } == "limit_exceeded")
        #expect(try Self.holders(services).isEmpty)
    }

    // MARK: - Randomized

    /// A seeded random history of assignments, releases, quantity and plan changes and grants,
    /// checked against a model after every step: the holders are exactly those assigned and not
    /// released (nobody is released silently), an assignment succeeds iff there is room, the
    /// excess is `holders − limit`, and each crossing is announced once.
    @Test(arguments: Backend.allCases)
    func aRandomHistoryKeepsTheInvariants(_ backend: Backend) throws {
        let (_, instances) = try Self.instances(backend, count: 2)
        var random = SeededGenerator(seed: 17)
        var holders: Set<String> = []
        var grants: [String] = []
        var over = false
        var crossings = 0
        try Self.subscribe(instances[0], quantity: 4)
        for step in 0..<160 {
            let services = instances[Int.random(in: 0...1, using: &random)]
            let limitBefore = try Self.limit(services)
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                let member = "u_\(Int.random(in: 0..<14, using: &random))"
                let code = Self.code { _ = try services.seats.assign(customer: Self.customer, feature: "seats", member: member) }
                if holders.contains(member) {
                    #expect(code == nil, "step \(step): a holder's repeat assignment succeeds")
                } else if Int64(holders.count) < limitBefore {
                    #expect(code == nil, "step \(step): room for \(member) (\(holders.count) of \(limitBefore))")
                    holders.insert(member)
                } else {
                    #expect(code == "limit_exceeded", "step \(step)")
                }
            case 5..<7:
                guard let member = holders.randomElement(using: &random) else { continue }
                try services.seats.release(customer: Self.customer, feature: "seats", member: member)
                holders.remove(member)
            case 7..<9:
                try Self.subscribe(services, plan: Bool.random(using: &random) ? "team" : "small", quantity: Int.random(in: 1...12, using: &random))
            default:
                if !grants.isEmpty, Bool.random(using: &random) {
                    _ = try services.grants.revoke(customer: Self.customer, grant: grants.removeLast())
                } else {
                    let grant = try services.grants.create(
                        customer: Self.customer, GrantRequest(feature: "seats", value: .limit(Int64.random(in: 1...10, using: &random)), reason: "random"),
                        grantedBy: "test")
                    grants.append(grant.id)
                }
            }
            let limit = try Self.limit(services)
            let listing = try services.seats.list(customer: Self.customer, feature: "seats", page: try PageRequest(limit: 100))
            #expect(Set(listing.data.map(\.member)) == holders, "step \(step): nobody released silently")
            #expect(listing.assigned == Int64(holders.count), "step \(step)")
            #expect(listing.overLimit == max(0, Int64(holders.count) - limit), "step \(step)")
            #expect(try services.entitlements.snapshot(customer: Self.customer, now: Date()).entitlements["seats"]?.seats
                    == (holders.isEmpty ? nil : SeatUse(assigned: Int64(holders.count), overLimit: max(0, Int64(holders.count) - limit))))
            try Self.announce(instances[step % 2])
            let isOver = Int64(holders.count) > limit
            if isOver && !over { crossings += 1 }
            over = isOver
            #expect(try Self.events(instances[0], [.seatsOverLimit]).count == crossings, "step \(step)")
        }
        #expect(crossings > 1, "the history crossed the limit more than once")
        #expect(try Self.seatMails(instances[0]).count == crossings)
    }

    /// The customer's seat limit now, evaluated (another instance's write is not in this one's
    /// cache yet); 0 when not entitled.
    static func limit(_ services: Services) throws -> Int64 {
        switch try services.entitlements.snapshot(customer: customer, now: Date()).entitlements["seats"]?.value {
        case .limit(let limit)?: limit
        case .unlimited?, .enabled?: .max
        case nil: 0
        }
    }
}
