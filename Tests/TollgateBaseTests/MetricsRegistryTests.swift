import Dispatch
import Testing
import TollgateBase

/// The registry every module counts in, and the text format it renders.
@Suite struct MetricsRegistryTests {
    @Test func countersRenderTheirSeriesSortedUnderHelpAndType() {
        let registry = MetricsRegistry()
        let calls = registry.counter("test_calls_total", help: "Calls, by outcome", labels: ["outcome"])
        calls.increment("ok")
        calls.increment("ok", by: 2)
        calls.increment("error")
        #expect(calls.count("ok") == 3 && calls.count("error") == 1 && calls.count("never") == 0)
        #expect(registry.prometheusText() == """
            # HELP test_calls_total Calls, by outcome
            # TYPE test_calls_total counter
            test_calls_total{outcome="error"} 1
            test_calls_total{outcome="ok"} 3

            """)
    }

    @Test func askingAgainForANameGivesTheSameFamily() {
        let registry = MetricsRegistry()
        registry.counter("test_total", help: "first", labels: ["a"]).increment("x")
        registry.counter("test_total", help: "second", labels: ["a"]).increment("x")
        #expect(registry.counter("test_total", help: "", labels: ["a"]).count("x") == 2)
        #expect(registry.prometheusText().split(separator: "\n").filter { $0 == "# TYPE test_total counter" }.count == 1)
    }

    @Test func histogramsAreCumulativeWithSumAndCount() {
        let registry = MetricsRegistry()
        let latency = registry.histogram("test_seconds", help: "Latency", labels: ["op"], buckets: [0.1, 1])
        let series = latency.histogram("get")
        series.observe(0.05)
        series.observe(.milliseconds(500))
        series.observe(3)
        #expect(series.count == 3)
        #expect(registry.prometheusText() == """
            # HELP test_seconds Latency
            # TYPE test_seconds histogram
            test_seconds_bucket{op="get",le="0.1"} 1
            test_seconds_bucket{op="get",le="1"} 2
            test_seconds_bucket{op="get",le="+Inf"} 3
            test_seconds_sum{op="get"} 3.55
            test_seconds_count{op="get"} 3

            """)
    }

    @Test func labelValuesAndHelpAreEscaped() {
        let registry = MetricsRegistry()
        registry.counter("test_total", help: "a \\ b\nc", labels: ["path"]).increment(#"we"ird\"# + "\n")
        let text = registry.prometheusText()
        #expect(text.contains(#"# HELP test_total a \\ b\nc"#))
        #expect(text.contains(#"test_total{path="we\"ird\\\n"} 1"#))
    }

    @Test func numbersAreWrittenAsPrometheusReadsThem() {
        #expect([0, 1, 2.5, 0.0005, 1e20, .infinity, -.infinity].map(PrometheusText.format) == ["0", "1", "2.5", "0.0005", "1e+20", "+Inf", "-Inf"])
        #expect(PrometheusText.format(.nan) == "NaN")
    }

    @Test func incrementsFromManyThreadsAddUp() {
        let registry = MetricsRegistry()
        let counter = registry.counter("test_total", help: "", labels: ["a"]).counter("x")
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { counter.increment() }
        }
        #expect(counter.count == 80_000)
    }
}
