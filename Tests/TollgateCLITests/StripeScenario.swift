import Foundation
import Tollgate
import TollgateAPI
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// One seeded run of issue 12's scenario on one backend: random operations against a localstripe of
/// its own, their webhooks delivered (dropped, duplicated, held back) to a real API server over a
/// store of its own, then Tollgate compared with Stripe for every customer before and after
/// `stripe sync`, and the dry run compared with the real run.
///
/// Time: the scenario runs on a virtual clock that starts two days back; operations are 0.2–2 s
/// apart, and every event is stamped with its operation's virtual second. The applier is run by the
/// scenario, not on its thread — after every delivery, at the delivery's virtual time shifted to an
/// hour ahead of the wall clock (so every stored event is due, and retries fall due by virtual time
/// alone); after the last delivery, time jumps ahead until no event is pending (its retries run out).
final class StripeScenario {
    static let customers = 40
    static let operations = 300
    static let secret = "whsec_tollgate_scenario"

    let seed: UInt64
    let backend: Backend
    let directory: String
    /// The external ids of the Tollgate customers: `org_01` … `org_40`.
    let owners = (1...StripeScenario.customers).map { String(format: "org_%02d", $0) }

    private(set) var operations: [ScenarioOperation] = []
    private(set) var deliveryLayer: ScenarioDeliveryLayer?
    private(set) var before: ScenarioComparison?
    private(set) var after: ScenarioComparison?
    private(set) var sync: (dry: StripeReconciler.Report, real: StripeReconciler.Report, again: StripeReconciler.Report)?
    /// Why the seed failed; empty when it passed.
    private(set) var failures: [String] = []
    private(set) var traceFile: String?
    private(set) var seconds: Double = 0
    /// Kept until the trace is written (it reads `stripe_events`).
    private var store: TestDatabase?
    private var services: Services?

    init(seed: UInt64, backend: Backend, directory: String) {
        self.seed = seed
        self.backend = backend
        self.directory = directory
    }

    /// Runs the seed. Throws ``ScenarioLocalStripe/StartFailure`` when the peer cannot start;
    /// every other failure ends in ``failures`` (and the trace file).
    func run() throws {
        let started = ContinuousClock.now
        let peer = try ScenarioLocalStripe(directory: "\(directory)/localstripe-\(backend)-\(seed)")
        defer { peer.stop() }
        do {
            try play(peer)
        } catch {
            failures.append("the scenario stopped: \(error)")
        }
        seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        defer {
            services = nil
            store = nil
        }
        if !failures.isEmpty {
            traceFile = "\(directory)/seed-\(seed)-\(backend).trace"
            do {
                try ScenarioTrace(scenario: self, services: services).write(to: traceFile ?? "")
            } catch {
                failures.append("writing the trace failed: \(error)")
            }
        }
    }

    private func play(_ peer: ScenarioLocalStripe) throws {
        let (services, catalog) = try makeServices(peer)
        let api = APIServer(services: services, logger: .disabled)
        try api.start()
        defer { api.shutdown(timeout: .seconds(5)) }
        let driver = ScenarioDriver(peer: peer, seed: seed)
        driver.tollgate = TollgateAPI(
            port: api.port, token: try services.apiKeys.create(name: "scenario", scope: .write).token.value,
            linkedStripeCustomer: { try services.customers.get(externalID: $0).stripeCustomerID })
        try driver.createPlans(from: catalog)
        let deliveries = ScenarioDeliveryLayer(port: api.port, secret: Self.secret, seed: seed)
        deliveryLayer = deliveries

        try operate(driver, deliveries, applier: StripeEventApplier(services: services), services: services)
        failures += driver.billingMisses.map { "a call through Tollgate's API missed Stripe's current subscription: \($0)" }
        for copy in deliveries.deliveries where copy.isCopy && copy.answer == "new" {
            failures.append("the second delivery of \(deliveries.events[copy.event].id) was stored as a new event, not as a duplicate")
        }
        for refused in deliveries.refusals {
            let event = deliveries.events[refused.event]
            failures.append("delivery of \(event.id) (\(event.type)) answered \(refused.status ?? 0): \(refused.answer ?? "")")
        }
        guard let defaultPlan = catalog.defaultPlan?.key else { throw HTTPTestClientError("examples/catalog.json has no default plan") }
        let truth = try StripeTruth.read(peer: peer, account: driver.account, owners: owners, defaultPlan: defaultPlan)
        try judge(truth, account: driver.account, services: services, catalog: catalog)
    }

