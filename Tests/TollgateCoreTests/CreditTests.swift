import Foundation
import Testing
import Tollgate
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateStore
import TollgateTestSupport
import TollgateWire
import TollgateBase
@testable import TollgateEvents
import TollgateOutbox

/// Credits (issue 16): spending is exact under concurrency, holds reserve, and the ledger explains
/// every balance — on both backends, through two instances where it matters.
@Suite struct CreditTests {
    /// `ai.generation` costs 5 `ai_credits` per unit and is unlimited on the default plan, so only
    /// credits gate it. `floor` is the pool's overage floor.
    static func catalog(floor: Int64 = 0) throws -> Catalog {
        try Catalog.parse(Data("""
            {
              "credit_pools": [{ "key": "ai_credits", "name": "AI credits", "overage_floor": \(floor),
                                 "packs": [{ "key": "pack_1000", "credits": 1000, "unit_amount": 1000, "currency": "usd" }] }],
              "features": [{ "key": "ai.generation", "name": "Generations", "kind": "metered", "reset": "month",
                             "credits": { "pool": "ai_credits", "cost": 5 } }],
              "plans": [{ "key": "free", "name": "Free", "is_default": true, "entitlements": { "ai.generation": "unlimited" } }]
            }
            """.utf8))
    }

    static let pool = "ai_credits"

    /// The balance each account's ledger folds to, and the held amount, checked entry by entry.
    static func recompute(_ entries: [CreditLedgerEntry]) -> (balance: Int64, held: Int64, consistent: Bool) {
        var balance: Int64 = 0
        var held: Int64 = 0
        var consistent = true
        for (index, entry) in entries.sorted(by: { $0.seq < $1.seq }).enumerated() {
            balance += entry.amount
            held += entry.heldChange
            if entry.seq != Int64(index + 1) || entry.balanceAfter != balance || entry.heldAfter != held { consistent = false }
        }
        return (balance, held, consistent)
    }

    static func ledger(_ services: Services, _ customer: String) throws -> [CreditLedgerEntry] {
        var all: [CreditLedgerEntry] = []
        var cursor: String?
        while true {
            let page = try services.entitlements.credits.ledger(customer: customer, pool: pool, after: cursor, limit: 1000)
            all += page
            guard page.count == 1000, let last = page.last else { return all }
            cursor = last.id
        }
    }

    /// The README's AI product (`examples/catalog-ai.json`): the free plan's monthly credits arrive
    /// with the first generation, each costs 10, and the packs are for sale.
    @Test(arguments: Backend.allCases)
    func theAIExampleSellsAnAllowanceAndPacks(_ backend: Backend) throws {
        let catalog = try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog-ai.json")))
        #expect(catalog.creditPool("ai_credits")?.packs.map(\.key) == ["pack_5k", "pack_25k"])
        let store = try migratedStore(backend)
        let services = try ServiceInstances(1, on: store)[0]
        _ = try services.catalog.apply(catalog)
        _ = try services.customers.upsert(.init(externalID: "org_42"))
        let outcome = try services.entitlements.consume(UsageRequest(customer: "org_42", feature: "ai.generation", idempotencyKey: "gen-1"))
        #expect(outcome.allowed && outcome.credits == FeatureCreditUse(pool: "ai_credits", cost: 10, balance: 190, available: 190))
        let hold = try services.entitlements.credits.placeHold(customer: "org_42", pool: "ai_credits", amount: 150).hold
        #expect(try services.entitlements.snapshot(customer: "org_42").check("ai.generation", quantity: 5).reason == .insufficientCredits)
        _ = try services.entitlements.credits.settleHold(customer: "org_42", id: hold.id, commit: 120)
        #expect(try services.entitlements.credits.accounts(customer: "org_42").first?.balance == 70)
    }

