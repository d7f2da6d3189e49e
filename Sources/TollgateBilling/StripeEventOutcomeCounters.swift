import TollgateBase

/// The applier's outcomes, counted in process: `tollgate_stripe_events_processed_total{outcome}`.
struct StripeEventOutcomeCounters: Sendable {
    private let applied: Counter
    private let stale: Counter
    private let ignored: Counter
    private let held: Counter
    private let retried: Counter
    private let failed: Counter

    init(_ metrics: MetricsRegistry) {
        let family = metrics.counter(
            "tollgate_stripe_events_processed_total",
            help: "Stripe event outcomes of this instance's applier: applied, stale (applied, older than what the object last saw), "
                + "ignored (unhandled type), held (unsupported API version), retried (a failed attempt to be retried), failed (out of attempts)",
            labels: ["outcome"])
        applied = family.counter("applied")
        stale = family.counter("stale")
        ignored = family.counter("ignored")
        held = family.counter("held")
        retried = family.counter("retried")
        failed = family.counter("failed")
    }

    /// Adds what one lane's pass did.
    func add(_ report: StripeEventApplier.Report) {
        for (counter, amount) in [(applied, report.applied), (stale, report.stale), (ignored, report.ignored), (held, report.held),
                                  (retried, report.retried), (failed, report.failed)] where amount > 0 {
            counter.increment(by: UInt64(amount))
        }
    }
}
