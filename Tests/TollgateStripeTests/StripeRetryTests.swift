import Foundation
import Testing
import TollgateHTTPClient
import TollgateHTTPServer
import TollgateLogging
import TollgateStripe

/// Retry, backoff and idempotency-key behaviour against the scripted fake on a real socket.
@Suite struct StripeRetryTests {
    private let operation = "plans.push:pro:price:month:usd:4900"

    /// Every attempt carried the same Idempotency-Key (the operation's), the pinned version and the key.
    private func expectConsistentAttempts(_ fake: FakeStripe, count: Int, idempotent: Bool = true) {
        let attempts = fake.attempts
        #expect(attempts.count == count)
        let expectedKey = idempotent ? StripeClient.idempotencyKey(for: operation) : nil
        for attempt in attempts {
            #expect(attempt.headers["Idempotency-Key"] == expectedKey)
            #expect(attempt.headers["Stripe-Version"] == "2026-10-28.endive")
            #expect(attempt.headers["Authorization"] == "Bearer sk_test_fake")
        }
    }

    @Test func idempotencyKeyIsDeterministic() {
        let key = StripeClient.idempotencyKey(for: operation)
        #expect(key == StripeClient.idempotencyKey(for: operation))
        #expect(key.hasPrefix("tollgate-"))
        #expect(key.count == "tollgate-".count + 64)
        #expect(key != StripeClient.idempotencyKey(for: operation + "0"))
        // SHA-256("abc"), FIPS 180-2 test vector.
        #expect(StripeClient.idempotencyKey(for: "abc", prefix: "") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func postSendsFormBodyAndHeaders() throws {
        let fake = try FakeStripe([.ok()])
        let object = try fake.client().post("/v1/things", ["metadata": ["plan": "pro"], "items": [["price": "p 1"]]], operation: operation)
        #expect(object.id == "thing_1")
        expectConsistentAttempts(fake, count: 1)
        #expect(fake.attempts.first?.body == "metadata[plan]=pro&items[0][price]=p+1")
        #expect(fake.attempts.first?.headers["Content-Type"] == "application/x-www-form-urlencoded")
    }

    @Test func getSendsParametersInTheQueryAndNoIdempotencyKey() throws {
        let fake = try FakeStripe([.ok()])
        _ = try fake.client().get("/v1/things/thing_1", ["expand": ["customer"]])
        #expect(fake.attempts.first?.query == ["expand[0]": "customer"])
        expectConsistentAttempts(fake, count: 1, idempotent: false)
    }

    @Test func serverErrorThenSuccessIsRetriedWithTheSameKey() throws {
        let fake = try FakeStripe([.error(500), .ok()])
        _ = try fake.client().post("/v1/things", ["a": "1"], operation: operation)
        expectConsistentAttempts(fake, count: 2)
        #expect(Set(fake.attempts.map(\.body)) == ["a=1"])
    }

    @Test func conflictIsRetriedUpToTheCap() throws {
        let fake = try FakeStripe([.error(409, type: "invalid_request_error", code: "idempotency_key_in_use")])
        let error = #expect(throws: StripeError.self) { try fake.client().post("/v1/things", operation: operation) }
        expectConsistentAttempts(fake, count: 3)
        #expect(error?.status == 409)
        #expect(error?.attempts == 3)
        #expect(error?.idempotencyKey == StripeClient.idempotencyKey(for: operation))
    }

    @Test func lockTimeout429IsRetried() throws {
        let fake = try FakeStripe([.error(429, type: "invalid_request_error", code: "lock_timeout"), .ok()])
        _ = try fake.client().post("/v1/things", operation: operation)
        expectConsistentAttempts(fake, count: 2)
    }

    @Test func rateLimit429IsNotRetried() throws {
        let fake = try FakeStripe([.error(429, type: "invalid_request_error", code: "rate_limit"), .ok()])
        let error = #expect(throws: StripeError.self) { try fake.client().post("/v1/things", operation: operation) }
        expectConsistentAttempts(fake, count: 1)
        #expect(error?.code == "rate_limit")
    }

    @Test func shouldRetryFalseStopsA500() throws {
        let fake = try FakeStripe([.error(500, headers: ["Stripe-Should-Retry": "false"]), .ok()])
        let error = #expect(throws: StripeError.self) { try fake.client().post("/v1/things", operation: operation) }
        expectConsistentAttempts(fake, count: 1)
        #expect(error?.status == 500)
    }

    @Test func shouldRetryTrueRetriesA400() throws {
        let fake = try FakeStripe([.error(400, type: "invalid_request_error", headers: ["Stripe-Should-Retry": "true"]), .ok()])
        _ = try fake.client().post("/v1/things", operation: operation)
        expectConsistentAttempts(fake, count: 2)
    }

    @Test func plain400IsNotRetried() throws {
        let fake = try FakeStripe([.error(400, type: "invalid_request_error", code: "parameter_missing"), .ok()])
        #expect(throws: StripeError.self) { try fake.client().post("/v1/things", operation: operation) }
        expectConsistentAttempts(fake, count: 1)
    }

    @Test func getIsRetriedOn503() throws {
        let fake = try FakeStripe([.error(503), .error(502), .ok()])
        _ = try fake.client().get("/v1/things/thing_1")
        expectConsistentAttempts(fake, count: 3, idempotent: false)
    }

    @Test func noRetriesWhenConfiguredSo() throws {
        let fake = try FakeStripe([.error(503), .ok()])
        #expect(throws: StripeError.self) { try fake.client(maxRetries: 0).post("/v1/things", operation: operation) }
        expectConsistentAttempts(fake, count: 1)
    }

