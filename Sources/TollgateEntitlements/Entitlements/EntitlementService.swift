package import Foundation
package import Tollgate
package import TollgateStore
package import TollgateBase
package import TollgateEvents

/// Effective entitlements, checks and metered usage for customers: reads the store and asks the
/// library's ``Evaluator`` — the same evaluator the client library runs locally.
package final class EntitlementService: Sendable {
    let database: any Database
    let catalogCache: CatalogCache
    /// The event log, told when a change may have appended events (nil: no events are announced).
    package let events: EventLog?
    /// Rung when a customer may be due for an `entitlements.updated` (``EntitlementScheduler`` waits on it).
    package let announcementsDue = WorkSignal()
    /// Live snapshots (nil: always read the store).
    package let cache: SnapshotCache?
    package let policy: AccessPolicy
    /// What usage needs of each customer, kept as long as snapshots are.
    private let contexts: UsageContexts
    private let meter: UsageMeter
    /// Customers' credits (docs/credits.md); usage spends them through ``consume(_:now:)``.
    package let credits: CreditStore
    /// Told of each seat over-limit crossing the scheduler records (docs/seats.md).
    package let seatAlertObserver: SeatAlertObserver

    /// `usageAlertObserver`: told of each usage alert in its transaction (the alert mail);
    /// `seatAlertObserver` of each seat over-limit crossing (the seat mail).
    /// `usageBatch`: the most events one usage transaction holds (concurrent calls share one);
    /// `usageLinger`: how long a transaction waits for more events before it starts (zero: it
    /// takes what is queued when the previous one commits).
    package init(
        database: any Database, policy: AccessPolicy = AccessPolicy(), catalogCache: CatalogCache = CatalogCache(), cache: SnapshotCache? = nil,
        usageBatch: Int = UsageMeter.defaultMaximumBatch, usageLinger: Duration = .zero, events: EventLog? = nil,
        usageAlertObserver: UsageAlertObserver = .none, creditAlertObserver: CreditAlertObserver = .none,
        seatAlertObserver: SeatAlertObserver = .none
    ) {
        self.database = database
        self.seatAlertObserver = seatAlertObserver
        self.events = events
        self.policy = policy
        self.catalogCache = catalogCache
        self.cache = cache
        let contexts = UsageContexts(ttl: cache?.ttl ?? .zero)
        self.contexts = contexts
        meter = UsageMeter(
            database: database, catalogCache: catalogCache, contexts: contexts, policy: policy, maximumBatch: usageBatch,
            linger: usageLinger, didChange: { customer in cache?.invalidate(customer) }, eventsAppended: { events?.appended.notify() },
            alertObserver: usageAlertObserver, creditAlertObserver: creditAlertObserver)
        credits = CreditStore(database: database, catalogCache: catalogCache, alertObserver: creditAlertObserver, didChange: { customer in
            cache?.invalidate(customer)
            events?.appended.notify()  // the change may have appended credits.low or credits.exhausted
        })
    }

    /// The customer's effective entitlements for every feature, now (possibly from the cache) or at
    /// the instant `now` (always computed).
    package func snapshot(customer externalID: String, now: Date? = nil) throws -> EntitlementSnapshot {
        if now == nil, let cached = cache?.get(externalID) { return cached }
        let generation = cache?.generation
        let (snapshot, nextChange) = try database.withConnection { connection in
            let (_, input) = try inputs(externalID: externalID, on: connection, now: now ?? Date())
            return (Evaluator.snapshot(customer: externalID, input: input), input.nextChange)
        }
        if now == nil, let generation { cache?.put(externalID, snapshot, generation: generation, notAfter: nextChange) }
        return snapshot
    }

    /// Told after a change to what the customer may do commits: forgets their cached snapshot, and
    /// wakes the announcer (the change marked them due) and the event publisher (it may have
    /// appended events).
    package func invalidate(customer externalID: String) {
        contexts.invalidate(externalID)
        cache?.invalidate(externalID)
        announcementsDue.notify()
        events?.appended.notify()
    }

    /// Whether the customer may use `quantity` of `feature` now (nothing is recorded).
    package func check(customer externalID: String, feature: FeatureKey, quantity: Int64 = 1, now: Date? = nil) throws -> CheckResult {
        let snapshot = try snapshot(customer: externalID, now: now)
        guard snapshot.entitlements[feature] != nil else { throw DomainError.unknownFeature(feature.rawValue) }
        return snapshot.check(feature, quantity: quantity)
    }

    /// ``check(customer:feature:quantity:now:)`` with the feature's price and balance in credits
    /// (nil for a feature not priced in credits), from the same snapshot: what the API answers.
    package func checkWithCredits(
        customer externalID: String, feature: FeatureKey, quantity: Int64 = 1
    ) throws -> (result: CheckResult, credits: FeatureCreditUse?) {
        let snapshot = try snapshot(customer: externalID)
        guard snapshot.entitlements[feature] != nil else { throw DomainError.unknownFeature(feature.rawValue) }
        return (snapshot.check(feature, quantity: quantity), snapshot.creditUse(feature))
    }

    /// Counts usage whatever the quota (usage is a fact); a repeated idempotency key counts nothing.
    /// Answered once the event is committed, in a transaction shared with concurrent calls.
    package func record(_ request: UsageRequest, now: Date = Date()) throws -> UsageOutcome {
        try meter.meter([.init(request: request, enforceQuota: false, now: now)])[0].get()
    }

    /// Checks and counts in one step: the quantity is counted only if it fits the quota, and
    /// concurrent consumers can never overspend (the counter is locked while it is decided).
    package func consume(_ request: UsageRequest, now: Date = Date()) throws -> UsageOutcome {
        try meter.meter([.init(request: request, enforceQuota: true, now: now)])[0].get()
    }

    /// Records each request, in order, in one transaction (shared with concurrent calls): each is
    /// answered with its outcome or, for that event alone, why it was refused (a ``DomainError``).
    /// A store failure fails them all.
    package func record(batch requests: [UsageRequest], now: Date = Date()) -> [Result<UsageOutcome, any Error>] {
        meter.meter(requests.map { .init(request: $0, enforceQuota: false, now: now) })
    }

    /// Everything the evaluator needs for one customer, read through one connection.
    func inputs(externalID: String, on connection: any SQLConnection, now: Date) throws -> (customerID: String, input: EvaluationInput) {
        guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
            throw DomainError.unknownCustomer(externalID)
        }
        let catalog = try catalogCache.catalog(on: connection)
        let subscription = try SubscriptionRepository.current(externalID: externalID, on: connection)?.state
        let grants = try GrantRepository.grants(customerID: customer.id, on: connection)
        var usage: [FeatureKey: Int64] = [:]
        for feature in catalog.features where feature.kind == .metered {
            guard let reset = feature.reset else { continue }
            let window = UsageWindow.current(for: reset, subscription: subscription, at: now)
            usage[feature.key] = try UsageRepository.used(
                UsageCounterKey(customerID: customer.id, feature: feature.key, windowStart: window.start), on: connection)
        }
        let credits = try CreditStore.balances(customerID: customer.id, catalog: catalog, on: connection, now: now)
        let input = EvaluationInput(
            features: catalog.features, plan: subscription.flatMap { catalog.plan($0.planKey) }, defaultPlan: catalog.defaultPlan,
            subscription: subscription, grants: grants, usage: usage, credits: credits,
            seats: try SeatRepository.counts(customerID: customer.id, on: connection), now: now, policy: policy)
        return (customer.id, input)
    }
}