    @Test func catalogRulesNameThePlace() throws {
        let bad = """
            {
              "credit_pools": [{ "key": "Bad Key", "name": "", "overage_floor": 5, "packs": [{ "key": "p", "credits": 0, "unit_amount": 0, "currency": "USD" }] }],
              "features": [{ "key": "seats", "name": "Seats", "kind": "limit", "credits": { "pool": "nope", "cost": 0 } }],
              "plans": [{ "key": "free", "name": "Free", "credits": { "nope": { "per_period": -1 } } }]
            }
            """
        let error = try #require(throws: CatalogError.self) { try Catalog.parse(Data(bad.utf8)) }
        let places = Set(error.problems.map(\.place))
        for place in [
            "credit_pools[0].key", "credit_pools[0].name", "credit_pools[0].overage_floor", "credit_pools[0].packs[0].credits",
            "credit_pools[0].packs[0].unit_amount", "credit_pools[0].packs[0].currency", "features[0].credits", "features[0].credits.pool",
            "features[0].credits.cost", "plans[0].credits.nope", "plans[0].credits.nope.per_period",
        ] {
            #expect(places.contains(place), "\(place) in \(places)")
        }
    }

    @Test(arguments: Backend.allCases)
    func catalogRoundTripsThroughTheStoreAndDiffs(_ backend: Backend) throws {
        let store = try migratedStore(backend)
        let services = try ServiceInstances(1, on: store)[0]
        var catalog = try Self.catalog(floor: -50)
        catalog.plans[0].credits = [Self.pool: PlanCredits(perPeriod: 100, rolloverCap: 20)]
        _ = try services.catalog.apply(catalog)
        #expect(try services.catalog.load() == catalog)
        var changed = catalog
        changed.creditPools[0].overageFloor = 0
        changed.features[0].credits?.cost = 7
        let diff = try services.catalog.apply(changed, dryRun: true)
        let text = diff.changes.map(\.description).joined(separator: "\n")
        #expect(text.contains("overage_floor: -50 → 0") && text.contains("credits: 5 ai_credits per unit → 7 ai_credits per unit"), "\(text)")
    }

    /// 400 consumers at once (two instances, several connections each) against a balance that
    /// covers 60 of them: exactly 60 are allowed, the balance ends at the floor, never below, and
    /// the ledger folds to it.
    @Test(arguments: Backend.allCases, [Int64(0), -25])
    func concurrentConsumersNeverOverspend(backend: Backend, floor: Int64) throws {
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(2, on: store)
        _ = try instances[0].catalog.apply(try Self.catalog(floor: floor))
        _ = try instances[0].customers.upsert(.init(externalID: "org_ai"))
        _ = try instances[0].entitlements.credits.grant(customer: "org_ai", pool: Self.pool, amount: 200, reason: "launch", expiresAt: nil)
        _ = try instances[1].entitlements.credits.grant(customer: "org_ai", pool: Self.pool, amount: 100, reason: "goodwill", expiresAt: nil)

        let consumers = 400
        let barrier = ThreadBarrier(count: consumers)
        let outcomes = ThreadSafeList<UsageOutcome>()
        let failures = ThreadSafeList<String>()
        ConcurrentThreads.run(consumers) { index in
            let request = UsageRequest(customer: "org_ai", feature: "ai.generation", quantity: 1, idempotencyKey: "gen-\(index)")
            barrier.arriveAndWait()
            do {
                outcomes.append(try instances[index % 2].entitlements.consume(request))
            } catch {
                failures.append(String(describing: error))
            }
        }
        #expect(failures.values.isEmpty, "\(failures.values.prefix(3))")
        let allowed = outcomes.values.filter(\.allowed).count
        // 300 credits at 5 each, plus what the floor lets run into overage.
        #expect(allowed == Int((300 - floor) / 5), "allowed \(allowed)")
        #expect(outcomes.values.filter { !$0.allowed }.allSatisfy { $0.reason == .insufficientCredits })
        #expect(outcomes.values.allSatisfy { ($0.credits?.balance ?? 0) >= floor }, "never below the floor")
        let account = try #require(try instances[0].entitlements.credits.accounts(customer: "org_ai").first)
        #expect(account.balance == 300 - Int64(allowed) * 5 && account.available == 0 && account.debt == max(0, -account.balance))
        let folded = Self.recompute(try Self.ledger(instances[0], "org_ai"))
        #expect(folded.consistent && folded.balance == account.balance && folded.held == 0)
        // The snapshot and the check agree with the store.
        let snapshot = try instances[1].entitlements.snapshot(customer: "org_ai")
        #expect(snapshot.check("ai.generation").reason == .insufficientCredits)
        #expect(snapshot.entitlements["ai.generation"]?.credits?.balance == account.balance)
    }

