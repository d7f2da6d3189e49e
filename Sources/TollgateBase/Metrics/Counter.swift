import Synchronization

/// One counter series (a family's series for one set of label values): a lock-free count.
///
/// Resolve it once (``CounterFamily/counter(_:)``) and keep it where a path counts often: an
/// increment is then one relaxed atomic add, with no lock, lookup or allocation.
package final class Counter: Sendable {
    private let value = Atomic<UInt64>(0)

    init() {}

    /// Adds `amount` (default 1).
    package func increment(by amount: UInt64 = 1) { value.wrappingAdd(amount, ordering: .relaxed) }

    /// The count so far.
    package var count: UInt64 { value.load(ordering: .relaxed) }
}

/// A counter with labels: one ``Counter`` per set of label values, made on first use.
package final class CounterFamily: MetricFamily {
    package let name: String
    package let help: String
    package let labelNames: [String]
    private let series = Mutex<[[String]: Counter]>([:])

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    /// The series for `labelValues` (one per label name, in order), made at first use.
    package func counter(_ labelValues: [String]) -> Counter {
        precondition(labelValues.count == labelNames.count, "\(name): \(labelNames.count) label values expected")
        return series.withLock { series in
            if let counter = series[labelValues] { return counter }
            let counter = Counter()
            series[labelValues] = counter
            return counter
        }
    }

    /// The series for `labelValues` (variadic).
    package func counter(_ labelValues: String...) -> Counter { counter(labelValues) }

    /// Adds `amount` to the series of `labelValues` (a lookup under a lock: for paths that count
    /// rarely; hot paths keep the ``Counter``).
    package func increment(_ labelValues: String..., by amount: UInt64 = 1) {
        counter(labelValues).increment(by: amount)
    }

    /// The count of one series (zero when it never counted).
    package func count(_ labelValues: String...) -> UInt64 {
        series.withLock { $0[labelValues] }?.count ?? 0
    }

    package func render(into text: inout PrometheusText) {
        text.family(name, .counter, help: help)
        let all = series.withLock { $0 }
        for values in all.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            text.sample(name, Array(zip(labelNames, values)), all[values]?.count ?? 0)
        }
    }
}
