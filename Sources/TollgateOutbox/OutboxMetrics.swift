import TollgateBase
import TollgateMail

/// The outbox worker's figures, counted in process: each mail's outcome and each provider call's
/// latency. (The backlog is read from the store: ``OutboxStore/backlog()``.)
struct OutboxMetrics: Sendable {
    private let sent: Counter
    private let retried: Counter
    private let dead: Counter
    private let suppressed: Counter
    private let deferred: Counter
    /// `tollgate_mail_send_duration_seconds{provider,result}`.
    private let sends: HistogramFamily
    /// The transport's name: smtp, postmark or file.
    let provider: String

    init(_ metrics: MetricsRegistry, transport: MailTransportConfiguration) {
        let family = metrics.counter(
            "tollgate_outbox_mail_total",
            help: "Mail this instance's outbox worker finished with, by outcome: sent, retried (a failed attempt to be retried), "
                + "dead (failed for good), suppressed (recipient on the suppression list), deferred (recipient over its cap; put back)",
            labels: ["outcome"])
        sent = family.counter("sent")
        retried = family.counter("retried")
        dead = family.counter("dead")
        suppressed = family.counter("suppressed")
        deferred = family.counter("deferred")
        sends = metrics.histogram(
            "tollgate_mail_send_duration_seconds",
            help: "Time this instance's outbox took to hand one mail to the provider, by provider (smtp, postmark, file) and result (ok, error)",
            labels: ["provider", "result"])
        provider = switch transport {
        case .smtp: "smtp"
        case .postmark: "postmark"
        case .file: "file"
        }
    }

    /// Adds what one mail's turn did.
    func add(_ report: OutboxWorker.Report) {
        for (counter, amount) in [(sent, report.sent), (retried, report.retried), (dead, report.dead), (suppressed, report.suppressed),
                                  (deferred, report.deferred)] where amount > 0 {
            counter.increment(by: UInt64(amount))
        }
    }

    /// Records one call to the provider.
    func send(took duration: Duration, ok: Bool) {
        sends.histogram(provider, ok ? "ok" : "error").observe(duration)
    }
}
