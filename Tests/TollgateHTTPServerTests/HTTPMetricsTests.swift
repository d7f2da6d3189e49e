import Dispatch
import Testing
import TollgateBase
@testable import TollgateHTTPServer

@Suite struct HTTPMetricsTests {
    @Test func exposesCountersHistogramAndGauges() {
        let metrics = HTTPMetrics()
        metrics.record(method: "GET", route: "/v1/keys/{id}", status: 200, duration: .milliseconds(3))
        metrics.record(method: "GET", route: "/v1/keys/{id}", status: 200, duration: .milliseconds(30))
        metrics.record(method: "POST", route: "unmatched", status: 404, duration: .microseconds(100))
        metrics.connectionOpened()
        metrics.requestStarted()
        let text = metrics.prometheusText()
        #expect(text.contains("# TYPE tollgate_http_requests_total counter\n"))
        #expect(text.contains("tollgate_http_requests_total{method=\"GET\",route=\"/v1/keys/{id}\",status=\"200\"} 2\n"))
        #expect(text.contains("tollgate_http_requests_total{method=\"POST\",route=\"unmatched\",status=\"404\"} 1\n"))
        #expect(text.contains("# TYPE tollgate_http_request_duration_seconds histogram\n"))
        #expect(text.contains("tollgate_http_request_duration_seconds_bucket{route=\"/v1/keys/{id}\",le=\"0.0025\"} 0\n"))
        #expect(text.contains("tollgate_http_request_duration_seconds_bucket{route=\"/v1/keys/{id}\",le=\"0.005\"} 1\n"))
        #expect(text.contains("tollgate_http_request_duration_seconds_bucket{route=\"/v1/keys/{id}\",le=\"0.05\"} 2\n"))
        #expect(text.contains("tollgate_http_request_duration_seconds_bucket{route=\"/v1/keys/{id}\",le=\"+Inf\"} 2\n"))
        #expect(text.contains("tollgate_http_request_duration_seconds_count{route=\"/v1/keys/{id}\"} 2\n"))
        #expect(text.contains("tollgate_http_request_duration_seconds_bucket{route=\"unmatched\",le=\"0.0005\"} 1\n"))
        #expect(text.contains("tollgate_http_in_flight_requests 1\n"))
        #expect(text.contains("tollgate_http_open_connections 1\n"))
        #expect(metrics.requestCount(method: "GET", route: "/v1/keys/{id}", status: 200) == 2)
    }

    @Test func recordsFromManyThreadsAddUp() {
        let metrics = HTTPMetrics()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1000 {
                metrics.record(method: "GET", route: "/x", status: 200, duration: .milliseconds(1))
            }
        }
        #expect(metrics.requestCount(method: "GET", route: "/x", status: 200) == 8000)
        #expect(metrics.prometheusText().contains("tollgate_http_request_duration_seconds_count{route=\"/x\"} 8000\n"))
    }

    @Test func everyHelpLineHasAType() {
        let lines = HTTPMetrics().prometheusText().split(separator: "\n")
        let help = lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] }
        let type = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(help == type)
        #expect(help.count == 5)
    }

    @Test func labelValuesAreEscaped() {
        #expect(PrometheusText.escape(#"a"b\c"# + "\nd") == #"a\"b\\c\nd"#)
        #expect(PrometheusText.escape("/plain/{id}") == "/plain/{id}")
        let metrics = HTTPMetrics()
        metrics.record(method: "GET", route: "we\"ird", status: 200, duration: .zero)
        #expect(metrics.prometheusText().contains(#"route="we\"ird""#))
    }

    @Test func bucketBoundsArePrintedAsPrometheusDoes() {
        #expect(HTTPMetrics.latencyBuckets.map(PrometheusText.format) ==
            ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"])
    }
}