    @Test func slowAnswerTimesOutAndIsRetriedWithTheSameKey() throws {
        let fake = try FakeStripe([.init(status: 200, body: "{}", delay: 0.8), .init(status: 200, body: "{}", delay: 0.8)])
        let started = ContinuousClock.now
        let error = #expect(throws: StripeError.self) {
            try fake.client(maxRetries: 1, timeout: .milliseconds(200)).post("/v1/things", operation: operation)
        }
        #expect(ContinuousClock.now - started < .seconds(1.5))
        #expect(error?.kind == .connection)
        #expect(error?.transport?.code == .timedOut)
        #expect(error?.attempts == 2)
        expectConsistentAttempts(fake, count: 2)
    }

    @Test func refusedConnectionIsRetriedThenTyped() throws {
        let port = try {
            let fake = try FakeStripe()
            let port = fake.server.port
            fake.server.shutdown(timeout: .seconds(5))
            return port
        }()
        let client = StripeClient(configuration: StripeConfiguration(
            apiKey: StripeAPIKey("sk_test_fake"), baseURL: "http://127.0.0.1:\(port)", maxRetries: 2,
            initialRetryDelay: .milliseconds(1), maxRetryDelay: .milliseconds(2)))
        let error = #expect(throws: StripeError.self) { try client.get("/v1/things") }
        #expect(error?.kind == .connection)
        #expect(error?.transport?.code == .couldNotConnect)
        #expect(error?.attempts == 3)
    }

    @Test func retryAfterIsHonouredUpToTheCap() throws {
        let fake = try FakeStripe([.error(409, headers: ["Retry-After": "1"]), .ok()])
        let started = ContinuousClock.now
        _ = try fake.client(maxRetryAfter: .seconds(2)).post("/v1/things", operation: operation)
        #expect(ContinuousClock.now - started >= .seconds(1))
        expectConsistentAttempts(fake, count: 2)

        let ignored = try FakeStripe([.error(409, headers: ["Retry-After": "30"]), .ok()])
        let again = ContinuousClock.now
        _ = try ignored.client(maxRetryAfter: .seconds(2)).post("/v1/things", operation: operation)
        #expect(ContinuousClock.now - again < .seconds(1))
    }

    @Test func connectionIsReusedAcrossCalls() throws {
        let fake = try FakeStripe([.ok()])
        let client = fake.client()
        for _ in 0..<5 { _ = try client.get("/v1/things/thing_1") }
        #expect(fake.attempts.count == 5)
        #expect(fake.server.metrics.openConnections == 1)
    }
}

@Suite struct StripeRetryPolicyTests {
    let policy = StripeRetryPolicy(maxRetries: 3, initialDelay: .milliseconds(500), maxDelay: .seconds(5), maxRetryAfter: .seconds(60))

    @Test func backoffDoublesWithJitterBetweenHalfAndWhole() {
        #expect(policy.delay(beforeRetry: 1, jitter: 1) == .milliseconds(500))
        #expect(policy.delay(beforeRetry: 1, jitter: 0) == .milliseconds(500))  // never below the initial delay
        #expect(policy.delay(beforeRetry: 2, jitter: 1) == .seconds(1))
        #expect(policy.delay(beforeRetry: 2, jitter: 0) == .milliseconds(500))
        #expect(policy.delay(beforeRetry: 3, jitter: 1) == .seconds(2))
        #expect(policy.delay(beforeRetry: 3, jitter: 0) == .seconds(1))
        #expect(policy.delay(beforeRetry: 10, jitter: 1) == .seconds(5))
        #expect(policy.delay(beforeRetry: 10, jitter: 0) == .seconds(2.5))
        for _ in 0..<100 {
            let random = policy.delay(beforeRetry: 3)
            #expect(random >= .seconds(1) && random <= .seconds(2))
        }
    }

    @Test func retryAfterRaisesTheDelayUnlessOverTheCap() {
        #expect(policy.delay(beforeRetry: 1, retryAfter: "3", jitter: 1) == .seconds(3))
        #expect(policy.delay(beforeRetry: 1, retryAfter: "61", jitter: 1) == .milliseconds(500))
        #expect(policy.delay(beforeRetry: 1, retryAfter: "soon", jitter: 1) == .milliseconds(500))
    }

    @Test func decisionsFollowTheSDKs() {
        func retry(_ status: Int, _ header: String? = nil, _ code: String? = nil, after retries: Int = 0) -> Bool {
            policy.shouldRetry(status: status, shouldRetryHeader: header, errorCode: code, retriesSoFar: retries)
        }
        #expect(retry(409))
        #expect(retry(500) && retry(502) && retry(503) && retry(504))
        #expect(retry(429, nil, "lock_timeout"))
        #expect(!retry(429, nil, "rate_limit"))
        #expect(!retry(400) && !retry(401) && !retry(402) && !retry(404))
        #expect(retry(400, "true"))
        #expect(!retry(503, "false"))
        #expect(!retry(503, after: 3))
        #expect(!retry(409, "true", after: 3))
        #expect(policy.shouldRetry(after: HTTPClientError(code: .timedOut, message: ""), retriesSoFar: 0))
        #expect(policy.shouldRetry(after: HTTPClientError(code: .couldNotConnect, message: ""), retriesSoFar: 2))
        #expect(!policy.shouldRetry(after: HTTPClientError(code: .couldNotConnect, message: ""), retriesSoFar: 3))
        #expect(!policy.shouldRetry(after: HTTPClientError(code: .tls, message: ""), retriesSoFar: 0))
    }
}
