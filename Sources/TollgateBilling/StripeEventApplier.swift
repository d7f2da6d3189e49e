package import Foundation
import Dispatch
import Synchronization
import TollgateEntitlements
package import TollgateLogging
package import TollgateStore
package import TollgateStripe
package import TollgateBase

/// Applies stored Stripe events exactly once, each Stripe customer's in order (oldest `created`
/// first), behind an ordering guard, with retries — in lanes, several events per transaction.
///
/// * **Lanes**: each round lists the due pending events oldest `created` first (with payloads, one
///   query) and deals them to ``Options/workers`` lanes by their Stripe customer
///   (``laneKey(_:)``: the customer itself, or the subscription's, invoice's, session's,
///   summary's `customer`), so one customer's events — of all its objects — stay in one lane, in
///   order; lanes run at once on their own connections (PostgreSQL, at most half the pool; SQLite
///   has one writer and one lane). Lanes of different customers may interleave: the ordering
///   guard and the subscription precedence are what already made two appliers safe.
/// * **Batches**: a lane applies up to ``Options/batchSize`` events per transaction: one claim
///   for all of them (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so another applier passes them over;
///   SQLite's write transaction is the single writer), the ordering guard's objects held and read
///   in one statement (``StripeObjectVersions/Batch``), the subscription events' customers'
///   current subscriptions and last history entries read once, each event's guard (in memory) and
///   effect, then the effects' subscription rows, history entries, events and due marks (held by
///   ``DeferredWrites``), the new object versions and every outcome, each kind in one statement. Effects and status changes commit together, so an event
///   is applied exactly once, and a crash before commit leaves the whole batch pending. An event
///   that throws rolls its batch back; the events before it are applied again in a transaction
///   of their own, its attempt is recorded, and the events after it follow (no savepoints: a
///   failure costs one re-run of its batch's head, not a round trip per event).
/// * **Never waiting for the scheduler**: a batch locks its subscription events' customers in one
///   statement (``StripeEventBatchMemo/customers``), then their event sequences, passing over those
///   another transaction holds (the entitlement scheduler claims a customer's sequence for the
///   length of its evaluation): such a customer's events — and every later one of its lane key in
///   the round — stay pending for a later round (``Deferral``) instead of waiting for it.
/// * **Ordering guard**: for object-state events (subscriptions, customers, entitlement summaries,
///   and invoice events per subscription's grace clock: ``StripeEventHandlers/graceClockKey(_:)``)
///   `stripe_object_versions` holds the `created` of the newest event applied to each object. An
///   older event is marked applied with a `stale` note and changes nothing. Two events of one
///   object in the same second cannot be ordered by `created` (Stripe's only clock on an event):
///   when Stripe is configured and the object can be re-fetched
///   (``StripeEventHandlers/refetchable``), the second one is applied with Stripe's current object
///   instead of its own, which is right whatever the order; otherwise it applies as it is.
/// * **Customers from Stripe**: a subscription event whose customer Tollgate cannot resolve
///   locally (no link, no record of the subscription, no metadata `tollgate_customer`) gets its
///   `customer` expanded from Stripe (`GET /v1/customers/{id}`), so the customer's metadata
///   resolves it instead of waiting for a link that may never come.
/// * **Retries**: a handler that throws rolls back; the event is retried after an exponential
///   backoff with jitter, and marked `failed` after ``Options/maxAttempts`` attempts.
/// * Unknown types are marked `ignored`; an event rendered at an API version Tollgate does not read
///   (``StripeAPIVersion``) is stored as `unsupported_version` and not applied.
///
/// A lost lock race (a deadlock between lanes over a Tollgate customer linked to two Stripe
/// customers) retries the batch one event per transaction. Runs on its own thread
/// (``start()``/``stop()``, lanes on threads of their own), or through ``applyPending(now:)``.
package final class StripeEventApplier: Sendable {
    package struct Options: Sendable {
        /// Attempts before an event is marked failed. Default 8.
        package var maxAttempts: Int = 8
        /// Delay after the first failure; doubled after each further one. Default 5 s.
        package var retryBase: TimeInterval = 5
        /// Longest delay between attempts. Default 1 hour.
        package var retryCap: TimeInterval = 3600
        /// How often the worker looks for due events when not woken. Default 1 s.
        package var pollInterval: Duration = .seconds(1)
        /// Events applied per transaction by a lane. Default 100.
        package var batchSize: Int = 100
        /// Lanes that apply at once, each its own Stripe customers' events (PostgreSQL, at most
        /// half the pool; SQLite has one writer and always uses one). Default 4.
        package var workers: Int = 4

        package init(maxAttempts: Int = 8, retryBase: TimeInterval = 5, retryCap: TimeInterval = 3600,
                    pollInterval: Duration = .seconds(1), batchSize: Int = 100, workers: Int = 4) {
            self.maxAttempts = maxAttempts
            self.retryBase = retryBase
            self.retryCap = retryCap
            self.pollInterval = pollInterval
            self.batchSize = max(1, batchSize)
            self.workers = max(1, workers)
        }

        /// The delay before attempt `made + 1` (``Backoff``).
        func delay(afterAttempts made: Int) -> TimeInterval {
            Backoff.delay(afterAttempts: made, base: retryBase, cap: retryCap)
        }
    }

    /// What one ``applyPending(now:)`` did.
    package struct Report: Sendable, Equatable {
        package var applied = 0
        /// Applied as stale: older than what the object last saw.
        package var stale = 0
        package var ignored = 0
        /// Held as `unsupported_version` (an API version Tollgate does not read).
        package var held = 0
        /// Failed attempts that will be retried.
        package var retried = 0
        /// Events that ran out of attempts.
        package var failed = 0

        package init() {}

        package var total: Int { applied + stale + ignored + held + retried + failed }

        mutating func add(_ other: Report) {
            applied += other.applied
            stale += other.stale
            ignored += other.ignored
            held += other.held
            retried += other.retried
            failed += other.failed
        }
    }

    private let database: any Database
    private let store: StripeEventStore
    private let handlers: [String: StripeEventHandler]
    /// Stripe, when configured: re-fetches objects (same-second ties) and customers.
    private let stripe: StripeClient?
    private let preparation: StripeEventPreparation
    private let didChange: @Sendable (String) -> Void
    private let logger: Logger
    private let options: Options
    private let threads: BackgroundThreads
    private let outcomes: StripeEventOutcomeCounters

    package init(
        database: any Database, options: Options = Options(), handlers: [String: StripeEventHandler] = StripeEventHandlers.all,
        stripe: StripeClient? = nil, signal: WorkSignal = WorkSignal(), logger: Logger = .disabled,
        didChange: @escaping @Sendable (String) -> Void = { _ in }, metrics: MetricsRegistry = MetricsRegistry()
    ) {
        outcomes = StripeEventOutcomeCounters(metrics)
        self.database = database
        self.store = StripeEventStore(database: database)
        self.options = options
        self.handlers = handlers
        self.stripe = stripe
        preparation = StripeEventPreparation(database: database, stripe: stripe, handlers: handlers)
        threads = BackgroundThreads(name: "stripe-event-applier", count: 1, signal: signal, pollInterval: options.pollInterval)
        self.logger = logger
        self.didChange = didChange
    }

    private var isStopping: Bool { threads.isStopping }

    /// Applies every event due at `now` (default: the clock) until none is left (or ``stop()``).
    ///
    /// Each round lists up to ``Options/batchSize`` × lanes due events, oldest `created` first,
    /// and deals them to the lanes by their Stripe customer (``laneKey(_:)``): every event of one
    /// customer (of its subscriptions, invoices, …) goes to one lane, which applies them in order,
    /// several per transaction (``Options/batchSize``). The lanes run at once, each on its own
    /// connection (PostgreSQL; SQLite has one writer, so one lane).
    @discardableResult
    package func applyPending(now: Date? = nil) throws -> Report {
        var report = Report()
        let lanes = laneCount
        var clocks = Array(repeating: EffectClock(fixed: now), count: lanes)
        var waits = 0
        while !isStopping {
            let due = Self.parse(try store.dueEvents(limit: options.batchSize * lanes, now: now ?? Date()), threads: lanes)
            var dealt = Array(repeating: [DueEvent](), count: lanes)
            for event in due { dealt[Self.lane(of: event, among: lanes)].append(event) }
            let results = Mutex(Array(repeating: LaneResult?.none, count: lanes))
            Self.concurrently(lanes) { [self, dealt, clocks] lane in
                var laneReport = Report()
                var clock = clocks[lane]
                var deferral = Deferral()
                let outcome: Result<Void, any Error>
                do {
                    try applyLane(dealt[lane], clock: &clock, deferral: &deferral, into: &laneReport)
                    outcome = .success(())
                } catch {
                    outcome = .failure(error)
                }
                results.withLock { $0[lane] = LaneResult(report: laneReport, clock: clock, deferred: deferral.count, outcome: outcome) }
            }
            var failure: (any Error)?
            let before = report.total
            var deferred = 0
            for (lane, result) in results.withLock({ $0 }).enumerated() {
                guard let result else { continue }
                report.add(result.report)
                outcomes.add(result.report)
                clocks[lane] = result.clock
                deferred += result.deferred
                if case .failure(let error) = result.outcome, failure == nil { failure = error }
            }
            if let failure { throw failure }
            if deferred > 0 {
                // Events left for a customer another transaction holds (the scheduler evaluating
                // it): listed again; when nothing else was due, after a moment (at most a second
                // of them: then the next turn).
                if report.total > before { waits = 0; continue }
                waits += 1
                if waits > 200 { break }
                Thread.sleep(forTimeInterval: 0.005)
                continue
            }
            if due.count < options.batchSize * lanes || report.total == before { break }
        }
        return report
    }

    /// How many lanes apply at once: ``Options/workers`` on PostgreSQL, but at most half the
    /// pool's connections (the rest stay for the API); one on SQLite, which has one writer.
    package var laneCount: Int {
        guard database.dialect == .postgres else { return 1 }
        return max(1, min(options.workers, database.statistics().maximum / 2))
    }

    /// A due event as listed: its payload, parsed (nil when it does not parse: the single path
    /// records the failure).
    struct DueEvent: Sendable {
        let id: String
        let payload: String
        let event: WebhookEvent?
    }

    /// The listed events parsed, on `threads` threads.
    private static func parse(_ listed: [(id: String, payload: String)], threads: Int) -> [DueEvent] {
        let threads = listed.count < 2 * threads ? 1 : threads
        let parsed = Mutex([[DueEvent]](repeating: [], count: threads))
        let share = (listed.count + threads - 1) / threads
        concurrently(threads) { slice in
            let part = listed[min(listed.count, slice * share)..<min(listed.count, (slice + 1) * share)].map { row in
                DueEvent(
                    id: row.id, payload: row.payload,
                    event: try? WebhookEvent(json: Array(row.payload.utf8)))
            }
            parsed.withLock { $0[slice] = part }
        }
        return parsed.withLock { $0.flatMap { $0 } }
    }

    private struct LaneResult: Sendable {
        var report: Report
        var clock: EffectClock
        /// Events left pending for a later round (``Deferral``).
        var deferred: Int
        var outcome: Result<Void, any Error>
    }

    /// A lane's events left for a later round, because the event sequence of their customer was
    /// held by another transaction (the entitlement scheduler evaluating the customer, which
    /// claims it with `SKIP LOCKED` for the length of its transaction): the lane passes them over
    /// instead of waiting, and with them every later event of the same ``laneKey(_:)`` in the round,
    /// so a customer's order holds. They stay pending (never marked), listed again next round.
    private struct Deferral {
        var keys: Set<String> = []
        var count = 0
    }

    /// The key that picks an event's lane: its Stripe customer — the object itself for customer
    /// events, else the object's `customer` (or `customer_account`) — so a customer's events keep
    /// their order, across objects too (a checkout's link before the subscription it pays). An
    /// event that names no customer goes by its object (else its own id).
    static func laneKey(_ event: WebhookEvent) -> String {
        if event.object.objectType == "customer", let id = event.objectID { return id }
        return StripeSubscriptionMirror.stripeCustomerID(of: event.object) ?? event.objectID ?? event.id
    }

    /// The lane of `event` among `count`: a stable hash (FNV-1a) of its ``laneKey(_:)``.
    static func lane(of due: DueEvent, among count: Int) -> Int {
        guard count > 1 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (due.event.map(laneKey) ?? due.id).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }

    /// Runs `body(lane)` for every lane at once: lane 0 on the calling thread, the others on
    /// threads of their own (blocking store calls stay off Swift's concurrency pool); returns when
    /// all have.
    private static func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 1 else { return body(0) }
        let group = DispatchGroup()
        let trace = TraceContext.current
        for lane in 1..<count {
            group.enter()
            let thread = Thread {
                TraceContext.$current.withValue(trace) { body(lane) }
                group.leave()
            }
            thread.name = "stripe-event-applier-lane-\(lane)"
            thread.start()
        }
        body(0)
        group.wait()
    }

    /// Applies one lane's events in order, ``Options/batchSize`` per transaction, passing over
    /// those of a customer deferred earlier in the round (``Deferral``).
    private func applyLane(_ events: [DueEvent], clock: inout EffectClock, deferral: inout Deferral, into report: inout Report) throws {
        var start = events.startIndex
        while start < events.endIndex, !isStopping {
            let end = min(start + options.batchSize, events.endIndex)
            var batch: [Item] = []
            for due in events[start..<end] {
                if let delivered = due.event, deferral.keys.contains(Self.laneKey(delivered)) {
                    deferral.count += 1
                    continue
                }
                let now = clock.next()
                guard let delivered = due.event, let prepared = try prepare(delivered, id: due.id) else {
                    // Unreadable, or its preparation failed: the single path records why, after the
                    // events before it.
                    try applyBatch(batch, deferral: &deferral, into: &report)
                    batch = []
                    _ = try applyOne(id: due.id, now: now, into: &report)
                    continue
                }
                batch.append(Item(id: due.id, delivered: delivered, prepared: prepared, now: now))
            }
            try applyBatch(batch, deferral: &deferral, into: &report)
            start = end
        }
    }

    /// One event of a batch: as stored, as prepared, and the instant its effect is stamped with.
    private struct Item {
        let id: String
        let delivered: WebhookEvent
        let prepared: Prepared
        let now: Date
    }

    /// The event as ``StripeEventPreparation`` prepares it; nil when that failed with anything but
    /// a store outage (the single path then retries the preparation and records the failure).
    private func prepare(_ delivered: WebhookEvent, id: String) throws -> Prepared? {
        do {
            let prepared = try preparation.prepare(delivered)
            return (prepared.event, prepared.current)
        } catch {
            if let store = error as? StoreError, store.isTransient { throw store }
            return nil
        }
    }

    /// Why a batch's transaction was rolled back before its end: the event at `index` failed
    /// (`error`: that was its attempt), or met a same-second tie (nil: the single path re-fetches it).
    private struct BatchInterrupted: Error {
        let index: Int
        let error: (any Error)?
    }

    /// Applies `items` in one transaction: claims those still pending
    /// (``StripeEventStore/claim(ids:now:on:)``), applies each in order and records every outcome
    /// together. An event that throws rolls the whole transaction back; the events before it are
    /// then applied again in a transaction of their own, its failed attempt is recorded (or its
    /// same-second tie takes the single path, which re-fetches it), and the events after it
    /// follow — so a failing event never undoes or repeats another. The subscription events'
    /// customers are locked at the start, and so are their event sequences, passing over those
    /// another transaction holds: their events are deferred (``Deferral``), never waited for.
    private func applyBatch(_ items: [Item], deferral: inout Deferral, into report: inout Report) throws {
        guard !items.isEmpty, !isStopping else { return }
        let canRefetch = stripe != nil
        let done: [(index: Int, outcome: Outcome)]
        let deferredHere: Deferral
        do {
            (done, deferredHere) = try database.transaction { connection in
                let memo = StripeEventBatchMemo()
                let claimed = try StripeEventStore.claim(ids: items.map(\.id), now: items[0].now, on: connection)
                // The ordering guard's objects first (as an event on its own takes its object before
                // its customer), then the customers.
                memo.versions = try StripeObjectVersions.Batch(
                    objects: items.compactMap { item in
                        guard claimed.contains(item.id) else { return nil }
                        let event = item.prepared.event.flatMap { $0.id == item.delivered.id ? $0 : nil } ?? item.delivered
                        return handlers[event.type]?.orderingKey(event)
                    }, on: connection)
                memo.customers = try CustomerRepository.lock(
                    stripeCustomerIDs: items.compactMap { item in
                        guard claimed.contains(item.id), StripeEventHandlers.subscriptionTypes.contains(item.delivered.type) else { return nil }
                        return StripeSubscriptionMirror.stripeCustomerID(of: (item.prepared.event ?? item.delivered).object)
                    }, on: connection)
                let free = try DomainEvents.claimSequences(customerIDs: memo.customers.values.map(\.id), on: connection)
                let busy = Set(memo.customers.filter { free[$0.value.id] == nil }.keys)
                let held = memo.customers.values.filter { free[$0.id] != nil }
                memo.subscriptions = try SubscriptionRepository.current(externalIDs: held.map(\.externalID), locking: true, on: connection)
                // Their events, history entries and due marks are numbered and held here, written
                // once before the outcomes.
                memo.deferred = DeferredWrites(
                    sequences: free, history: try SubscriptionRepository.lastHistory(customerIDs: held.map(\.id), on: connection))
                var deferred = Deferral()
                var done: [(index: Int, outcome: Outcome)] = []
                var finished: [StripeEventStore.Finish] = []
                for (index, item) in items.enumerated() where claimed.contains(item.id) {
                    let key = Self.laneKey(item.delivered)
                    if deferred.keys.contains(key) || (!busy.isEmpty && StripeEventHandlers.subscriptionTypes.contains(item.delivered.type)
                        && StripeSubscriptionMirror.stripeCustomerID(of: (item.prepared.event ?? item.delivered).object).map(busy.contains) == true) {
                        deferred.keys.insert(key)
                        deferred.count += 1
                        continue
                    }
                    let outcome: Outcome
                    do {
                        outcome = try applyClaimed(
                            item.delivered, id: item.id, prepared: item.prepared, canRefetch: canRefetch && !item.prepared.current,
                            memo: memo, on: connection, now: item.now)
                    } catch {
                        if let store = error as? StoreError, store.isTransient { throw store }
                        throw BatchInterrupted(index: index, error: error is SameSecondTie ? nil : error)
                    }
                    done.append((index, outcome))
                    switch outcome {
                    case .held: break  // its status is written already
                    case .ignored: finished.append(.init(id: item.id, status: .ignored, note: "unhandled type", at: item.now))
                    case .stale(let note): finished.append(.init(id: item.id, status: .applied, note: note, at: item.now))
                    case .applied(let effect): finished.append(.init(id: item.id, status: .applied, note: effect.note, at: item.now))
                    }
                }
                try memo.flush(on: connection)
                try memo.versions?.flush(on: connection)
                try StripeEventStore.finish(finished, on: connection)
                return (done, deferred)
            }
        } catch {
            if let interrupted = error as? BatchInterrupted {
                let index = interrupted.index
                try applyBatch(Array(items[..<index]), deferral: &deferral, into: &report)
                guard !isStopping else { return }
                if deferral.keys.contains(Self.laneKey(items[index].delivered)) {
                    // Its customer's earlier event was deferred in the re-run: it waits too.
                    deferral.count += 1
                } else if let failure = interrupted.error {
                    _ = try recordFailure(failure, id: items[index].id, now: items[index].now, into: &report)
                } else {
                    _ = try applyOne(id: items[index].id, now: items[index].now, into: &report)
                }
                let rest = items[(index + 1)...].filter { !deferral.keys.contains(Self.laneKey($0.delivered)) }
                deferral.count += items.count - index - 1 - rest.count
                try applyBatch(rest, deferral: &deferral, into: &report)
                return
            }
            if items.count > 1, let store = error as? StoreError, store.code == .serializationFailure {
                // Lost a race (a deadlock with another writer): one event per transaction instead.
                for item in items where !isStopping {
                    if deferral.keys.contains(Self.laneKey(item.delivered)) {
                        deferral.count += 1
                    } else {
                        _ = try applyOne(id: item.id, now: item.now, into: &report)
                    }
                }
                return
            }
            throw error
        }
        deferral.keys.formUnion(deferredHere.keys)
        deferral.count += deferredHere.count
        for (index, outcome) in done {
            record(outcome, id: items[index].id, into: &report)
        }
    }

    /// Counts a committed outcome, and tells of the customers whose entitlements it changed.
    private func record(_ outcome: Outcome, id: String, into report: inout Report) {
        switch outcome {
        case .ignored: report.ignored += 1
        case .held: report.held += 1
        case .stale: report.stale += 1
        case .applied(let effect):
            report.applied += 1
            for customer in Set(effect.customers) { didChange(customer) }
        }
    }

    /// The time each event's effect is stamped with: the fixed instant or the clock, but always
    /// later than the previous event's (by a millisecond, the store's precision), so the history of
    /// events applied together keeps their order.
    private struct EffectClock: Sendable {
        let fixed: Date?
        var last = Date.distantPast

        mutating func next() -> Date {
            let candidate = fixed ?? Date()
            last = candidate > last.addingTimeInterval(0.001) ? candidate : last.addingTimeInterval(0.001)
            return last
        }
    }

    private enum Outcome {
        case applied(StripeEventEffect)
        case stale(String)
        case ignored
        /// Rendered at an API version Tollgate does not read: stored as `unsupported_version`.
        case held
    }

    /// Thrown out of an event's transaction (rolling it back) when the ordering guard met another
    /// event of the same object and second: the event is applied again with Stripe's current object.
    private struct SameSecondTie: Error {}

    /// Applies one event; false when it was no longer pending or another applier holds it.
    private func applyOne(id: String, now: Date, into report: inout Report) throws -> Bool {
        let outcome: Outcome?
        do {
            let prepared = try preparedEvent(id: id)
            do {
                outcome = try apply(id: id, prepared: prepared, now: now)
            } catch is SameSecondTie {
                outcome = try apply(id: id, prepared: try refetched(prepared), now: now)
            }
        } catch let error as StoreError where error.isTransient {
            throw error  // the store is down: leave the event as it is and let the caller retry later
        } catch {
            return try recordFailure(error, id: id, now: now, into: &report)
        }
        guard let outcome else { return false }
        record(outcome, id: id, into: &report)
        return true
    }

    /// After a failed attempt (its transaction rolled back): schedules the retry or marks the event
    /// failed, and logs it. False when the event was no longer pending.
    private func recordFailure(_ error: any Error, id: String, now: Date, into report: inout Report) throws -> Bool {
        let message = String(describing: error)
        let status = try store.recordFailure(
            id: id, error: message, maxAttempts: options.maxAttempts, delay: options.delay(afterAttempts:), now: now)
        if status == .failed {
            report.failed += 1
            logger.warning("stripe event failed for good", ["event": id, "error": message])
        } else if status == .pending {
            report.retried += 1
            logger.info("stripe event will be retried", ["event": id, "error": message])
        }
        return status != nil
    }

    /// The event as it will be applied, prepared outside any transaction (a network call must not
    /// hold the store's write lock): nil when it is applied as stored. `current` says its object is
    /// Stripe's current one (re-fetched), which the ordering guard lets through a same-second tie.
    private typealias Prepared = (event: WebhookEvent?, current: Bool)

    /// One event's transaction: claims it, passes the ordering guard, applies it and records the
    /// outcome; nil when it was no longer pending or another applier holds it.
    private func apply(id: String, prepared: Prepared, now: Date) throws -> Outcome? {
        let canRefetch = stripe != nil && !prepared.current
        return try database.transaction { connection -> Outcome? in
            guard let claimed = try StripeEventStore.claim(id: id, on: connection) else { return nil }
            let event: WebhookEvent
            do {
                event = try WebhookEvent(json: Array(claimed.payload.utf8))
            } catch {
                throw DomainError.invalid("payload", String(describing: error))
            }
            let outcome = try applyClaimed(event, id: id, prepared: prepared, canRefetch: canRefetch, on: connection, now: now)
            switch outcome {
            case .held: break
            case .ignored: try StripeEventStore.finish(id: id, status: .ignored, note: "unhandled type", on: connection, now: now)
            case .stale(let note): try StripeEventStore.finish(id: id, status: .applied, note: note, on: connection, now: now)
            case .applied(let effect): try StripeEventStore.finish(id: id, status: .applied, note: effect.note, on: connection, now: now)
            }
            return outcome
        }
    }

    /// Inside the transaction that claimed the event: holds it when its API version is unreadable,
    /// passes the ordering guard and applies it. The outcome's status is written by the caller
    /// (except a hold's). Throws ``SameSecondTie`` when the guard met another event of the same
    /// object and second and the object can be re-fetched (`canRefetch`).
    private func applyClaimed(
        _ delivered: WebhookEvent, id: String, prepared: Prepared, canRefetch: Bool, memo: StripeEventBatchMemo? = nil,
        on connection: any SQLConnection, now: Date
    ) throws -> Outcome {
        var event = delivered
        if try StripeEventStore.holdIfUnreadable(event, id: id, on: connection, now: now) != nil { return .held }
        if let replacement = prepared.event, replacement.id == event.id { event = replacement }
        guard let handler = handlers[event.type] else { return .ignored }
        // Any other kind of event may link, unlink or change a customer: the batch's customers are
        // read again after it.
        if !StripeEventHandlers.subscriptionTypes.contains(event.type) { try memo?.forgetCustomers(on: connection) }
        if let key = handler.orderingKey(event) {
            switch try memo?.versions?.order(event, object: key) ?? StripeObjectVersions.order(event, object: key, on: connection) {
            case .stale(let newer):
                return .stale("stale: \(key) already reflects \(newer), a newer event")
            case .sameSecond where canRefetch && StripeEventHandlers.refetchable[event.type] != nil:
                throw SameSecondTie()
            case .newest, .sameSecond:
                break
            }
        }
        return .applied(try handler.apply(event, StripeEventContext(connection: connection, now: now, batch: memo)))
    }

    /// The stored event as ``StripeEventPreparation`` prepares it; nil when it is no longer pending.
    private func preparedEvent(id: String) throws -> Prepared {
        guard let stored = try store.find(id: id), stored.record.status == .pending,
              let event = try? WebhookEvent(json: Array(stored.payload.utf8))
        else { return (nil, false) }
        let prepared = try preparation.prepare(event)
        return (prepared.event, prepared.current)
    }

    /// The prepared event with its object re-fetched from Stripe.
    private func refetched(_ prepared: Prepared) throws -> Prepared {
        guard let event = prepared.event, let current = try preparation.current(event) else { throw SameSecondTie() }
        return (current, true)
    }

    // MARK: The worker thread

    /// Starts the worker thread (once). It applies due events, then sleeps until an event arrives
    /// or ``Options/pollInterval`` passes. Store outages are logged and retried on the next turn.
    package func start() {
        threads.start { [self] _ in
            do {
                let report = try applyPending()
                if report.total > 0 {
                    logger.debug("stripe events processed", [
                        "applied": String(report.applied), "stale": String(report.stale), "ignored": String(report.ignored),
                        "retried": String(report.retried), "failed": String(report.failed),
                    ])
                }
            } catch {
                logger.warning("stripe event applier: store unavailable", ["error": String(describing: error)])
            }
            return false  // applyPending drained what was due: wait for the next event or the poll
        }
    }

    /// Asks the worker to stop after the batch in hand (each lane's; a batch is one transaction)
    /// and waits for it (at most `timeout`).
    package func stop(timeout: Duration = .seconds(30)) {
        threads.stop(timeout: timeout)
    }
}
