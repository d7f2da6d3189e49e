package import Foundation
import Synchronization
import TollgateEntitlements
package import TollgateLogging
package import TollgateStore
package import TollgateStripe
package import TollgateBase

/// Applies stored Stripe events: each in its own transaction, exactly once, oldest `created` first,
/// behind an ordering guard, with retries.
///
/// * **Claim**: due pending events are listed oldest `created` first; each is then taken inside
///   its own transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several appliers never take
///   the same event; SQLite's write transaction is the single writer). The effect and the status
///   change commit together, so an event is applied exactly once, and a crash before commit leaves
///   it pending.
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
/// Runs on its own thread (``start()``/``stop()``), or synchronously through ``applyPending(now:)``.
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
        /// Events listed per claim. Default 100.
        package var batchSize: Int = 100

        package init(maxAttempts: Int = 8, retryBase: TimeInterval = 5, retryCap: TimeInterval = 3600,
                    pollInterval: Duration = .seconds(1), batchSize: Int = 100) {
            self.maxAttempts = maxAttempts
            self.retryBase = retryBase
            self.retryCap = retryCap
            self.pollInterval = pollInterval
            self.batchSize = batchSize
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

    package init(
        database: any Database, options: Options = Options(), handlers: [String: StripeEventHandler] = StripeEventHandlers.all,
        stripe: StripeClient? = nil, signal: WorkSignal = WorkSignal(), logger: Logger = .disabled,
        didChange: @escaping @Sendable (String) -> Void = { _ in }
    ) {
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

    /// Applies every event due at `now` (default: the clock), one transaction each, until none is
    /// left (or ``stop()``).
    @discardableResult
    package func applyPending(now: Date? = nil) throws -> Report {
        var report = Report()
        var clock = EffectClock(fixed: now)
        while !isStopping {
            let ids = try store.dueEventIDs(limit: options.batchSize, now: now ?? Date())
            var progressed = false
            for id in ids {
                if isStopping { break }
                if try applyOne(id: id, now: clock.next(), into: &report) { progressed = true }
            }
            if ids.count < options.batchSize || !progressed { break }
        }
        return report
    }

    /// The time each event's effect is stamped with: the fixed instant or the clock, but always
    /// later than the previous event's (by a millisecond, the store's precision), so the history of
    /// events applied together keeps their order.
    private struct EffectClock {
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
        switch outcome {
        case nil: return false
        case .ignored?: report.ignored += 1
        case .held?: report.held += 1
        case .stale?: report.stale += 1
        case .applied(let effect)?:
            report.applied += 1
            for customer in Set(effect.customers) { didChange(customer) }
        }
        return true
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
            var event: WebhookEvent
            do {
                event = try WebhookEvent(json: Array(claimed.payload.utf8))
            } catch {
                throw DomainError.invalid("payload", String(describing: error))
            }
            if try StripeEventStore.holdIfUnreadable(event, id: id, on: connection, now: now) != nil { return .held }
            if let replacement = prepared.event, replacement.id == event.id { event = replacement }
            guard let handler = handlers[event.type] else {
                try StripeEventStore.finish(id: id, status: .ignored, note: "unhandled type", on: connection, now: now)
                return .ignored
            }
            if let key = handler.orderingKey(event) {
                switch try StripeObjectVersions.order(event, object: key, on: connection) {
                case .stale(let newer):
                    let note = "stale: \(key) already reflects \(newer), a newer event"
                    try StripeEventStore.finish(id: id, status: .applied, note: note, on: connection, now: now)
                    return .stale(note)
                case .sameSecond where canRefetch && StripeEventHandlers.refetchable[event.type] != nil:
                    throw SameSecondTie()
                case .newest, .sameSecond:
                    break
                }
            }
            let effect = try handler.apply(event, StripeEventContext(connection: connection, now: now))
            try StripeEventStore.finish(id: id, status: .applied, note: effect.note, on: connection, now: now)
            return .applied(effect)
        }
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

    /// Asks the worker to stop after the event in hand and waits for it (at most `timeout`).
    package func stop(timeout: Duration = .seconds(30)) {
        threads.stop(timeout: timeout)
    }
}