    /// `record` and `consume` of one credit-priced feature of one customer, racing on two instances
    /// (their batches lock the same account and counter): none fails (no deadlock between the two
    /// kinds of batch), consumes never overspend, and the ledger ends where the store is.
    @Test(arguments: Backend.allCases)
    func recordsAndConsumesOfOneCustomerRaceWithoutFailing(_ backend: Backend) throws {
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(2, on: store)
        _ = try instances[0].catalog.apply(try Self.catalog())
        _ = try instances[0].customers.upsert(.init(externalID: "org_ai"))
        _ = try instances[0].entitlements.credits.grant(customer: "org_ai", pool: Self.pool, amount: 1000, reason: nil, expiresAt: nil)
        let failures = ThreadSafeList<String>()
        let allowed = ThreadSafeList<Int>()
        let barrier = ThreadBarrier(count: 300)
        ConcurrentThreads.run(300) { index in
            let request = UsageRequest(customer: "org_ai", feature: "ai.generation", quantity: 1, idempotencyKey: "k\(index)")
            let service = instances[index % 2].entitlements
            barrier.arriveAndWait()
            do {
                if index % 3 == 0 {
                    _ = try service.record(request)
                } else if try service.consume(request).allowed {
                    allowed.append(index)
                }
            } catch {
                failures.append(String(describing: error))
            }
        }
        #expect(failures.values.isEmpty, "\(failures.values.prefix(3))")
        let account = try #require(try instances[0].entitlements.credits.accounts(customer: "org_ai").first)
        #expect(account.balance == 1000 - 5 * Int64(100 + allowed.values.count))
        #expect(allowed.values.count <= 180 && account.debt >= 0)
        let folded = Self.recompute(try Self.ledger(instances[0], "org_ai"))
        #expect(folded.consistent && folded.balance == account.balance)
    }

