import Foundation
import Synchronization
import Testing
import Tollgate
@testable import TollgateBilling
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateStripe
import TollgateTestSupport
import TollgateBase

/// A clock tests move by hand, shared by exporters.
final class MeterClock: Sendable {
    private let instant: Mutex<Date>
    init(_ start: Date) { instant = Mutex(start) }
    var now: Date { instant.withLock { $0 } }
    func set(_ date: Date) { instant.withLock { $0 = date } }
    @Sendable func read() -> Date { now }
}

/// The billing fixture with `api.requests` and `exports.daily` billed per unit on `pro`, pushed to
/// the fake, and `count` customers linked to Stripe customers `cus_meter_<i>`.
struct MeterFixture {
    let billing: BillingFixture
    let customers: [(external: String, id: String, stripe: String)]
    static let features: [FeatureKey] = ["api.requests", "exports.daily"]

    init(_ backend: Backend, customers count: Int) throws {
        billing = try BillingFixture(backend)
        try billing.applyCatalog { catalog in
            catalog.plans[catalog.planIndex("pro")].meteredPrices = [
                "api.requests": MeteredPrice(unitAmountDecimal: "0.05", currency: "usd"),
                "exports.daily": MeteredPrice(unitAmountDecimal: "2", currency: "usd"),
            ]
        }
        _ = try billing.push()
        var linked: [(String, String, String)] = []
        for index in 0..<count {
            let external = "org_meter_\(index)"
            let customer = try billing.services.customers.upsert(.init(externalID: external, email: "\(external)@example.com"))
            let stripe = "cus_meter_\(index)"
            try billing.services.database.transaction { connection in
                try CustomerRepository.link(customer.customer, stripeCustomerID: stripe, on: connection, now: Date())
            }
            linked.append((external, customer.customer.id, stripe))
        }
        customers = linked
    }

    /// A Stripe client for the fake that retries quickly (`prefix`: its idempotency keys' prefix).
    func stripe(prefix: String = "tollgate-") -> StripeClient {
        StripeClient(configuration: StripeConfiguration(
            apiKey: StripeAPIKey(BillingFixture.apiKey), baseURL: billing.fake.baseURL, maxRetries: 2,
            initialRetryDelay: .milliseconds(2), maxRetryDelay: .milliseconds(10), idempotencyKeyPrefix: prefix))
    }

    func exporter(
        clock: MeterClock, holder: String, prefix: String = "tollgate-", eventsPerSecond: Double = 0, flushEvery: Int = 7
    ) -> MeterEventExporter {
        MeterEventExporter(
            database: billing.services.database, catalog: billing.services.catalog, stripe: stripe(prefix: prefix),
            options: .init(eventsPerSecond: eventsPerSecond, batchSize: 50, flushEvery: flushEvery), holder: holder, clock: clock.read)
    }

    /// Counted usage per (Stripe customer, feature), straight from `usage_events`.
    func counted() throws -> [String: Int64] {
        try billing.services.database.withConnection { connection in
            var totals: [String: Int64] = [:]
            for row in try connection.query("""
                SELECT c.stripe_customer_id, e.feature_key, CAST(SUM(e.quantity) AS BIGINT) AS total FROM usage_events e
                JOIN customers c ON c.id = e.customer_id WHERE c.stripe_customer_id IS NOT NULL GROUP BY c.stripe_customer_id, e.feature_key
                """) {
                let customer: String = try row.get("stripe_customer_id")
                let feature: String = try row.get("feature_key")
                totals["\(customer) \(feature)"] = try row.get("total")
            }
            return totals
        }
    }

    /// The fake's accepted totals in the same shape.
    func exported() -> [String: Int64] {
        var totals: [String: Int64] = [:]
        for (eventName, byCustomer) in billing.fake.meterTotals {
            let feature = eventName.dropFirst("tollgate.".count)
            for (customer, total) in byCustomer where total != 0 { totals["\(customer) \(feature)"] = total }
        }
        return totals
    }

    func states() throws -> [String: Int] {
        try billing.services.database.withConnection { connection in
            var counts: [String: Int] = [:]
            for row in try connection.query("SELECT state, COUNT(*) AS n FROM usage_exports GROUP BY state") {
                counts[try row.get("state")] = try row.get("n")
            }
            return counts
        }
    }
}

