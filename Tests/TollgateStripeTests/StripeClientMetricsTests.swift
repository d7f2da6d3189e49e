import Testing
import TollgateBase
import TollgateHTTPClient
import TollgateTestSupport
@testable import TollgateStripe

/// What a ``StripeClient`` counts: every attempt by operation and status, the retries, the latency.
@Suite struct StripeClientMetricsTests {
    @Test func operationsNameTheResourceAndHideIds() {
        let cases: [(HTTPClient.Method, String, String)] = [
            (.POST, "/v1/customers", "POST /v1/customers"),
            (.GET, "/v1/customers/cus_NffrFeUfNV2Hib", "GET /v1/customers/{id}"),
            (.POST, "/v1/payment_methods/pm_1Q0PsI/attach", "POST /v1/payment_methods/{id}/attach"),
            (.GET, "/v1/billing/meters/mtr_123/event_summaries?customer=cus_1", "GET /v1/billing/meters/{id}/event_summaries"),
            (.DELETE, "/v1/subscription_items/si_A1", "DELETE /v1/subscription_items/{id}"),
            (.GET, "/v1/customers/cus%2F1", "GET /v1/customers/{id}"),
        ]
        for (method, path, label) in cases {
            #expect(StripeClientMetrics.operation(method, path) == label, "\(path)")
        }
    }

    @Test func everyAttemptIsCountedWithItsStatusAndTheRetriesApart() throws {
        let fake = try FakeStripe([.error(500), .error(500), .ok()])
        let metrics = MetricsRegistry()
        _ = try fake.client(metrics: metrics).post("/v1/things", ["a": "1"], operation: "metrics")
        let requests = metrics.counter("tollgate_stripe_requests_total", help: "", labels: ["operation", "status"])
        #expect(requests.count("POST /v1/things", "500") == 2)
        #expect(requests.count("POST /v1/things", "200") == 1)
        #expect(metrics.counter("tollgate_stripe_request_retries_total", help: "", labels: ["operation"]).count("POST /v1/things") == 2)
        #expect(metrics.histogram("tollgate_stripe_request_duration_seconds", help: "", labels: ["operation"]).histogram("POST /v1/things").count == 3)
        let text = metrics.prometheusText()
        #expect(text.contains(#"tollgate_stripe_requests_total{operation="POST /v1/things",status="500"} 2"#))
        #expect(text.contains(#"tollgate_stripe_request_duration_seconds_count{operation="POST /v1/things"} 3"#))
    }

    @Test func noAnswerCountsAsError() throws {
        let port = try #require(FreePort.reserve())
        let metrics = MetricsRegistry()
        let client = StripeClient(
            configuration: StripeConfiguration(
                apiKey: StripeAPIKey("sk_test_fake"), baseURL: "http://127.0.0.1:\(port)", connectTimeout: .seconds(2), maxRetries: 1,
                initialRetryDelay: .milliseconds(1), maxRetryDelay: .milliseconds(2)),
            metrics: metrics)
        #expect(throws: StripeError.self) { try client.get("/v1/customers/cus_X1") }
        let requests = metrics.counter("tollgate_stripe_requests_total", help: "", labels: ["operation", "status"])
        #expect(requests.count("GET /v1/customers/{id}", "error") == 2)
        #expect(metrics.counter("tollgate_stripe_request_retries_total", help: "", labels: ["operation"]).count("GET /v1/customers/{id}") == 1)
    }
}
