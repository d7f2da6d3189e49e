package import TollgateBase

/// Usage events by endpoint and outcome, counted in process:
/// `tollgate_usage_events_total{endpoint,outcome}`.
package struct UsageCounters: Sendable {
    /// The usage endpoints.
    package enum Endpoint: Int, Sendable, CaseIterable {
        /// `POST /v1/usage`.
        case single
        /// `POST /v1/usage/batch`.
        case batch
        /// `POST /v1/usage/consume`.
        case consume

        var label: String {
            switch self {
            case .single: "single"
            case .batch: "batch"
            case .consume: "consume"
            }
        }
    }

    /// Per endpoint: counted, duplicate, denied, refused.
    private let counters: [[Counter]]

    package init(_ metrics: MetricsRegistry) {
        let family = metrics.counter(
            "tollgate_usage_events_total",
            help: "Usage events this instance received, by endpoint (single, batch, consume) and outcome: counted, duplicate (a repeated "
                + "idempotency key; nothing counted), denied (consume over the quota; nothing counted), refused (an unknown customer or "
                + "feature; in a batch also a malformed event)",
            labels: ["endpoint", "outcome"])
        counters = Endpoint.allCases.map { endpoint in
            ["counted", "duplicate", "denied", "refused"].map { family.counter(endpoint.label, $0) }
        }
    }

    /// Counts one answered event.
    package func record(_ outcome: UsageOutcome, at endpoint: Endpoint) {
        let row = counters[endpoint.rawValue]
        (outcome.duplicate ? row[1] : outcome.allowed ? row[0] : row[2]).increment()
    }

    /// Counts events refused as input.
    package func refused(_ count: Int = 1, at endpoint: Endpoint) {
        if count > 0 { counters[endpoint.rawValue][3].increment(by: UInt64(count)) }
    }

    /// Counts a batch's answers.
    package func record(_ batch: UsageBatchResponse) {
        let row = counters[Endpoint.batch.rawValue]
        if batch.counted > 0 { row[0].increment(by: UInt64(batch.counted)) }
        if batch.duplicate > 0 { row[1].increment(by: UInt64(batch.duplicate)) }
        refused(batch.refused, at: .batch)
    }
}
