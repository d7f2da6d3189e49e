import Foundation
import Tollgate
import TollgateBase
import TollgateCrypto
import TollgateEvents
import TollgateStore

/// Records and consumes metered usage by group commit: concurrent calls share one transaction
/// (``GroupCommit``), which claims every keyed event with one multi-row insert, locks the credit
/// accounts that credit-priced events draw from (``CreditBook``; before any counter, in every batch),
/// locks and reads only the counters a `consume` must decide against, decides each event in arrival
/// order (spending credits as it goes), adds the summed quantity once per (customer, feature,
/// window), removes the claims of denied events and commits; only then is any caller answered. What an event needs besides the counters (the
/// customer's id, subscription, grants, and the entitlements they give) comes from
/// ``UsageContexts``; the catalog's revision is read once per batch.
package final class UsageMeter: Sendable {
    /// One event to count: `record` (always counts) or `consume` (counts only within the quota).
    struct Item: Sendable {
        var request: UsageRequest
        var enforceQuota: Bool
        var now: Date

        /// What must not appear twice in one batch: the event's idempotency identity.
        var identity: String? {
            request.idempotencyKey.map { "\(request.customer)\u{1F}\(request.feature.rawValue)\u{1F}\($0)" }
        }
    }

    package typealias Answer = Result<UsageOutcome, any Error>

    private let database: any Database
    private let catalogCache: CatalogCache
    private let contexts: UsageContexts
    private let policy: AccessPolicy
    /// Told each customer whose usage a commit changed, after the commit (the snapshot cache).
    private let didChange: @Sendable (String) -> Void
    /// Told after a commit that appended events (usage alerts): the event publisher.
    private let eventsAppended: @Sendable () -> Void
    private let batcher: GroupCommit<Item, Answer>

    package static let defaultMaximumBatch = 1_000
    /// Batches committing at once per instance on PostgreSQL.
    static let postgresCommitters = 2

    init(
        database: any Database, catalogCache: CatalogCache, contexts: UsageContexts, policy: AccessPolicy,
        maximumBatch: Int = UsageMeter.defaultMaximumBatch, linger: Duration = .zero, didChange: @escaping @Sendable (String) -> Void,
        eventsAppended: @escaping @Sendable () -> Void = {}, alertObserver: UsageAlertObserver = .none,
        creditAlertObserver: CreditAlertObserver = .none
    ) {
        self.database = database
        self.catalogCache = catalogCache
        self.contexts = contexts
        self.policy = policy
        self.didChange = didChange
        self.eventsAppended = eventsAppended
        let work = Work(
            database: database, catalogCache: catalogCache, contexts: contexts, policy: policy, didChange: didChange, eventsAppended: eventsAppended,
            alertObserver: alertObserver, creditAlertObserver: creditAlertObserver)
        // PostgreSQL sessions work in parallel: a few batches commit at once (rows are written in
        // one order, so they never wait on each other crosswise). SQLite has one writer.
        let leaders = database.dialect == .postgres ? Self.postgresCommitters : 1
        batcher = GroupCommit(maximumItems: maximumBatch, maximumLeaders: leaders, linger: linger, key: \.identity) { items in work.commit(items) }
    }

    /// Counts each request (in order) and answers each: its outcome, or why it was refused (a
    /// ``DomainError``; only that event is refused). A store failure fails every event of the batch.
    func meter(_ items: [Item]) -> [Answer] {
        var answers = [Answer?](repeating: nil, count: items.count)
        var valid: [Item] = []
        var positions: [Int] = []
        for (index, item) in items.enumerated() {
            do {
                try item.request.validate()
                valid.append(item)
                positions.append(index)
            } catch {
                answers[index] = .failure(error)
            }
        }
        for (position, answer) in zip(positions, batcher.submit(valid)) { answers[position] = answer }
        return answers.map { $0! }
    }
}

extension UsageMeter {
    /// What the leader runs: one transaction for a batch.
    private struct Work: Sendable {
        let database: any Database
        let catalogCache: CatalogCache
        let contexts: UsageContexts
        let policy: AccessPolicy
        let didChange: @Sendable (String) -> Void
        let eventsAppended: @Sendable () -> Void
        let alertObserver: UsageAlertObserver
        let creditAlertObserver: CreditAlertObserver