    /// A migrated store of its own with the example catalog and the 40 customers, and the services
    /// over it, configured as `tollgate serve` would be for this seed's localstripe.
    private func makeServices(_ peer: ScenarioLocalStripe) throws -> (Services, Catalog) {
        let store = try TestDatabase.make(backend)
        self.store = store
        let services = Services(
            configuration: try Configuration(environment: [
                "TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_LISTEN": "127.0.0.1:0", "TOLLGATE_STRIPE_API_KEY": "sk_test_tollgate_scenario",
                "TOLLGATE_STRIPE_API_BASE": peer.url, "TOLLGATE_STRIPE_WEBHOOK_SECRET": Self.secret,
            ]),
            database: store.database, migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: .disabled)
        self.services = services
        _ = try services.schema.migrator.migrate()
        let catalog = try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")))
        _ = try services.catalog.apply(catalog)
        for owner in owners { _ = try services.customers.upsert(CustomerChanges(externalID: owner)) }
        return (services, catalog)
    }

    /// The operations, with the deliveries due before each, then the rest of the deliveries, then
    /// the applier's retries until none is pending.
    private func operate(_ driver: ScenarioDriver, _ deliveries: ScenarioDeliveryLayer, applier: StripeEventApplier, services: Services) throws {
        // The clocks: virtual seconds since `virtualStart`; the applier's is an hour ahead of the wall.
        let virtualStart = (Date().timeIntervalSince1970 - 2 * 86_400).rounded(.down)
        let applierStart = Date().addingTimeInterval(3600)
        let apply = { (at: TimeInterval) throws in _ = try applier.applyPending(now: applierStart.addingTimeInterval(at)) }
        var timing = SeededGenerator(seed: seed ^ 0x7135_C10C_0000_0003)
        var time: TimeInterval = 0
        for index in 0..<Self.operations {
            time += Double.random(in: 0.2...2.0, using: &timing)
            try deliveries.deliver(until: time, afterEach: apply)
            let (kind, owner) = driver.choose(owners: owners)
            var operation = ScenarioOperation(index: index, at: time, kind: kind, owner: owner)
            defer { operations.append(operation) }
            let created = Int64(virtualStart + time.rounded(.down))
            for event in try driver.perform(&operation) {
                let id = try ScenarioDriver.id(event)
                try deliveries.schedule(event, operation: index, at: time, created: created, addedByFake: id.hasPrefix("evt_scenario"))
                operation.events.append(id)
            }
        }
        try deliveries.deliver(until: nil, afterEach: apply)
        // Hours pass: every retry falls due (the applier gives up after its attempts), then sync runs.
        let end = deliveries.deliveries.map(\.at).max() ?? time
        for round in 1...20 {
            guard try services.stripeEvents.counts()[.pending, default: 0] > 0 else { return }
            try apply(end + Double(round) * 7200)
        }
        failures.append("events still pending after 40 hours of retries: \(try services.stripeEvents.counts()[.pending, default: 0])")
    }

