import Synchronization

/// What a ``MetricsRegistry`` holds: a named family that renders its series.
package protocol MetricFamily: AnyObject, Sendable {
    var name: String { get }
    func render(into text: inout PrometheusText)
}

/// The metrics one running service counts in process, rendered on `/metrics`.
///
/// Modules record through it without knowing the HTTP API: a component takes the registry (or the
/// families it needs) at construction and asks for its families by name; asking again for a name
/// returns the family made first, so several components (two Stripe clients, every outbox thread)
/// share one. Families render in the order they were first asked for.
///
/// Counts are per process (per instance): Prometheus adds the instances up. Figures every
/// instance should agree on (backlogs) are read from the store at scrape time instead.
///
/// ```swift
/// let calls = registry.counter("tollgate_stripe_requests_total", help: "…", labels: ["operation", "status"])
/// calls.increment("POST /v1/customers", "200")
/// ```
package final class MetricsRegistry: Sendable {
    private struct State {
        var families: [any MetricFamily] = []
        var byName: [String: any MetricFamily] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// The counter family `name` (ending in `_total`), made on first use.
    package func counter(_ name: String, help: String, labels: [String] = []) -> CounterFamily {
        family(name) { CounterFamily(name: name, help: help, labelNames: labels) }
    }

    /// The histogram family `name` (in base units: `_seconds`, `_bytes`), made on first use.
    package func histogram(
        _ name: String, help: String, labels: [String] = [], buckets: [Double] = HistogramFamily.latencyBuckets
    ) -> HistogramFamily {
        family(name) { HistogramFamily(name: name, help: help, labelNames: labels, bounds: buckets) }
    }

    private func family<Family: MetricFamily>(_ name: String, make: () -> Family) -> Family {
        state.withLock { state in
            if let existing = state.byName[name] {
                guard let family = existing as? Family else { preconditionFailure("metric \(name) registered twice with different types") }
                return family
            }
            let family = make()
            state.families.append(family)
            state.byName[name] = family
            return family
        }
    }

    /// Every family, in the Prometheus text format.
    package func prometheusText() -> String {
        var text = PrometheusText()
        render(into: &text)
        return text.text
    }

    /// Appends every family to `text`.
    package func render(into text: inout PrometheusText) {
        for family in state.withLock({ $0.families }) { family.render(into: &text) }
    }
}