        /// An event that passed every check but the counter's.
        struct Resolved {
            var index: Int
            var counter: UsageCounterKey
            var quota: Int64?
            var entitlement: FeatureEntitlement?
            var resetsAt: Date?
            var eventID: String
            /// Features priced in credits: the account the event draws from and what it costs there.
            var credits: (account: CreditBook.Key, price: FeatureCredits, cost: Int64)?
        }

        func commit(_ items: [Item]) -> [Answer] {
            do {
                let (answers, changed, alerted) = try database.transaction { connection in try run(items, on: connection) }
                for customer in changed { didChange(customer) }
                if alerted { eventsAppended() }
                return answers
            } catch {
                return items.map { _ in .failure(error) }
            }
        }

        private func run(_ items: [Item], on connection: any SQLConnection) throws -> ([Answer], Set<String>, alerted: Bool) {
            var answers = [Answer?](repeating: nil, count: items.count)
            let (revision, catalog) = try catalogCache.revisioned(on: connection)
            let features = Dictionary(catalog.features.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })

            // Each event's counter and entitlement, from the cached context of its customer.
            var resolved: [Resolved] = []
            resolved.reserveCapacity(items.count)
            var firstOfIdentity: [String: Int] = [:]
            var repeats: [(index: Int, of: Int)] = []
            // The customers' contexts, evaluated at the batch's earliest instant (valid for the
            // others up to the next instant at which they change by themselves).
            let customers = Set(items.map(\.request.customer))
            let known = try contexts.contexts(of: customers, catalog: catalog, revision: revision, policy: policy, at: items.map(\.now).min()!, on: connection)
            for (index, item) in items.enumerated() {
                let request = item.request
                guard let context = known[request.customer] else {
                    answers[index] = .failure(DomainError.unknownCustomer(request.customer))
                    continue
                }
                guard let feature = features[request.feature] else {
                    answers[index] = .failure(DomainError.unknownFeature(request.feature.rawValue))
                    continue
                }
                guard feature.kind == .metered, let reset = feature.reset else {
                    answers[index] = .failure(DomainError.invalid(
                        "feature", "\(feature.key) is a \(feature.kind.rawValue) feature; only metered features count usage"))
                    continue
                }
                if let identity = item.identity {
                    if let first = firstOfIdentity[identity] {
                        repeats.append((index, first))
                        continue
                    }
                    firstOfIdentity[identity] = index
                }
                var credits: (account: CreditBook.Key, price: FeatureCredits, cost: Int64)?
                if let price = feature.credits {
                    let (cost, overflow) = price.cost.multipliedReportingOverflow(by: request.quantity)
                    guard !overflow else {
                        answers[index] = .failure(DomainError.invalid("quantity", "costs more credits than can be counted"))
                        continue
                    }
                    credits = (CreditBook.Key(customerID: context.customerID, pool: price.pool), price, cost)
                }
                let window = UsageWindow.current(for: reset, subscription: context.subscription, at: item.now)
                let entitlement = context.entitlement(feature.key, at: item.now, catalog: catalog, policy: policy)
                var quota: Int64?
                if case .limit(let number)? = entitlement?.value { quota = number }
                resolved.append(Resolved(
                    index: index, counter: UsageCounterKey(customerID: context.customerID, feature: feature.key, windowStart: window.start),
                    quota: quota, entitlement: entitlement, resetsAt: window.end, eventID: try "use_" + SecureRandom.token(20), credits: credits))
            }

            // Claim: every event is inserted first (keyed ones in one order everywhere, so two
            // batches never wait on each other's keys crosswise); a keyed event not inserted is a
            // repeat of one committed before.
            let rows = resolved.map { event in
                UsageEventRow(
                    id: event.eventID, counter: event.counter, quantity: items[event.index].request.quantity,
                    idempotencyKey: items[event.index].request.idempotencyKey, recordedAt: items[event.index].now)
            }.sorted(by: Self.claimOrder)
            let claimed = try UsageRepository.claim(rows, on: connection)

