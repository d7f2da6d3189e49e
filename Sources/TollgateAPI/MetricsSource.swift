import Foundation
import Synchronization
import TollgateBase
import TollgateBilling
import TollgateCore
import TollgateHTTPServer
import TollgateOutbox
import TollgateStore

/// Renders `/metrics`: the HTTP server's metrics, the process's (``ProcessMetrics``), what the
/// modules count in process (the services' ``MetricsRegistry``), the store pool's gauges, and the
/// backlogs read from the store at each scrape (so that every instance reports the same numbers):
/// Stripe events waiting or stuck, meter events, queued mail, and the age of the oldest waiting
/// Stripe event and mail.
final class MetricsSource: Sendable {
    private let services: Services
    private let usageExport: UsageExportStore
    private let http = Mutex<HTTPMetrics?>(nil)

    init(services: Services) {
        self.services = services
        usageExport = UsageExportStatus(services: services).store
    }

    func attach(_ metrics: HTTPMetrics) { http.withLock { $0 = metrics } }

    func render() -> String {
        var text = PrometheusText()
        http.withLock { $0 }?.render(into: &text)
        let process = ProcessMetrics.prometheusText()
        services.metrics.render(into: &text)
        renderPool(into: &text)
        // Read from the store; each family is left out when the store does not answer (/readyz
        // reports that).
        let now = services.clock.now()
        renderStripeEvents(into: &text, now: now)
        renderMeterEvents(into: &text)
        renderOutbox(into: &text, now: now)
        return text.text + process
    }

    private func renderPool(into text: inout PrometheusText) {
        let database = services.database
        let pool = database.statistics()
        let gauges: [(String, String, Int)] = [
            ("tollgate_store_pool_connections", "Open store connections", pool.size),
            ("tollgate_store_pool_idle_connections", "Store connections waiting in the pool", pool.idle),
            ("tollgate_store_pool_in_use_connections", "Store connections lent out", pool.inUse),
            ("tollgate_store_pool_waiting_threads", "Threads waiting for a store connection", pool.waiting),
            ("tollgate_store_pool_max_connections", "Most store connections the pool opens", pool.maximum),
        ]
        for (name, help, value) in gauges {
            text.family(name, .gauge, help: help)
            text.sample(name, [("backend", database.dialect.rawValue)], value)
        }
    }

    private func renderStripeEvents(into text: inout PrometheusText, now: Date) {
        let events = services.stripeEvents
        let counts: [StripeEventStatus: Int]
        let oldest: Date?
        do {
            counts = try events.watchedCounts()
            oldest = try events.oldestPendingReceivedAt()
        } catch {
            return
        }
        text.family(
            "tollgate_stripe_events", .gauge,
            help: "Stored Stripe events by status: pending (to apply: the webhook backlog), failed (gave up), unsupported_version "
                + "(rendered at a Stripe API version Tollgate does not read; held, not applied)")
        for status in StripeEventStore.watchedStatuses {
            text.sample("tollgate_stripe_events", [("status", status.rawValue)], counts[status] ?? 0)
        }
        text.family(
            "tollgate_stripe_events_oldest_pending_age_seconds", .gauge,
            help: "Seconds since the oldest pending Stripe event was received (0 when none is pending)")
        text.sample("tollgate_stripe_events_oldest_pending_age_seconds", [], Self.age(of: oldest, at: now))
    }

    private func renderMeterEvents(into text: inout PrometheusText) {
        guard let counts = try? usageExport.attentionCounts() else { return }
        text.family(
            "tollgate_meter_events", .gauge,
            help: "Meter events of usage billed by Stripe by state: pending (to send), late (their invoice had closed), too_old "
                + "(over 35 days), rejected (refused by Stripe); only pending ones are sent")
        for state in UsageExportStore.attentionStates {
            text.sample("tollgate_meter_events", [("state", state)], counts[state] ?? 0)
        }
    }

    private func renderOutbox(into text: inout PrometheusText, now: Date) {
        guard let backlog = try? services.outbox.backlog() else { return }
        text.family(
            "tollgate_outbox_messages", .gauge,
            help: "Mail in the outbox by status: pending (to send, retries included: the mail backlog), sending (claimed by a worker), "
                + "dead (failed for good; retry or purge it)")
        for (status, count) in [("dead", backlog.dead), ("pending", backlog.pending), ("sending", backlog.sending)] {
            text.sample("tollgate_outbox_messages", [("status", status)], count)
        }
        text.family(
            "tollgate_outbox_oldest_pending_age_seconds", .gauge, help: "Seconds since the oldest pending mail was queued (0 when none is pending)")
        text.sample("tollgate_outbox_oldest_pending_age_seconds", [], Self.age(of: backlog.oldestPendingCreatedAt, at: now))
    }

    /// Whole seconds from `instant` to `now`, never negative; 0 without an instant.
    static func age(of instant: Date?, at now: Date) -> Int {
        guard let instant else { return 0 }
        return max(0, Int(now.timeIntervalSince(instant).rounded(.down)))
    }
}
