import Foundation
import TollgateCrypto
package import TollgateHTTPClient
package import TollgateLogging
package import TollgateBase

/// A blocking client for the Stripe API over libcurl.
///
/// Every request carries `Authorization: Bearer <key>` and the pinned `Stripe-Version`; a POST
/// carries a form-encoded body (``StripeForm``) and an `Idempotency-Key` derived from the caller's
/// operation identity (``idempotencyKey(for:prefix:)``), the same on every retry. Failures are
/// retried as ``StripeRetryPolicy`` documents, with backoff and jitter. Errors are
/// ``StripeError``s carrying Stripe's `type`, `code`, `message`, `param` and `Request-Id`.
///
/// Calls block the calling thread (up to the timeouts plus the backoff): use worker threads,
/// never the Swift concurrency pool. One client is safe to share between threads; its
/// ``HTTPClient`` keeps connections to Stripe open between calls.
///
/// ```swift
/// let stripe = StripeClient(configuration: .init(apiKey: StripeAPIKey(key)), logger: logger)
/// let customer = try stripe.post("/v1/customers", ["email": "a@example.com", "metadata": ["external_id": "org_1"]],
///                                operation: "customers.create:org_1")
/// let subscriptions = try stripe.list("/v1/subscriptions", ["customer": customer.id.map { .string($0) } ?? nil])
/// ```
package final class StripeClient: Sendable {
    package let configuration: StripeConfiguration
    private let http: HTTPClient
    private let logger: Logger
    private let retryPolicy: StripeRetryPolicy
    private let metrics: StripeClientMetrics

    /// A client with `configuration` (validate it first with ``StripeConfiguration/validate()``);
    /// `httpClient` is shared when given, else the client makes its own. Its calls are counted in
    /// `metrics` (``StripeClientMetrics``).
    package init(configuration: StripeConfiguration, logger: Logger = .disabled, httpClient: HTTPClient? = nil, metrics: MetricsRegistry = MetricsRegistry()) {
        self.configuration = configuration
        self.metrics = StripeClientMetrics(metrics)
        self.logger = logger.labeled("stripe")
        self.http = httpClient ?? HTTPClient(configuration: .init(userAgent: "Tollgate/1 (libcurl; Stripe API client)"), logger: logger)
        self.retryPolicy = StripeRetryPolicy(configuration)
    }

    /// The `Idempotency-Key` of one logical operation: `prefix` + the SHA-256 (hex) of `operation`.
    ///
    /// The identity names the operation and everything that makes it distinct, e.g.
    /// `plans.push:pro:price:month:usd:4900`: the same identity gives the same key on every retry
    /// and every later run (Stripe keeps keys for 24 hours), so a write is made at most once.
    /// Two different writes must not share an identity: Stripe answers a reused key with
    /// different parameters with a 400 `idempotency_error`.
    package static func idempotencyKey(for operation: String, prefix: String = "tollgate-") -> String {
        prefix + SHA256.hex(operation)
    }

    /// `GET path` with `parameters` in the query string.
    package func get(_ path: String, _ parameters: StripeForm = [:]) throws(StripeError) -> StripeObject {
        try request(.GET, path, parameters, operation: nil)
    }

    /// `GET path` of one object; nil when Stripe answers 404 (no such object).
    package func find(_ path: String) throws(StripeError) -> StripeObject? {
        do {
            return try get(path)
        } catch {
            if error.isNotFound { return nil }
            throw error
        }
    }

    /// `POST path` with `parameters` as the form body and the `Idempotency-Key` of `operation`.
    package func post(_ path: String, _ parameters: StripeForm = [:], operation: String) throws(StripeError) -> StripeObject {
        try request(.POST, path, parameters, operation: operation)
    }

    /// `DELETE path`, with the `Idempotency-Key` of `operation` when given.
    package func delete(_ path: String, _ parameters: StripeForm = [:], operation: String? = nil) throws(StripeError) -> StripeObject {
        try request(.DELETE, path, parameters, operation: operation)
    }

    /// One API call with retries: `path` is the part after the base URL (`/v1/customers/cus_1`;
    /// escape ids with ``pathSegment(_:)``). `parameters` go into the query string for GET and
    /// DELETE, the body otherwise.
    package func request(_ method: HTTPClient.Method, _ path: String, _ parameters: StripeForm, operation: String?) throws(StripeError) -> StripeObject {
        let key = operation.map { Self.idempotencyKey(for: $0, prefix: configuration.idempotencyKeyPrefix) }
        let httpRequest = makeRequest(method, path, parameters, idempotencyKey: key)
        let operationLabel = StripeClientMetrics.operation(method, path)
        var retries = 0
        while true {
            if retries > 0 { metrics.retries.increment(operationLabel) }
            let started = ContinuousClock.now
            let response: HTTPClient.Response
            do {
                response = try http.perform(httpRequest)
                metrics.attempt(operationLabel, status: response.status, duration: ContinuousClock.now - started)
            } catch {
                metrics.attempt(operationLabel, status: nil, duration: ContinuousClock.now - started)
                let failure = StripeError(kind: .connection, message: "no answer from Stripe", idempotencyKey: key, attempts: retries + 1, transport: error)
                    .redacting(configuration.apiKey.value)
                guard retryPolicy.shouldRetry(after: error, retriesSoFar: retries) else { throw failure }
                retries += 1
                wait(retryPolicy.delay(beforeRetry: retries), method: method, path: path, reason: "\(error.code)", retry: retries, key: key, requestID: nil)
                continue
            }
            let requestID = response.headers["Request-Id"]
            logger.debug("stripe request", [
                "method": method.rawValue, "path": path, "status": String(response.status), "request_id": requestID ?? "",
                "attempt": String(retries + 1), "duration_ms": String(Int((ContinuousClock.now - started) / .milliseconds(1))),
            ])
            if (200..<300).contains(response.status) {
                guard let object = StripeObject.parse(response.body) else {
                    throw StripeError(kind: .invalidResponse, status: response.status, message: "Stripe answered \(response.status) with a body that is not JSON",
                                      requestID: requestID, idempotencyKey: key, attempts: retries + 1)
                }
                return object
            }
            var failure = StripeError.fromResponse(status: response.status, body: response.body, requestID: requestID).redacting(configuration.apiKey.value)
            failure.idempotencyKey = key
            failure.attempts = retries + 1
            guard retryPolicy.shouldRetry(
                status: response.status, shouldRetryHeader: response.headers["Stripe-Should-Retry"], errorCode: failure.code, retriesSoFar: retries)
            else { throw failure }
            retries += 1
            let delay = retryPolicy.delay(beforeRetry: retries, retryAfter: response.headers["Retry-After"])
            wait(delay, method: method, path: path, reason: "status \(response.status)", retry: retries, key: key, requestID: requestID)
        }
    }

    /// `segment` percent-encoded for use as one path segment (an id from input cannot add a
    /// segment or a query string).
    package static func pathSegment(_ segment: String) -> String {
        StripeForm.percentEncode(segment).replacing("[", with: "%5B").replacing("]", with: "%5D")
    }

    private func makeRequest(_ method: HTTPClient.Method, _ path: String, _ parameters: StripeForm, idempotencyKey: String?) -> HTTPClient.Request {
        var headers: HTTPClient.Headers = [
            "Authorization": "Bearer " + configuration.apiKey.value,
            "Stripe-Version": configuration.apiVersion,
            "Accept": "application/json",
        ]
        if let idempotencyKey { headers.add("Idempotency-Key", idempotencyKey) }
        var url = configuration.baseURL + path
        var body: [UInt8] = []
        let encoded = parameters.encoded
        switch method {
        case .GET, .HEAD, .DELETE:
            if !encoded.isEmpty { url += (path.contains("?") ? "&" : "?") + encoded }
        case .POST, .PUT, .PATCH:
            headers.add("Content-Type", "application/x-www-form-urlencoded")
            body = Array(encoded.utf8)
        }
        return HTTPClient.Request(
            method: method, url: url, headers: headers, body: body,
            connectTimeout: configuration.connectTimeout, timeout: configuration.timeout)
    }

    private func wait(_ delay: Duration, method: HTTPClient.Method, path: String, reason: String, retry: Int, key: String?, requestID: String?) {
        logger.info("stripe request retried", [
            "method": method.rawValue, "path": path, "reason": reason, "retry": String(retry),
            "delay_ms": String(Int(delay / .milliseconds(1))), "idempotency_key": key ?? "", "request_id": requestID ?? "",
        ])
        let (seconds, attoseconds) = delay.components
        Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
    }
}
