/// Text in the Prometheus exposition format (version 0.0.4): `# HELP` and `# TYPE` lines, samples
/// with escaped label values, histograms with cumulative buckets. Every writer of `/metrics`
/// renders through it (``MetricsRegistry``, the HTTP server's metrics, the process's, the store's
/// gauges).
///
/// See <https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format>.
package struct PrometheusText: Sendable {
    /// The text written so far.
    package private(set) var text = ""

    package init() {}

    /// The `# HELP` and `# TYPE` lines that start a metric family.
    package mutating func family(_ name: String, _ type: MetricType, help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// One sample: `name{label="value",…} value`.
    package mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{"
            for (index, (label, labelValue)) in labels.enumerated() {
                if index > 0 { text += "," }
                text += label + "=\"" + Self.escape(labelValue) + "\""
            }
            text += "}"
        }
        text += " " + value + "\n"
    }

    package mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: UInt64) {
        sample(name, labels, String(value))
    }

    package mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Int) {
        sample(name, labels, String(value))
    }

    package mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        sample(name, labels, Self.format(value))
    }

    /// One histogram's series: a cumulative `_bucket` per bound (`counts` are per bucket, not
    /// cumulative; one more than `bounds` for `+Inf` is allowed), then `_sum` and `_count`.
    package mutating func histogram(
        _ name: String, _ labels: [(String, String)] = [], bounds: [Double], counts: [UInt64], sum: Double, count: UInt64
    ) {
        var cumulative: UInt64 = 0
        for (bound, bucket) in zip(bounds, counts) {
            cumulative += bucket
            sample(name + "_bucket", labels + [("le", Self.format(bound))], cumulative)
        }
        sample(name + "_bucket", labels + [("le", "+Inf")], count)
        sample(name + "_sum", labels, sum)
        sample(name + "_count", labels, count)
    }

    /// Escapes a label value: backslash, double quote and line feed.
    package static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return value }
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Escapes a `# HELP` text: backslash and line feed.
    static func escapeHelp(_ help: String) -> String {
        guard help.utf8.contains(where: { $0 == 0x5C || $0 == 0x0A }) else { return help }
        return help.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }

    /// A number as Prometheus clients write it: whole numbers without a fraction (`1`, `0`), others
    /// in the shortest form that reads back the same (`0.0005`, `2.5`); `+Inf`, `-Inf`, `NaN`.
    package static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// A metric family's type, as the `# TYPE` line writes it.
package enum MetricType: String, Sendable {
    case counter
    case gauge
    case histogram
}