    /// Holds placed at once never reserve more than the balance; committing spends at most the hold
    /// and returns the rest.
    @Test(arguments: Backend.allCases)
    func concurrentHoldsNeverOverReserve(_ backend: Backend) throws {
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(2, on: store)
        _ = try instances[0].catalog.apply(try Self.catalog())
        _ = try instances[0].customers.upsert(.init(externalID: "org_ai"))
        _ = try instances[0].entitlements.credits.grant(customer: "org_ai", pool: Self.pool, amount: 1000, reason: nil, expiresAt: nil)

        let placers = 100
        let barrier = ThreadBarrier(count: placers)
        let holds = ThreadSafeList<CreditHold>()
        let refusals = ThreadSafeList<String>()
        ConcurrentThreads.run(placers) { index in
            barrier.arriveAndWait()
            do {
                holds.append(try instances[index % 2].entitlements.credits.placeHold(customer: "org_ai", pool: Self.pool, amount: 30).hold)
            } catch let error as DomainError where error.failure.code == "insufficient_credits" {
                refusals.append(error.description)
            } catch {
                refusals.append("unexpected: \(error)")
            }
        }
        #expect(holds.values.count == 33 && refusals.values.allSatisfy { !$0.hasPrefix("unexpected") }, "\(holds.values.count) \(refusals.values.prefix(2))")
        var account = try #require(try instances[0].entitlements.credits.accounts(customer: "org_ai").first)
        #expect(account.held == 990 && account.available == 10 && account.balance == 1000)

        // Settle them all at once, half committed for 20 of their 30, half released; each once.
        let placed = holds.values
        let settle = ThreadBarrier(count: placed.count * 2)
        let settleFailures = ThreadSafeList<String>()
        ConcurrentThreads.run(placed.count * 2) { index in
            let hold = placed[index / 2]
            let commit: Int64? = (index / 2) % 2 == 0 ? 20 : nil
            settle.arriveAndWait()
            do {
                let settled = try instances[index % 2].entitlements.credits.settleHold(customer: "org_ai", id: hold.id, commit: commit)
                if settled.settledAmount != commit { settleFailures.append("\(settled)") }
            } catch {
                settleFailures.append(String(describing: error))
            }
        }
        #expect(settleFailures.values.isEmpty, "\(settleFailures.values.prefix(2))")
        let committed = Int64(placed.indices.filter { $0 % 2 == 0 }.count)
        account = try #require(try instances[0].entitlements.credits.accounts(customer: "org_ai").first)
        #expect(account.held == 0 && account.balance == 1000 - committed * 20)
        let folded = Self.recompute(try Self.ledger(instances[0], "org_ai"))
        #expect(folded.consistent && folded.balance == account.balance && folded.held == 0)
        #expect(throws: DomainError.self) {
            try instances[0].entitlements.credits.settleHold(customer: "org_ai", id: placed[0].id, commit: nil)
        }
    }

    /// A refunded purchase takes back what is left of its block, once; the ledger explains it.
    @Test(arguments: Backend.allCases)
    func reversalTakesBackWhatIsLeftOnce(_ backend: Backend) throws {
        let store = try migratedStore(backend)
        let services = try ServiceInstances(1, on: store)[0]
        _ = try services.catalog.apply(try Self.catalog())
        _ = try services.customers.upsert(.init(externalID: "org_ai"))
        let credits = services.entitlements.credits
        _ = try credits.grant(
            customer: "org_ai", pool: Self.pool, amount: 100, source: .purchase, reason: nil, expiresAt: nil, priority: 0, key: "cs_test_1")
        _ = try credits.grant(customer: "org_ai", pool: Self.pool, amount: 50, reason: "promo", expiresAt: nil)
        let used = try services.entitlements.consume(UsageRequest(customer: "org_ai", feature: "ai.generation", quantity: 4))
        #expect(used.allowed && used.credits?.balance == 130, "the purchase (priority 0) burns first")
        #expect(try credits.reverse(customer: "org_ai", pool: Self.pool, source: .purchase, reference: "cs_test_1") == 80)
        #expect(try credits.reverse(customer: "org_ai", pool: Self.pool, source: .purchase, reference: "cs_test_1") == 0)
        #expect(try credits.reverse(customer: "org_ai", pool: Self.pool, source: .purchase, reference: "cs_none") == nil)
        let account = try #require(try credits.accounts(customer: "org_ai").first)
        #expect(account.balance == 50 && account.blocks.count == 1)
        let folded = Self.recompute(try Self.ledger(services, "org_ai"))
        #expect(folded.consistent && folded.balance == 50)
        #expect(try Self.ledger(services, "org_ai").filter { $0.cause == .reversal }.map(\.amount) == [-80])
    }

    /// A plan's credits arrive each period on time — through the scheduler, or through the first
    /// usage of the period if that comes first — once per period however many instances try, and
    /// the first allowance of a period carries over what the last one left, up to the cap.
    @Test(arguments: Backend.allCases)
    func periodAllowancesArriveOnceAndRollOverUpToTheCap(_ backend: Backend) throws {
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(2, on: store)
        var catalog = try Self.catalog()
        catalog.plans[0].credits = [Self.pool: PlanCredits(perPeriod: 100, rolloverCap: 30)]
        _ = try instances[0].catalog.apply(catalog)
        _ = try instances[0].customers.upsert(.init(externalID: "org_ai"))
        let calendar = Calendar(identifier: .gregorian)
        let july = try #require(calendar.date(from: DateComponents(timeZone: TimeZone(identifier: "UTC"), year: 2027, month: 7, day: 10, hour: 12)))
        let august = try #require(calendar.date(from: DateComponents(timeZone: TimeZone(identifier: "UTC"), year: 2027, month: 8, day: 1)))
        let september = try #require(calendar.date(from: DateComponents(timeZone: TimeZone(identifier: "UTC"), year: 2027, month: 9, day: 1)))
        let credits = instances[0].entitlements.credits

        // The scheduler (both instances, at once) adds July's 100, once.
        _ = try instances[0].entitlements.markUnannounced(now: july)
        ConcurrentThreads.run(2) { index in _ = try? instances[index].entitlements.announceDue(now: july.addingTimeInterval(1)) }
        var account = try #require(try credits.accounts(customer: "org_ai", now: july.addingTimeInterval(2)).first)
        #expect(account.balance == 100 && account.blocks.count == 1 && account.blocks[0].expiresAt == august)
        #expect(try instances[0].entitlements.nextAnnouncementDue() == august, "the scheduler wakes when the period ends")

        // Spend 80 in July; 20 are left when it ends.
        let spent = try instances[0].entitlements.consume(
            UsageRequest(customer: "org_ai", feature: "ai.generation", quantity: 16), now: july.addingTimeInterval(60))
        #expect(spent.allowed && spent.credits?.balance == 20)

        // August's first usage comes before the scheduler: it adds August's 100 plus 20 rolled over.
        let first = try instances[1].entitlements.consume(
            UsageRequest(customer: "org_ai", feature: "ai.generation", quantity: 1, idempotencyKey: "aug-1"), now: august.addingTimeInterval(0.5))
        #expect(first.allowed && first.credits?.balance == 115, "\(String(describing: first.credits))")
        ConcurrentThreads.run(2) { index in _ = try? instances[index].entitlements.announceDue(now: august.addingTimeInterval(1)) }
        account = try #require(try credits.accounts(customer: "org_ai", now: august.addingTimeInterval(2)).first)
        #expect(account.balance == 115 && account.blocks.count == 1, "nothing added twice")

        // September: only the cap (30) of August's 115 rolls over.
        ConcurrentThreads.run(2) { index in _ = try? instances[index].entitlements.announceDue(now: september.addingTimeInterval(1)) }
        account = try #require(try credits.accounts(customer: "org_ai", now: september.addingTimeInterval(2)).first)
        #expect(account.balance == 130, "100 + min(30, 115)")
        let entries = try Self.ledger(instances[0], "org_ai")
        let folded = Self.recompute(entries)
        #expect(folded.consistent && folded.balance == 130)
        #expect(entries.filter { $0.cause == .expiry }.map(\.amount) == [-20, -115])
    }

    /// 400 consumers run a balance down at once: `credits.low` and `credits.exhausted` are each
    /// announced once; credits added and spent again cross once more.
    @Test(arguments: Backend.allCases)
    func lowAndExhaustedAreAnnouncedOncePerCrossing(_ backend: Backend) throws {
        let store = try migratedStore(backend)
        let log = EventLog(database: store.database)
        var catalog = try Self.catalog()
        catalog.creditPools[0].lowBalance = 50
        _ = try CatalogRepository(database: store.database).apply(catalog)
        _ = try CustomerRepository(database: store.database).upsert(.init(externalID: "org_ai"))
        let service = EntitlementService(database: store.database, events: log)
        _ = try service.credits.grant(customer: "org_ai", pool: Self.pool, amount: 100, reason: nil, expiresAt: nil)
        func drain(_ round: Int) {
            ConcurrentThreads.run(400) { index in
                _ = try? service.consume(.init(customer: "org_ai", feature: "ai.generation", quantity: 1, idempotencyKey: "r\(round)-\(index)"))
            }
        }
        func alerts() throws -> [Event] {
            while try log.publish() != nil {}
            return try log.read(after: 0, limit: 10_000, filter: .init(customer: "org_ai", types: [.creditsLow, .creditsExhausted]))
        }
        drain(1)
        var fired = try alerts()
        #expect(fired.map(\.type) == [.creditsLow, .creditsExhausted], "\(fired.map(\.type))")
        #expect(fired.first?.data["low_balance"]?.int == 50 && fired.first.map { ($0.data["available"]?.int ?? 99) < 50 } == true)
        #expect(fired.last?.data["available"]?.int == 0 && fired.last?.data["pool"]?.string == Self.pool)

        _ = try service.credits.grant(customer: "org_ai", pool: Self.pool, amount: 200, reason: nil, expiresAt: nil)
        drain(2)
        fired = try alerts()
        #expect(fired.map(\.type) == [.creditsLow, .creditsExhausted, .creditsLow, .creditsExhausted], "\(fired.map(\.type))")
    }

    /// With the alert mail on, each crossing queues one `credits_low` mail in its transaction.
    @Test(arguments: Backend.allCases)
    func eachCrossingQueuesOneMail(_ backend: Backend) throws {
        let store = try migratedStore(backend)
        var catalog = try Self.catalog()
        catalog.creditPools[0].lowBalance = 50
        _ = try CatalogRepository(database: store.database).apply(catalog)
        _ = try CustomerRepository(database: store.database).upsert(.init(externalID: "org_ai", email: "ada@example.com", name: "Ada"))
        let service = EntitlementService(
            database: store.database, events: EventLog(database: store.database), creditAlertObserver: CreditAlertMail.observer)
        _ = try service.credits.grant(customer: "org_ai", pool: Self.pool, amount: 100, reason: nil, expiresAt: nil)
        for index in 0..<25 {
            _ = try service.consume(.init(customer: "org_ai", feature: "ai.generation", quantity: 1, idempotencyKey: "m\(index)"))
        }
        let mails = try OutboxStore(database: store.database).list(status: nil, page: PageRequest(limit: 100, startingAfter: nil)).items
        #expect(mails.map(\.template) == ["credits_low", "credits_low"] && mails.allSatisfy { $0.recipient == "ada@example.com" })
    }

    /// A seeded random history — grants with and without expiry and priority, consumes, records,
    /// holds placed, committed, released and left to run out, time moving on — against a model of
    /// blocks kept beside it: after every step the store's balance is the model's, and at the end
    /// the ledger recomputes every account and its balance at every entry.
    @Test(arguments: Backend.allCases, [UInt64(1), 2, 3])
    func randomHistoryRecomputesFromTheLedger(backend: Backend, seed: UInt64) throws {
        let store = try migratedStore(backend)
        let services = try ServiceInstances(1, on: store)[0]
        _ = try services.catalog.apply(try Self.catalog(floor: -40))
        _ = try services.customers.upsert(.init(externalID: "org_ai"))
        let credits = services.entitlements.credits
        var generator = SeededGenerator(seed: seed)
        var now = Date(timeIntervalSince1970: 1_800_000_000)

        // The model: blocks (remaining, priority, expiry, creation order), debt, open holds.
        struct Block { var remaining: Int64; var priority: Int; var expires: Date?; var order: Int }
        var blocks: [Block] = []
        var debt: Int64 = 0
        var open: [(id: String, amount: Int64, expires: Date)] = []
        var order = 0
        let floor: Int64 = -40
        func live() -> [Block] { blocks.filter { $0.remaining > 0 && ($0.expires.map { now < $0 } ?? true) } }
        func balance() -> Int64 { live().reduce(0) { $0 + $1.remaining } - debt }
        func held() -> Int64 { open.filter { $0.expires > now }.reduce(0) { $0 + $1.amount } }
        func spend(_ amount: Int64) {
            blocks = live().sorted {
                if $0.priority != $1.priority { return $0.priority < $1.priority }
                switch ($0.expires, $1.expires) {
                case (let l?, let r?) where l != r: return l < r
                case (.some, nil): return true
                case (nil, .some): return false
                default: return $0.order < $1.order
                }
            }
            var left = amount
            for index in blocks.indices where left > 0 {
                let take = min(left, blocks[index].remaining)
                blocks[index].remaining -= take
                left -= take
            }
            debt += left
        }

        for step in 0..<150 {
            open.removeAll { $0.expires <= now }
            switch Int.random(in: 0..<10, using: &generator) {
            case 0, 1:
                let amount = Int64.random(in: 1...60, using: &generator)
                let expires: Date? = Bool.random(using: &generator) ? now.addingTimeInterval(Double.random(in: 10...500, using: &generator)) : nil
                let priority = Bool.random(using: &generator) ? Int.random(in: 0...40, using: &generator) : nil
                _ = try credits.grant(
                    customer: "org_ai", pool: Self.pool, amount: amount, reason: "step \(step)", expiresAt: expires, priority: priority, now: now)
                let repaid = min(debt, amount)
                debt -= repaid
                order += 1
                blocks.append(Block(remaining: amount - repaid, priority: priority ?? CreditSource.promotion.defaultPriority, expires: expires, order: order))
            case 2, 3, 4:
                let quantity = Int64.random(in: 1...4, using: &generator)
                let outcome = try services.entitlements.consume(
                    UsageRequest(customer: "org_ai", feature: "ai.generation", quantity: quantity, idempotencyKey: "c\(step)"), now: now)
                let covers = quantity * 5 <= balance() - held() - floor
                #expect(outcome.allowed == covers, "step \(step)")
                if covers { spend(quantity * 5) }
            case 5:
                _ = try services.entitlements.record(UsageRequest(customer: "org_ai", feature: "ai.generation", quantity: 1), now: now)
                spend(5)
            case 6:
                let amount = Int64.random(in: 1...40, using: &generator)
                let ttl = Double.random(in: 5...200, using: &generator)
                if amount <= balance() - held() - floor {
                    let hold = try credits.placeHold(customer: "org_ai", pool: Self.pool, amount: amount, ttl: ttl, now: now).hold
                    open.append((hold.id, amount, now.addingTimeInterval(ttl)))
                } else {
                    #expect(throws: DomainError.self) { try credits.placeHold(customer: "org_ai", pool: Self.pool, amount: amount, ttl: ttl, now: now) }
                }
            case 7:
                guard let hold = open.randomElement(using: &generator) else { continue }
                open.removeAll { $0.id == hold.id }
                if Bool.random(using: &generator) {
                    let spent = Int64.random(in: 0...hold.amount, using: &generator)
                    _ = try credits.settleHold(customer: "org_ai", id: hold.id, commit: spent, now: now)
                    spend(spent)
                } else {
                    _ = try credits.settleHold(customer: "org_ai", id: hold.id, commit: nil, now: now)
                }
            default:
                now = now.addingTimeInterval(Double.random(in: 1...120, using: &generator))
            }
            let account = try #require(try credits.accounts(customer: "org_ai", now: now).first)
            #expect(account.balance == balance() && account.held == held() && account.debt == debt, "step \(step) store \(account.balance)/\(account.held)/\(account.debt) model \(balance())/\(held())/\(debt)")
        }
        // One more write records every expiry due, then the ledger must explain the final state.
        now = now.addingTimeInterval(1000)
        _ = try credits.grant(customer: "org_ai", pool: Self.pool, amount: 1, reason: "close", expiresAt: nil, now: now)
        let repaid = min(debt, 1)
        debt -= repaid
        order += 1
        blocks.append(Block(remaining: 1 - repaid, priority: CreditSource.promotion.defaultPriority, expires: nil, order: order))
        open.removeAll { $0.expires <= now }
        let account = try #require(try credits.accounts(customer: "org_ai", now: now).first)
        let folded = Self.recompute(try Self.ledger(services, "org_ai"))
        #expect(folded.consistent, "every entry's balance_after and held_after is the running sum")
        #expect(folded.balance == account.balance && folded.held == account.held && folded.held == 0)
        #expect(account.balance == balance())
    }

    /// A seeded random history across billing periods, on two instances: the plan's allowances with
    /// rollover (the scheduler and usage racing to add them), promotional grants, purchases (some
    /// delivered twice), consumes, records, holds committed, released and left to run out, reversals
    /// of purchases, months passing. After every change the ledger folds, entry by entry, to the
    /// stored balance and held amount; and no period's allowance is added twice.
    @Test(arguments: Backend.allCases, [UInt64(7), 8])
    func randomHistoryAcrossPeriodsWithPurchasesRecomputes(backend: Backend, seed: UInt64) throws {
        let store = try migratedStore(backend)
        let instances = try ServiceInstances(2, on: store)
        var catalog = try Self.catalog(floor: -30)
        catalog.plans[0].credits = [Self.pool: PlanCredits(perPeriod: 60, rolloverCap: 25)]
        _ = try instances[0].catalog.apply(catalog)
        _ = try instances[0].customers.upsert(.init(externalID: "org_ai"))
        _ = try instances[0].entitlements.markUnannounced(now: Date(timeIntervalSince1970: 1_800_000_000))
        var generator = SeededGenerator(seed: seed)
        var now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15
        var open: [String] = []
        var purchases: [String] = []
        func service() -> EntitlementService { instances[Int.random(in: 0...1, using: &generator)].entitlements }

        for step in 0..<160 {
            switch Int.random(in: 0..<12, using: &generator) {
            case 0:
                now = now.addingTimeInterval(Double.random(in: 3_600...20 * 86_400, using: &generator))  // days to weeks: periods turn
                continue
            case 1:
                // Both instances' schedulers at once.
                let at = now
                ConcurrentThreads.run(2) { index in _ = try? instances[index].entitlements.announceDue(now: at) }
            case 2:
                _ = try service().credits.grant(
                    customer: "org_ai", pool: Self.pool, amount: Int64.random(in: 1...40, using: &generator), reason: "promo",
                    expiresAt: Bool.random(using: &generator) ? now.addingTimeInterval(Double.random(in: 60...40 * 86_400, using: &generator)) : nil,
                    now: now)
            case 3:
                let reference = purchases.last.flatMap { Bool.random(using: &generator) ? $0 : nil } ?? "cs_\(step)"
                _ = try service().credits.grant(
                    customer: "org_ai", pool: Self.pool, amount: 50, source: .purchase, reason: "pack", expiresAt: nil, key: reference, now: now)
                purchases.append(reference)
            case 4:
                guard let reference = purchases.randomElement(using: &generator) else { continue }
                _ = try service().credits.reverse(customer: "org_ai", pool: Self.pool, source: .purchase, reference: reference, now: now)
            case 5, 6, 7:
                _ = try service().consume(
                    UsageRequest(customer: "org_ai", feature: "ai.generation", quantity: Int64.random(in: 1...3, using: &generator), idempotencyKey: "c\(step)"),
                    now: now)
            case 8:
                _ = try service().record(UsageRequest(customer: "org_ai", feature: "ai.generation", quantity: 1), now: now)
            case 9:
                if let hold = try? service().credits.placeHold(
                    customer: "org_ai", pool: Self.pool, amount: Int64.random(in: 1...30, using: &generator),
                    ttl: Double.random(in: 60...3 * 86_400, using: &generator), now: now).hold {
                    open.append(hold.id)
                }
            default:
                guard let id = open.popLast() else { continue }
                let commit: Int64? = Bool.random(using: &generator) ? Int64.random(in: 0...5, using: &generator) : nil
                _ = try? service().credits.settleHold(customer: "org_ai", id: id, commit: commit, now: now)
            }
            // The ledger explains what is stored: the blocks not recorded as expired, less debt, and
            // the held amount (a block past its expiry counts until a change records it, in both).
            let stored = try store.database.withConnection { connection in
                try connection.queryFirst("""
                    SELECT (SELECT COALESCE(SUM(remaining), 0) FROM credit_blocks WHERE expired_at IS NULL) - a.debt AS balance, a.held AS held
                    FROM credit_accounts a
                    """).map { (try $0.get("balance", as: Int64.self), try $0.get("held", as: Int64.self)) }
            }
            let folded = Self.recompute(try Self.ledger(instances[0], "org_ai"))
            #expect(folded.consistent, "step \(step)")
            #expect(stored.map { $0.0 == folded.balance && $0.1 == folded.held } ?? (folded.balance == 0), "step \(step): ledger \(folded) store \(String(describing: stored))")
        }
        // One allowance per period: no two allowance blocks share a reference.
        let references = try store.database.withConnection { connection in
            try connection.query("SELECT reference FROM credit_blocks WHERE source = 'allowance'").map { try $0.get("reference", as: String.self) }
        }
        #expect(Set(references).count == references.count && !references.isEmpty, "\(references)")
    }
}