            // Decide in arrival order per counter. A counter with a consume is locked and read first.
            var fresh: [Resolved] = []
            var duplicates: [Resolved] = []
            for event in resolved {
                if claimed.contains(event.eventID) { fresh.append(event) } else { duplicates.append(event) }
            }
            // The credit accounts the fresh events draw from, locked before any counter (every batch,
            // `record` or `consume`, takes accounts first, then counters: never crosswise).
            let accounts = Set(fresh.compactMap { $0.credits?.account })
            let batchNow = items.map(\.now).max()!
            let book = accounts.isEmpty ? nil : try CreditBook.open(accounts, floors: CreditStore.floors(catalog), on: connection, now: batchNow)
            if let book {
                // A plan's credits for the period are there before anything is spent from them, even
                // when the scheduler has not come by since the period began.
                for customer in Set(fresh.compactMap { $0.credits == nil ? nil : items[$0.index].request.customer }).sorted() {
                    guard let context = known[customer] else { continue }
                    let input = UsageContexts.Context.input(catalog: catalog, subscription: context.subscription, grants: context.grants, policy: policy, at: batchNow)
                    guard let plan = input.effectivePlan, !plan.credits.isEmpty else { continue }
                    try book.grantAllowances(
                        plan.credits, plan: plan.key, window: UsageWindow.current(for: .billingPeriod, subscription: context.subscription, at: batchNow),
                        customerID: context.customerID, on: connection, now: batchNow)
                }
            }
            let toLock = Set(fresh.filter { items[$0.index].enforceQuota }.map(\.counter))
            let before = toLock.isEmpty ? [:] : try UsageRepository.lock(Array(toLock), on: connection)
            var creditUse: [String: FeatureCreditUse] = [:]
            var running: [UsageCounterKey: Int64] = before
            var added: [UsageCounterKey: Int64] = [:]
            var counted: [(event: Resolved, runningAfter: Int64)] = []
            var denied: [String] = []
            for event in fresh {
                let item = items[event.index]
                let quantity = item.request.quantity
                let now = running[event.counter] ?? 0
                if item.enforceQuota {
                    var reason: DenialReason?
                    switch event.entitlement?.value {
                    case nil, .enabled?: reason = event.entitlement?.denial ?? .featureNotInPlan
                    case .limit(let quota)?: if now > quota - quantity { reason = .limitExceeded }
                    case .unlimited?: reason = nil
                    }
                    if reason == nil, let credits = event.credits, let book,
                       !book.spend(credits.cost, from: credits.account, cause: .usage, reference: event.eventID, now: item.now) {
                        reason = .insufficientCredits
                    }
                    if let reason {
                        denied.append(event.eventID)
                        answers[event.index] = .success(UsageOutcome(
                            allowed: false, reason: reason, duplicate: false, feature: event.counter.feature, quantity: quantity,
                            used: now, remaining: event.quota.map { max(0, $0 - now) }, resetsAt: event.resetsAt,
                            credits: event.credits.flatMap { Self.use($0, in: book) }))
                        continue
                    }
                } else if let credits = event.credits, let book {
                    // Recorded usage already happened: it is charged in full, into overage if need be.
                    book.spend(credits.cost, from: credits.account, cause: .usage, reference: event.eventID, force: true, now: item.now)
                }
                if let credits = event.credits { creditUse[event.eventID] = Self.use(credits, in: book) }
                running[event.counter] = now + quantity
                added[event.counter, default: 0] += quantity
                counted.append((event, now + quantity))
            }
            var creditAlerted = false
            if let book {
                let customers = Dictionary(
                    fresh.compactMap { event in known[items[event.index].request.customer].map { ($0.customerID, items[event.index].request.customer) } },
                    uniquingKeysWith: { first, _ in first })
                creditAlerted = try CreditAlert.append(
                    book.crossings(lowBalances: CreditAlert.lowBalances(catalog)), customers: customers, observer: creditAlertObserver,
                    on: connection, now: batchNow)
                try book.flush(on: connection)
            }
            let after = added.isEmpty ? [:] : try UsageRepository.add(added, on: connection)
            if !denied.isEmpty { try UsageRepository.unclaim(ids: denied, on: connection) }
            let alerted = try fireAlerts(counted: counted, items: items, added: added, after: after, features: features, catalog: catalog, on: connection)
                || creditAlerted