@Suite struct MeterExportTests {
    @Test(arguments: Backend.allCases)
    func pushCreatesMetersAndMeteredPricesOnce(backend: Backend) throws {
        let fixture = try MeterFixture(backend, customers: 0)
        let fake = fixture.billing.fake
        #expect(Set(fake.meterEventNames.values) == ["tollgate.api.requests", "tollgate.exports.daily"])
        let meter = try #require(fixture.billing.writes("POST", "/v1/billing/meters").first { $0["event_name"] == "tollgate.api.requests" })
        #expect(meter["default_aggregation[formula]"] == "sum")
        #expect(meter["customer_mapping[event_payload_key]"] == "stripe_customer_id")
        #expect(meter["customer_mapping[type]"] == "by_id")
        #expect(meter["value_settings[event_payload_key]"] == "value")
        let metered = fake.meteredPrices
        // pro has monthly and yearly usd prices: one metered price per interval.
        #expect(Set(metered.keys) == [
            "tollgate:pro:metered:api.requests:month:usd", "tollgate:pro:metered:api.requests:year:usd",
            "tollgate:pro:metered:exports.daily:month:usd", "tollgate:pro:metered:exports.daily:year:usd",
        ])
        let requestsMeter = try #require(fake.meterEventNames.first { $0.value == "tollgate.api.requests" }?.key)
        #expect(metered["tollgate:pro:metered:api.requests:month:usd"]?.meter == requestsMeter)
        #expect(metered["tollgate:pro:metered:api.requests:month:usd"]?.unitAmountDecimal == "0.05")
        // The flat prices are untouched.
        #expect(fake.activePriceLookupKeys["tollgate:pro:month:usd"] == 4900)

        fake.clearRequests()
        let again = try fixture.billing.push()
        #expect(again.isEmpty, "\(again.changes.map(\.description))")
        #expect(fake.writes.isEmpty, "\(fake.writes.map { "\($0.method) \($0.path)" })")

        // A changed amount: a new price takes the lookup key over, the old is archived; the meter stays.
        try fixture.billing.applyCatalog { catalog in
            catalog.plans[catalog.planIndex("pro")].meteredPrices = [
                "api.requests": MeteredPrice(unitAmountDecimal: "0.04", currency: "usd"),
                "exports.daily": MeteredPrice(unitAmountDecimal: "2", currency: "usd"),
            ]
        }
        fake.clearRequests()
        let changed = try fixture.billing.push()
        #expect(changed.summary == "created 2, archived 2", "\(changed.changes.map(\.description))")
        #expect(fake.meteredPrices["tollgate:pro:metered:api.requests:month:usd"]?.unitAmountDecimal == "0.04")
        #expect(fixture.billing.writes("POST", "/v1/billing/meters").isEmpty)
    }

    @Test func catalogRefusesBadMeteredPrices() throws {
        var catalog = try exampleCatalog()
        catalog.plans[catalog.planIndex("pro")].meteredPrices = [
            "sso": MeteredPrice(unitAmountDecimal: "1", currency: "usd"),
            "api.requests": MeteredPrice(unitAmountDecimal: "0.0000000000001", currency: "USD"),
            "nope": MeteredPrice(unitAmountDecimal: "1", currency: "usd"),
        ]
        let places = Set(catalog.problems().map(\.place))
        #expect(places == [
            "plans[1].metered_prices.sso", "plans[1].metered_prices.api.requests.unit_amount_decimal",
            "plans[1].metered_prices.api.requests.currency", "plans[1].metered_prices.nope",
        ], "\(catalog.problems())")
        let json = #"{"features":[{"key":"api.requests","name":"A","kind":"metered","reset":"month"}],"plans":[{"key":"pro","name":"Pro","metered_prices":{"api.requests":{"unit_amount_decimal":"0.05","currency":"usd"}}}]}"#
        let parsed = try Catalog.parse(Data(json.utf8))
        #expect(parsed.plans[0].meteredPrices["api.requests"] == MeteredPrice(unitAmountDecimal: "0.05", currency: "usd"))
        #expect(try Catalog.parse(try parsed.encoded()) == parsed)
    }

    @Test(arguments: Backend.allCases)
    func meteredPricesRoundTripThroughTheStore(backend: Backend) throws {
        let fixture = try MeterFixture(backend, customers: 0)
        let stored = try fixture.billing.services.catalog.load()
        #expect(stored.plan("pro")?.meteredPrices["exports.daily"] == MeteredPrice(unitAmountDecimal: "2", currency: "usd"))
        #expect(stored.billedFeatures.map(\.key) == ["api.requests", "exports.daily"])
        var target = try exampleCatalog()
        target.plans[target.planIndex("pro")].meteredPrices = stored.plan("pro")?.meteredPrices ?? [:]
        #expect(CatalogDiff(from: stored, to: target).isEmpty)
    }

    /// Seeded random usage over customers and features for two simulated hours, late commits into
    /// exported buckets, a peer failing (500s the client retries, 429s it does not, answers lost
    /// after the peer recorded the event), exporters replaced mid-run (one with fresh idempotency
    /// keys, so the peer sees repeated identifiers), and two exporters racing: the peer's totals
    /// equal the counted usage, and no identifier ever carried two values.
    @Test(arguments: Backend.allCases)
    func randomizedExportUnderFailuresMatchesCountedUsage(backend: Backend) throws {
        let fixture = try MeterFixture(backend, customers: 6)
        let fake = fixture.billing.fake
        let services = fixture.billing.services
        var random = SeededGenerator(seed: 0x5EED_17)
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 3 * 3600)
        let clock = MeterClock(start)
        var generation = 0
        var exporter = fixture.exporter(clock: clock, holder: "a0")
        var passes = 0
        // The first pass finds the features billed: billing starts here.
        #expect(try exporter.runOnce().planned == 0)
        // Usage from before billing started is never exported.
        _ = try services.entitlements.record(UsageRequest(customer: fixture.customers[0].external, feature: "api.requests", quantity: 1000),
                                             now: start.addingTimeInterval(-600))

        for minute in 0..<120 {
            var batch: [UsageRequest] = []
            var times: [Date] = []
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                let customer = fixture.customers.randomElement(using: &random)!
                let feature = MeterFixture.features.randomElement(using: &random)!
                batch.append(UsageRequest(customer: customer.external, feature: feature, quantity: Int64.random(in: 1...50, using: &random)))
                // Mostly in this minute; sometimes a late commit up to 30 minutes back (an exported bucket).
                let back = Int.random(in: 0..<10, using: &random) == 0 ? Double(min(Int.random(in: 1...30, using: &random), minute)) * 60 : 0
                times.append(start.addingTimeInterval(Double(minute) * 60 + Double.random(in: 0..<60, using: &random) - back))
            }
            for (request, time) in zip(batch, times) { _ = try services.entitlements.record(request, now: time) }
            clock.set(start.addingTimeInterval(Double(minute + 1) * 60 + 61))

            switch Int.random(in: 0..<12, using: &random) {
            case 0: fake.fail("POST", "/v1/billing/meter_events", status: 500, type: "api_error", message: "boom", times: Int.random(in: 1...5, using: &random))
            case 1: fake.fail("POST", "/v1/billing/meter_events", status: 429, type: "rate_limit_error", code: "rate_limit", message: "slow down",
                              times: Int.random(in: 1...3, using: &random))
            case 2: fake.fail("POST", "/v1/billing/meter_events", status: 500, type: "api_error", message: "lost", times: Int.random(in: 1...4, using: &random),
                              afterHandling: true)
            case 3:
                // The exporter is killed: a new instance (after its lease runs out) resumes from the store;
                // every other one has forgotten its idempotency keys, so only identifiers protect the peer.
                generation += 1
                exporter = fixture.exporter(clock: clock, holder: "a\(generation)", prefix: generation % 2 == 0 ? "tollgate-" : "restarted-\(generation)-")
                clock.set(clock.now.addingTimeInterval(61))
            case 4:
                // Two exporters at once.
                let pair = [exporter, fixture.exporter(clock: clock, holder: "rival-\(minute)")]
                let results = ThreadSafeList<MeterEventExporter.PassReport>()
                ConcurrentThreads.run(2) { index in
                    if let report = try? pair[index].runOnce() { results.append(report) }
                }
                #expect(results.values.filter(\.held).count <= 2)
            default: break
            }
            _ = try exporter.runOnce()
            passes += 1
        }

        // Everything settles: the peer recovers, time passes, passes run until nothing is pending.
        clock.set(start.addingTimeInterval(3 * 3600))
        var rounds = 0
        while try fixture.states()["pending", default: 0] > 0 || rounds == 0 {
            let report = try exporter.runOnce()
            rounds += 1
            if !report.held { clock.set(clock.now.addingTimeInterval(61)) }
            let states = try fixture.states()
            try #require(rounds < 50, "the export never finished: \(states)")
        }

        var counted = try fixture.counted()
        counted["cus_meter_0 api.requests", default: 0] -= 1000
        #expect(fixture.exported() == counted)
        #expect(!counted.isEmpty)
        var values: [String: Set<String>] = [:]
        for (identifier, value) in fake.meterEventsSeen { values[identifier, default: []].insert(value) }
        #expect(values.values.allSatisfy { $0.count == 1 }, "an identifier was sent with two values")
        let states = try fixture.states()
        #expect(states["sent"] == fake.meterEventCount, "\(states)")
        #expect(states["late"] == nil && states["rejected"] == nil && states["too_old"] == nil, "\(states)")
        #expect(fake.meterEventsSeen.count > fake.meterEventCount, "the peer saw retries and repeats")
        let status = try UsageExportStatus(store: exporter.store, database: services.database).features()
        #expect(status.allSatisfy { $0.pending.count == 0 })
        let differences = try UsageExportStatus(store: exporter.store, database: services.database)
            .reconcile(from: start, to: clock.now)
        let mismatched = differences.filter { !$0.isEmpty }
        #expect(mismatched.isEmpty, "\(mismatched)")
    }

    /// Usage of a period whose invoice closed (the mirror's current period began after the bucket,
    /// and the grace passed) is reported as late and never sent into the next period; usage of the
    /// previous period still within the grace is sent.
    @Test(arguments: Backend.allCases)
    func usageAfterTheInvoiceClosedIsReportedNotSent(backend: Backend) throws {
        let fixture = try MeterFixture(backend, customers: 2)
        let services = fixture.billing.services
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 6 * 3600)
        let periodStart = start.addingTimeInterval(3600)
        for customer in fixture.customers {
            _ = try services.subscriptions.set(
                customer: customer.external,
                SubscriptionChange(plan: "pro", status: .active, currentPeriodStart: periodStart, currentPeriodEnd: periodStart.addingTimeInterval(30 * 86_400)),
                source: "test")
        }
        // Customer 0's usage in the old period reaches the exporter within the grace; customer 1's after it.
        let clock = MeterClock(start)
        _ = try fixture.exporter(clock: clock, holder: "one").runOnce()
        let old = start.addingTimeInterval(30 * 60)
        _ = try services.entitlements.record(UsageRequest(customer: fixture.customers[0].external, feature: "api.requests", quantity: 7), now: old)
        clock.set(periodStart.addingTimeInterval(600))
        _ = try fixture.exporter(clock: clock, holder: "one").runOnce()
        _ = try services.entitlements.record(UsageRequest(customer: fixture.customers[1].external, feature: "api.requests", quantity: 5), now: old)
        clock.set(periodStart.addingTimeInterval(2 * 3600))
        let exporter = fixture.exporter(clock: clock, holder: "one")
        let report = try exporter.runOnce()
        #expect(report.late == 1 && report.sent == 0, "\(report)")
        #expect(fixture.exported() == ["cus_meter_0 api.requests": 7])
        let status = try UsageExportStatus(store: exporter.store, database: services.database).features()
        let requests = try #require(status.first { $0.feature == "api.requests" })
        #expect(requests.late == .init(count: 1, quantity: 5))
        #expect(requests.sent == .init(count: 1, quantity: 7))
        // Later passes leave it late.
        #expect(try exporter.runOnce().sent == 0)
        #expect(fixture.exported() == ["cus_meter_0 api.requests": 7])
    }

    /// An exporter down for longer than Stripe keeps accepting events: the usage of those days is
    /// planned, reported `too_old` and never sent (nor retried); what is recent goes out.
    @Test(arguments: Backend.allCases)
    func usageOlderThanStripeAcceptsIsReportedNotRetried(backend: Backend) throws {
        let fixture = try MeterFixture(backend, customers: 1)
        let services = fixture.billing.services
        let now = Date()
        let lastPass = now.addingTimeInterval(-37 * 86_400)
        let clock = MeterClock(lastPass)
        let exporter = fixture.exporter(clock: clock, holder: "one")
        _ = try exporter.runOnce()
        let customer = fixture.customers[0].external
        _ = try services.entitlements.record(UsageRequest(customer: customer, feature: "api.requests", quantity: 4), now: lastPass.addingTimeInterval(-30))
        _ = try services.entitlements.record(UsageRequest(customer: customer, feature: "api.requests", quantity: 9), now: now.addingTimeInterval(-600))
        clock.set(now)
        let report = try exporter.runOnce()
        #expect(report.tooOld == 1 && report.sent == 1 && report.failure == nil, "\(report)")
        #expect(fixture.exported() == ["cus_meter_0 api.requests": 9])
        #expect(fixture.billing.fake.meterEventsSeen.count == 1, "the too-old event never reached Stripe")
        #expect(try exporter.runOnce().tooOld == 0)
        let status = try UsageExportStatus(store: exporter.store, database: services.database).features()
        #expect(status.first { $0.feature == "api.requests" }?.tooOld == .init(count: 1, quantity: 4))
        let rows = try UsageExportStatus(store: exporter.store, database: services.database).reconcile(from: lastPass.addingTimeInterval(-3600), to: now)
        #expect(rows.first { $0.feature == "api.requests" }.map { ($0.counted, $0.sent, $0.notBilled, $0.isEmpty) } ?? (0, 0, 0, true) == (13, 9, 4, false))
        // Sent rows are forgotten after 40 days; the too-old one stays for the report.
        #expect(try exporter.store.purgeSent(now: now.addingTimeInterval(41 * 86_400)) == 1)
        #expect(try fixture.states() == ["too_old": 1])
    }

    /// Two exporters (two instances) started together over the same store: the lease lets one send,
    /// and no identifier reaches the peer twice.
    @Test(arguments: Backend.allCases)
    func twoExportersAtOnceSendEachEventOnce(backend: Backend) throws {
        let fixture = try MeterFixture(backend, customers: 10)
        let services = fixture.billing.services
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 3600)
        _ = try fixture.exporter(clock: MeterClock(start), holder: "left").runOnce()
        for minute in 0..<20 {
            let requests = fixture.customers.map { UsageRequest(customer: $0.external, feature: "api.requests", quantity: Int64(minute + 1)) }
            #expect(services.entitlements.record(batch: requests, now: start.addingTimeInterval(Double(minute) * 60 + 5)).allSatisfy { (try? $0.get()) != nil })
        }
        let clock = MeterClock(start.addingTimeInterval(1800))
        let exporters = [fixture.exporter(clock: clock, holder: "left"), fixture.exporter(clock: clock, holder: "right")]
        let reports = ThreadSafeList<MeterEventExporter.PassReport>()
        ConcurrentThreads.run(2) { index in
            for _ in 0..<3 { if let report = try? exporters[index].runOnce() { reports.append(report) } }
        }
        #expect(reports.values.count == 6)
        #expect(reports.values.contains { !$0.held }, "one exporter found the lease taken")
        #expect(fixture.billing.fake.meterEventCount == 200)
        #expect(fixture.billing.fake.requests.count { $0.path == "/v1/billing/meter_events" } == 200, "an event was sent twice")
        #expect(fixture.exported() == (try fixture.counted()))
    }

    /// Throughput to the peer, unpaced, one exporter (a log line, not an assertion on time).
    @Test(arguments: [Backend.sqlite, .postgres])
    func exportThroughput(backend: Backend) throws {
        let fixture = try MeterFixture(backend, customers: 50)
        let services = fixture.billing.services
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 2 * 3600)
        let clock = MeterClock(start)
        let exporter = fixture.exporter(clock: clock, holder: "bench", flushEvery: 100)
        _ = try exporter.runOnce()
        var requests: [UsageRequest] = []
        for minute in 0..<40 {
            for customer in fixture.customers { requests.append(UsageRequest(customer: customer.external, feature: "api.requests", quantity: Int64(minute + 1))) }
            let results = services.entitlements.record(batch: requests, now: start.addingTimeInterval(Double(minute) * 60 + 1))
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            requests = []
        }
        clock.set(start.addingTimeInterval(3600))
        let began = ContinuousClock.now
        let report = try exporter.runOnce()
        let elapsed = ContinuousClock.now - began
        #expect(report.sent == 2000 && report.failure == nil, "\(report)")
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("meter export throughput (\(backend)): \(report.sent) events in \(String(format: "%.2f", seconds)) s = \(Int(Double(report.sent) / seconds)) events/s (plan + send + record)")
    }
}
