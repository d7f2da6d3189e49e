package import Foundation
import Synchronization
import Tollgate
import TollgateBase
package import TollgateEntitlements
package import TollgateLogging
package import TollgateStore
package import TollgateStripe

/// Exports the usage Tollgate counts of features billed per unit to Stripe as meter events
/// (docs/usage-billing.md; <https://docs.stripe.com/api/billing/meter-event/create>).
///
/// A pass, while this instance holds the store's lease (one exporter sends at a time, across
/// instances: Stripe's rate limit is per account, so one paced sender is the right shape):
///
/// 1. **Plan** (``UsageExportStore/plan(feature:holder:now:)``): counted usage of Stripe-linked
///    customers, per customer, feature and closed one-minute bucket of `recorded_at`, becomes rows
///    of `usage_exports` — each with its deterministic identifier and value, written before
///    anything is sent; usage that lands in a bucket already planned becomes the bucket's next seq
///    with only the difference.
/// 2. **Send** the pending rows, oldest first, paced at ``Options/eventsPerSecond``:
///    `POST /v1/billing/meter_events` with `event_name` (``StripeCatalogPush/meterEventName(_:)``),
///    `payload[stripe_customer_id]`, `payload[value]`, `timestamp` (the bucket's start) and
///    `identifier`, under an `Idempotency-Key` of (identifier, value). Before sending, a row whose
///    bucket's invoice has closed is marked `late` and one older than Stripe accepts `too_old`
///    (reported by `tollgate stripe usage status`, never sent). Stripe answering that it already
///    has the identifier counts as sent; another 400 marks the row `rejected` (reported, not
///    retried), except `no_meter` (run `plans push`), which stops the pass like any failure.
/// 3. A **failure** (no answer, 429, 5xx after the client's own retries) stops the pass: the rows
///    stay pending, and later passes resume from them after a growing pause (``Options/interval``
///    doubled per failed pass, at most ``Options/maximumBackoff``). A killed instance leaves the
///    same pending rows; whoever holds the lease next sends them with the same identifiers.
///
/// Each pass also forgets `sent` rows older than 40 days (``UsageExportStore/purgeSent(now:retentionDays:)``).
///
/// Calls block (the store, Stripe): they run on the worker's own thread.
package final class MeterEventExporter: BackgroundService {
    package struct Options: Sendable {
        package var rules: UsageExportRules
        /// The pace of meter events (Stripe allows 1,000 per second in live mode, fewer in test mode).
        package var eventsPerSecond: Double
        /// Seconds between passes.
        package var interval: Duration
        /// The longest pause after failed passes.
        package var maximumBackoff: Duration
        /// Pending rows read at a time; outcomes are written every `flushEvery` events.
        package var batchSize: Int
        package var flushEvery: Int

        package init(
            rules: UsageExportRules = UsageExportRules(), eventsPerSecond: Double = 200, interval: Duration = .seconds(30),
            maximumBackoff: Duration = .seconds(600), batchSize: Int = 500, flushEvery: Int = 100
        ) {
            self.rules = rules
            self.eventsPerSecond = eventsPerSecond
            self.interval = interval
            self.maximumBackoff = maximumBackoff
            self.batchSize = batchSize
            self.flushEvery = flushEvery
        }
    }

    /// What one pass did.
    package struct PassReport: Sendable, Equatable {
        /// False when another instance held the lease (nothing was done).
        package var held = true
        package var planned = 0
        package var sent = 0
        package var late = 0
        package var tooOld = 0
        package var rejected = 0
        /// Buckets where less was counted than already exported (reported by reconcile).
        package var overExported = 0
        /// Why the pass stopped early, if it did.
        package var failure: String?
    }

    package let store: UsageExportStore
    private let catalog: CatalogRepository
    private let stripe: StripeClient?
    private let options: Options
    private let holder: String
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let threads: BackgroundThreads
    private let backoff = Mutex<(failures: Int, until: ContinuousClock.Instant?)>((0, nil))

    /// `holder` names this exporter in the lease (one per instance; random by default).
    package init(
        database: any Database, catalog: CatalogRepository, stripe: StripeClient?, options: Options = Options(),
        holder: String = "exporter-" + UUID().uuidString.lowercased(), logger: Logger = .disabled, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        store = UsageExportStore(database: database, rules: options.rules)
        self.catalog = catalog
        self.stripe = stripe
        self.options = options
        self.holder = holder
        self.logger = logger
        self.clock = clock
        threads = BackgroundThreads(name: "meter-export", count: 1, pollInterval: options.interval)
    }

    /// One pass: plan, then send what is pending until done, stopped or failing.
    @discardableResult
    package func runOnce() throws -> PassReport {
        var report = PassReport()
        guard let stripe else { return report }
        let features = try catalog.load().billedFeatures
        guard try store.acquireLease(holder: holder, ttl: options.rules.leaseSeconds, now: clock()) else {
            report.held = false
            return report
        }
        for feature in features {
            guard let planned = try store.plan(feature: feature.key, holder: holder, now: clock()) else {
                report.held = false
                return report
            }
            report.planned += planned.planned
            report.overExported += planned.overExported
        }
        try store.purgeSent(now: clock())
        var pacer = Pacer(perSecond: options.eventsPerSecond)
        while !threads.isStopping {
            let batch = try store.pending(limit: options.batchSize)
            if batch.isEmpty { break }
            var outcomes: [(identifier: String, outcome: UsageExportStore.Outcome)] = []
            for event in batch {
                let outcome = send(event, stripe: stripe, pacer: &pacer)
                outcomes.append((event.identifier, outcome))
                switch outcome {
                case .sent: report.sent += 1
                case .late: report.late += 1
                case .tooOld: report.tooOld += 1
                case .rejected(let message):
                    report.rejected += 1
                    logger.warning("meter event rejected by Stripe", ["identifier": event.identifier, "customer": event.customerID, "error": message])
                case .failed(let message): report.failure = message
                }
                if report.failure != nil || threads.isStopping { break }
                if outcomes.count >= options.flushEvery {
                    try store.record(outcomes, now: clock())
                    outcomes = []
                    guard try store.acquireLease(holder: holder, ttl: options.rules.leaseSeconds, now: clock()) else {
                        report.held = false
                        return report
                    }
                }
            }
            try store.record(outcomes, now: clock())
            if report.failure != nil { break }
        }
        return report
    }

    /// Sends one event unless it is late or too old; its outcome.
    private func send(_ event: UsageExportStore.PendingEvent, stripe: StripeClient, pacer: inout Pacer) -> UsageExportStore.Outcome {
        let now = clock()
        if options.rules.isLate(bucketStart: event.bucketStart, periodStart: event.periodStart, now: now) { return .late }
        if options.rules.isTooOld(bucketStart: event.bucketStart, now: now) { return .tooOld }
        pacer.wait()
        do {
            _ = try stripe.post("/v1/billing/meter_events", [
                "event_name": .string(StripeCatalogPush.meterEventName(event.feature)), "identifier": .string(event.identifier),
                "timestamp": .integer(Int(event.bucketStart.timeIntervalSince1970)),
                "payload": ["stripe_customer_id": .string(event.stripeCustomerID), "value": .string(String(event.quantity))],
            ], operation: "meter_event:\(event.identifier):\(event.quantity)")
            return .sent
        } catch {
            let message = [error.code, error.message].compactMap { $0 }.joined(separator: ": ")
            switch (error.status, error.code) {
            case (_, "duplicate_meter_event"): return .sent
            case (_, "timestamp_too_far_in_past"): return .tooOld
            case (400, "no_meter"), (400, "archived_meter"): return .failed(message + " (run `tollgate plans push`)")
            case (400, _), (404, _): return .rejected(message)
            default: return .failed(message)
            }
        }
    }

    package func start() {
        threads.start { [self] _ in
            if let until = backoff.withLock({ $0.until }), ContinuousClock.now < until { return false }
            do {
                let report = try runOnce()
                if let failure = report.failure {
                    let pause = backoff.withLock { state -> Duration in
                        state.failures += 1
                        let pause = min(options.interval * (1 << min(state.failures, 16)), options.maximumBackoff)
                        state.until = ContinuousClock.now + pause
                        return pause
                    }
                    logger.warning("meter export paused after a failure", ["error": failure, "pause_s": String(Int(pause / .seconds(1)))])
                    return false
                }
                backoff.withLock { $0 = (0, nil) }
                if report.sent + report.late + report.tooOld + report.rejected > 0 {
                    logger.info("meter events exported", [
                        "sent": String(report.sent), "late": String(report.late), "too_old": String(report.tooOld), "rejected": String(report.rejected),
                    ])
                }
                return false
            } catch {
                logger.warning("meter export: store unavailable", ["error": String(describing: error)])
                return false
            }
        }
    }

    package func stop(timeout: Duration) {
        threads.stop(timeout: timeout)
        try? store.releaseLease(holder: holder)
    }
}

/// Spaces calls `1/perSecond` apart (a token bucket of one: no bursts).
struct Pacer {
    let spacing: Duration
    var next = ContinuousClock.now

    init(perSecond: Double) {
        spacing = perSecond > 0 ? .nanoseconds(Int64(1e9 / perSecond)) : .zero
    }

    mutating func wait() {
        let now = ContinuousClock.now
        if next > now {
            let (seconds, attoseconds) = (next - now).components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        }
        next = max(next, now) + spacing
    }
}