            // A counter not locked was only added to: its value before the batch is what the
            // addition returned less what the batch added.
            for (event, runningAfter) in counted {
                var used = runningAfter
                if before[event.counter] == nil, let total = after[event.counter], let sum = added[event.counter] {
                    used = total - sum + runningAfter
                }
                var answer = outcome(event, items[event.index], used: used)
                answer.credits = creditUse[event.eventID]
                answers[event.index] = .success(answer)
            }
            // Repeats of a committed event: counted before; the usage as it stands now.
            var current = after
            for event in duplicates {
                let used: Int64
                if let known = current[event.counter] {
                    used = known
                } else {
                    used = try UsageRepository.used(event.counter, on: connection)
                    current[event.counter] = used
                }
                var answer = outcome(event, items[event.index], used: used)
                answer.duplicate = true
                answers[event.index] = .success(answer)
            }
            // Repeats within the batch (one submission naming a key twice): the first one's answer.
            for (index, first) in repeats {
                answers[index] = answers[first].map { answer in
                    answer.map { outcome in
                        var repeated = outcome
                        repeated.duplicate = outcome.allowed
                        repeated.quantity = items[index].request.quantity
                        return repeated
                    }
                }
            }
            let changed = Set(counted.map { items[$0.event.index].request.customer })
            return (answers.map { $0! }, changed, alerted)
        }

        /// The usage alerts the batch's additions crossed (``UsageAlerts``), each counter judged under
        /// the allowance of its last event in the batch.
        private func fireAlerts(
            counted: [(event: Resolved, runningAfter: Int64)], items: [Item], added: [UsageCounterKey: Int64], after: [UsageCounterKey: Int64],
            features: [FeatureKey: Feature], catalog: Catalog, on connection: any SQLConnection
        ) throws -> Bool {
            var last: [UsageCounterKey: Resolved] = [:]
            for (event, _) in counted { last[event.counter] = event }
            var crossings: [UsageAlerts.Crossing] = []
            for (counter, event) in last {
                guard let allowance = event.quota, let total = after[counter], let sum = added[counter], let feature = features[counter.feature] else { continue }
                let customer = EventCustomer(id: counter.customerID, externalID: items[event.index].request.customer)
                crossings += UsageAlerts.crossed(
                    from: total - sum, to: total, allowance: allowance, alerts: catalog.alerts(for: feature), customer: customer, counter: counter,
                    resetsAt: event.resetsAt)
            }
            guard !crossings.isEmpty else { return false }
            return try UsageAlerts.fire(crossings, observer: alertObserver, on: connection, now: items.map(\.now).max()!)
        }

        /// A credit-priced event's price and its account's balance as the book holds it now.
        static func use(_ credits: (account: CreditBook.Key, price: FeatureCredits, cost: Int64), in book: CreditBook?) -> FeatureCreditUse? {
            guard let account = book?.account(credits.account) else { return nil }
            return FeatureCreditUse(pool: credits.price.pool, cost: credits.price.cost, balance: account.balance, available: account.available)
        }

        /// The one order every batch claims keys in: (customer, feature, key) — what the unique index holds.
        static func claimOrder(_ lhs: UsageEventRow, _ rhs: UsageEventRow) -> Bool {
            if lhs.counter.customerID != rhs.counter.customerID { return lhs.counter.customerID < rhs.counter.customerID }
            if lhs.counter.feature != rhs.counter.feature { return lhs.counter.feature.rawValue < rhs.counter.feature.rawValue }
            return (lhs.idempotencyKey ?? "") < (rhs.idempotencyKey ?? "")
        }

        private func outcome(_ event: Resolved, _ item: Item, used: Int64) -> UsageOutcome {
            UsageOutcome(
                allowed: true, reason: nil, duplicate: false, feature: event.counter.feature, quantity: item.request.quantity,
                used: used, remaining: event.quota.map { max(0, $0 - used) }, resetsAt: event.resetsAt)
        }
    }
}