    /// Compares with Stripe before sync, runs the dry run, the real run and a second real run, and
    /// compares again: the dry run must report exactly what the real run did, the real run must
    /// succeed and leave every customer agreeing with Stripe, and the second run must change nothing.
    private func judge(_ truth: StripeTruth, account: ScenarioAccount, services: Services, catalog: Catalog) throws {
        before = try ScenarioComparison.compare(truth, account: account, services: services, catalog: catalog)
        let reconciler = try StripeReconciler(services: services)
        let dry = reconciler.run(dryRun: true)
        let real = reconciler.run(dryRun: false)
        let again = reconciler.run(dryRun: false)
        sync = (dry, real, again)
        let after = try ScenarioComparison.compare(truth, account: account, services: services, catalog: catalog)
        self.after = after

        if dry.changes != real.changes {
            failures.append("the dry run reported \(dry.changes.count) changes, the real run made \(real.changes.count); they differ:\n"
                + Self.difference(dry.changes, real.changes))
        }
        if !real.succeeded {
            failures.append("stripe sync did not succeed: \(real.error ?? "") \(real.failed.map { "\($0.stripeID): \($0.message)" })")
        }
        if !again.changes.isEmpty {
            failures.append("a second stripe sync still changed:\n" + again.changes.map { "  " + $0.summary }.joined(separator: "\n"))
        }
        if !after.disagreements.isEmpty {
            failures.append(String(format: "after sync %.1f %% of customers agree with Stripe; disagreements:\n", after.agreement)
                + after.disagreements.map { "  \($0)" }.joined(separator: "\n"))
        }
    }

    /// The changes only one of the two runs made, each line marked with the run.
    static func difference(_ dry: [StripeReconciler.Change], _ real: [StripeReconciler.Change]) -> String {
        let onlyDry = dry.filter { !real.contains($0) }.map { "  dry run only: \($0.summary)" }
        let onlyReal = real.filter { !dry.contains($0) }.map { "  real run only: \($0.summary)" }
        let order = onlyDry.isEmpty && onlyReal.isEmpty ? ["  the same changes in another order"] : []
        return (onlyDry + onlyReal + order).joined(separator: "\n")
    }

    /// One line: seed, backend, operations, events, deliveries, agreement before and after sync.
    var summary: String {
        let counts = deliveryLayer?.counts ?? .init()
        let agreement = { (comparison: ScenarioComparison?) in comparison.map { String(format: "%.1f %%", $0.agreement) } ?? "-" }
        return "stripe scenario seed \(seed) \(backend): \(operations.count) ops, \(counts.events) events, deliveries \(counts.sent) sent / "
            + "\(counts.dropped) dropped / \(counts.duplicated) duplicated / \(counts.delayed) delayed; agreement \(agreement(before)) before sync, "
            + "\(agreement(after)) after; \(String(format: "%.1f", seconds)) s" + beforeSyncKinds
    }

    /// The before-sync disagreements by class, most frequent first (`; before sync: email drifted ×3, …`).
    private var beforeSyncKinds: String {
        guard let before, !before.disagreements.isEmpty else { return "" }
        let counts = Dictionary(grouping: before.disagreements, by: \.kind).mapValues(\.count)
        return "; before sync: " + counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
    }

    // MARK: Seeds

    /// The fixed seeds CI runs.
    static let ciSeeds: [UInt64] = [1, 2, 3]

    /// `TOLLGATE_SCENARIO_SEEDS`: a comma-separated list of seeds (`7,19`; `7,` for one seed), or a
    /// single number N meaning seeds 1…N. Unset: ``ciSeeds``.
    static func seeds(_ environment: [String: String]) throws -> [UInt64] {
        guard let text = environment["TOLLGATE_SCENARIO_SEEDS"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return ciSeeds }
        if !text.contains(","), let count = UInt64(text), count > 0 { return Array(1...count) }
        let seeds = text.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !seeds.isEmpty, seeds.allSatisfy({ $0 != nil }) else {
            throw HTTPTestClientError("TOLLGATE_SCENARIO_SEEDS must be N (seeds 1…N) or a comma-separated list of seeds, not \(text)")
        }
        return seeds.compactMap { $0 }
    }
}
