import Synchronization

/// One histogram series: counts of observations per bucket, their sum and number.
///
/// Behind a lock of its own (one per series): for paths that observe at most a few thousand times
/// a second (calls to Stripe, mail sent), not per-request hot paths.
package final class Histogram: Sendable {
    private struct State {
        var counts: [UInt64]
        var sum = 0.0
        var count: UInt64 = 0
    }

    let bounds: [Double]
    private let state: Mutex<State>

    init(bounds: [Double]) {
        self.bounds = bounds
        state = Mutex(State(counts: [UInt64](repeating: 0, count: bounds.count)))
    }

    /// Records one observation of `value` (in the family's base unit).
    package func observe(_ value: Double) {
        let bucket = bounds.firstIndex { value <= $0 }
        state.withLock { state in
            if let bucket { state.counts[bucket] += 1 }
            state.sum += value
            state.count += 1
        }
    }

    /// Records a duration, in seconds.
    package func observe(_ duration: Duration) { observe(duration.seconds) }

    /// Observations so far.
    package var count: UInt64 { state.withLock { $0.count } }

    func render(_ name: String, _ labels: [(String, String)], into text: inout PrometheusText) {
        let state = state.withLock { $0 }
        text.histogram(name, labels, bounds: bounds, counts: state.counts, sum: state.sum, count: state.count)
    }
}

/// A histogram with labels: one ``Histogram`` per set of label values, all with the same buckets.
package final class HistogramFamily: MetricFamily {
    /// Latency buckets for calls to another service, in seconds.
    package static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    package let name: String
    package let help: String
    package let labelNames: [String]
    package let bounds: [Double]
    private let series = Mutex<[[String]: Histogram]>([:])

    init(name: String, help: String, labelNames: [String], bounds: [Double]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.bounds = bounds
    }

    /// The series for `labelValues` (one per label name, in order), made at first use.
    package func histogram(_ labelValues: String...) -> Histogram {
        precondition(labelValues.count == labelNames.count, "\(name): \(labelNames.count) label values expected")
        return series.withLock { series in
            if let histogram = series[labelValues] { return histogram }
            let histogram = Histogram(bounds: bounds)
            series[labelValues] = histogram
            return histogram
        }
    }

    package func render(into text: inout PrometheusText) {
        text.family(name, .histogram, help: help)
        let all = series.withLock { $0 }
        for values in all.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            all[values]?.render(name, Array(zip(labelNames, values)), into: &text)
        }
    }
}