/// What usage needs of a customer besides the counters, kept in memory: the customer's id (which
/// never changes) and, for as long as the snapshot cache keeps snapshots, the subscription, the
/// grants and the entitlements they give under a catalog revision. Changes made through this
/// instance invalidate the customer at once (the same calls that invalidate snapshots); changes
/// made elsewhere are seen within the TTL. An evaluation is reused only for instants from the one
/// it was made at up to the next instant at which it changes by itself
/// (``EvaluationInput/nextChange``).
package final class UsageContexts: Sendable {
    struct Context: Sendable {
        var customerID: String
        var subscription: SubscriptionState?
        var grants: [Grant]
        var revision: Int64
        var evaluatedAt: Date
        var validUntil: Date?
        var entitlements: [FeatureKey: FeatureEntitlement]
        var expires: ContinuousClock.Instant

        /// The entitlement to `feature` at `now`: the kept evaluation when `now` is in its span,
        /// else evaluated afresh.
        func entitlement(_ feature: FeatureKey, at now: Date, catalog: Catalog, policy: AccessPolicy) -> FeatureEntitlement? {
            if now >= evaluatedAt, validUntil.map({ now < $0 }) ?? true { return entitlements[feature] }
            return Evaluator.evaluate(Self.input(catalog: catalog, subscription: subscription, grants: grants, policy: policy, at: now))[feature]
        }

        static func input(catalog: Catalog, subscription: SubscriptionState?, grants: [Grant], policy: AccessPolicy, at now: Date) -> EvaluationInput {
            EvaluationInput(
                features: catalog.features, plan: subscription.flatMap { catalog.plan($0.planKey) }, defaultPlan: catalog.defaultPlan,
                subscription: subscription, grants: grants, usage: [:], now: now, policy: policy)
        }
    }

    private struct State: Sendable {
        var entries: [String: Context] = [:]
        var customerIDs: [String: String] = [:]
        var generation: UInt64 = 0
    }

    /// How long a context is kept (zero: read from the store for every batch).
    let ttl: Duration
    private let capacity: Int
    private let state = ReadWriteLock(State())

    package init(ttl: Duration, capacity: Int = 100_000) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The contexts of `externalIDs` (those that are customers), from memory while fresh and
    /// current, the others read through `connection` together: their ids (unless known), their
    /// subscriptions and their grants, one query each.
    func contexts(
        of externalIDs: Set<String>, catalog: Catalog, revision: Int64, policy: AccessPolicy, at now: Date, on connection: any SQLConnection
    ) throws -> [String: Context] {
        let clock = ContinuousClock.now
        var result: [String: Context] = [:]
        var missing: [String] = []
        var knownIDs: [String: String] = [:]
        let generation = state.read { state in
            for externalID in externalIDs {
                if let cached = state.entries[externalID], cached.expires > clock, cached.revision == revision {
                    result[externalID] = cached
                } else {
                    missing.append(externalID)
                    if let id = state.customerIDs[externalID] { knownIDs[externalID] = id }
                }
            }
            return state.generation
        }
        guard !missing.isEmpty else { return result }
        let unknown = missing.filter { knownIDs[$0] == nil }
        if !unknown.isEmpty { knownIDs.merge(try CustomerRepository.ids(externalIDs: unknown, on: connection)) { first, _ in first } }
        let present = missing.filter { knownIDs[$0] != nil }
        guard !present.isEmpty else { return result }
        let subscriptions = try SubscriptionRepository.current(externalIDs: present, on: connection)
        let grants = try GrantRepository.grants(customerIDs: present.compactMap { knownIDs[$0] }, on: connection)
        var loaded: [String: Context] = [:]
        for externalID in present {
            let customerID = knownIDs[externalID]!
            let subscription = subscriptions[externalID]?.state
            let theirGrants = grants[customerID] ?? []
            let input = Context.input(catalog: catalog, subscription: subscription, grants: theirGrants, policy: policy, at: now)
            loaded[externalID] = Context(
                customerID: customerID, subscription: subscription, grants: theirGrants, revision: revision, evaluatedAt: now,
                validUntil: input.nextChange, entitlements: Evaluator.evaluate(input), expires: clock + ttl)
        }
        state.write { state in
            if state.customerIDs.count + loaded.count > capacity { state.customerIDs.removeAll(keepingCapacity: true) }
            for (externalID, context) in loaded { state.customerIDs[externalID] = context.customerID }
            guard ttl > .zero, state.generation == generation else { return }
            if state.entries.count + loaded.count > capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries.merge(loaded) { _, new in new }
        }
        result.merge(loaded) { _, new in new }
        return result
    }

    /// Forgets the customer's context (not their id) after a change to what they may do.
    package func invalidate(_ externalID: String) {
        state.write { state in
            state.generation &+= 1
            state.entries.removeValue(forKey: externalID)
        }
    }

    package func invalidateAll() {
        state.write { state in
            state.generation &+= 1
            state.entries.removeAll()
        }
    }
}
