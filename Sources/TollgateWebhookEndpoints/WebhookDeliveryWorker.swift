import Foundation
package import TollgateBase
import TollgateCrypto
package import TollgateEvents
import TollgateHTTPClient
package import TollgateLogging
package import TollgateStore

/// Sends the event log to the webhook endpoints, signed per Standard Webhooks.
///
/// Each worker thread, turn after turn:
/// 1. **claims an endpoint** with work (events past its cursor, or a due delivery) under a lease,
///    so one worker of one process is its only sender;
/// 2. **fans out**: reads the log after the endpoint's cursor (its types only) and, in one
///    transaction, queues a delivery per event and moves the cursor;
/// 3. **delivers** the endpoint's due deliveries one at a time in log order, each under its own
///    lease: `POST` the event (the same body and `webhook-id` on every attempt), 2xx is success;
///    anything else is retried after an exponential backoff with jitter until
///    ``WebhookDeliveryOptions/retryFor`` has passed, then `failed`. A retrying delivery waits
///    for its time without holding back the ones after it.
/// 4. gives the endpoint back: after its due deliveries, after ``WebhookDeliveryOptions/deliveriesPerTurn``
///    of them, or after a failed attempt (so endpoints served longest ago go first, and one whose
///    receiver is down cannot keep a thread waiting on timeouts while others wait).
///
/// **At least once**: a worker killed mid-request leaves the delivery `delivering`; when its lease
/// runs out it is sent again. Duplicates are bounded by what was in flight: one request per endpoint.
package final class WebhookDeliveryWorker: Sendable {
    private let store: WebhookDeliveryStore
    private let events: EventLog
    private let client: HTTPClient
    private let options: WebhookDeliveryOptions
    private let logger: Logger
    private let clock: WallClock
    private let threads: BackgroundThreads
    private let ownerPrefix: String
    /// `tollgate_webhook_deliveries_total{outcome}`.
    private let attempts: CounterFamily

    /// Attempts are counted in `metrics`.
    package init(
        database: any Database, events: EventLog, options: WebhookDeliveryOptions = WebhookDeliveryOptions(), logger: Logger = .disabled,
        clock: WallClock = .system, metrics: MetricsRegistry = MetricsRegistry()
    ) {
        store = WebhookDeliveryStore(database: database)
        attempts = metrics.counter(
            "tollgate_webhook_deliveries_total",
            help: "Webhook delivery attempts this instance made to customers' endpoints, by outcome: delivered (2xx), retried "
                + "(failed, to be sent again), failed (failed for good, out of retry time)",
            labels: ["outcome"])
        self.events = events
        self.options = options
        self.logger = logger
        self.clock = clock
        client = HTTPClient(
            configuration: HTTPClient.Configuration(
                maxIdleHandlesPerOrigin: 2, maxIdleHandles: max(8, options.workers * 2), maxResponseBytes: options.maxResponseBytes,
                userAgent: "Tollgate-Webhooks/1 (libcurl)", truncatesLargeResponses: true),
            logger: logger)
        ownerPrefix = "\(ProcessInfo.processInfo.hostName):\(getpid()):\((try? SecureRandom.token(6)) ?? "w")"
        threads = BackgroundThreads(name: "webhook-delivery", count: options.workers, pollInterval: .milliseconds(1))
    }

    // MARK: Running

    package func start() {
        threads.start { [self] index in
            let owner = "\(ownerPrefix):\(index)"
            do {
                let head = try events.head()
                if try runTurn(owner: owner, head: head) { return true }
                // Idle: wake when this process publishes past the head, or after the poll interval
                // (another instance or the CLI may have published, a retry may have come due).
                _ = events.published.wait(beyond: head, timeout: options.pollInterval)
            } catch {
                logger.warning("webhook delivery: store unavailable", ["error": String(describing: error)])
                Thread.sleep(forTimeInterval: 1)
            }
            return true
        }
    }

    /// Stops after each thread's request in hand (its outcome is recorded); waits at most `timeout`.
    package func stop(timeout: Duration = .seconds(30)) {
        threads.stop(timeout: timeout)
    }

    /// Serves every endpoint with work due when the call starts, on the calling thread, until none
    /// is left; a delivery retried meanwhile is due no earlier than the store's next millisecond
    /// after the start, so it waits for a later call. For tests and one-off runs (``start()``
    /// runs the same on threads). Returns the number of attempts made.
    @discardableResult
    package func deliverDue(owner: String? = nil) throws -> Int {
        let owner = owner ?? ownerPrefix
        let start = clock.now()
        let pass = Pass(dueBy: start, notBefore: SQLTimestamp.nextStoredInstant(after: start))
        var attempts = 0
        while !threads.isStopping, try runTurn(owner: owner, head: try events.head(), pass: pass, attempts: &attempts) {}
        return attempts
    }

    // MARK: One endpoint

    /// What is due in one pass of ``deliverDue(owner:)``; the threads' turns take what is due at each claim.
    private struct Pass {
        var dueBy: Date?
        var notBefore: Date?
    }

    private func runTurn(owner: String, head: Int64) throws -> Bool {
        var attempts = 0
        return try runTurn(owner: owner, head: head, pass: Pass(), attempts: &attempts)
    }

    /// Claims one endpoint with work, fans out, delivers what is due, gives it back. False when no
    /// endpoint had work.
    private func runTurn(owner: String, head: Int64, pass: Pass, attempts: inout Int) throws -> Bool {
        guard let endpoint = try store.claimEndpoint(owner: owner, head: head, lease: options.lease, dueBy: pass.dueBy, now: clock.now()) else {
            return false
        }
        defer {
            do {
                try store.release(endpoint: endpoint.id, owner: owner, now: clock.now())
            } catch {
                logger.warning("webhook delivery: could not give an endpoint back", ["endpoint": endpoint.id, "error": String(describing: error)])
            }
        }
        try fanOut(endpoint, owner: owner, head: head, due: pass.dueBy)
        for _ in 0..<options.deliveriesPerTurn where !threads.isStopping {
            guard let delivery = try store.claimNextDelivery(endpoint: endpoint.id, owner: owner, lease: options.lease, dueBy: pass.dueBy, now: clock.now())
            else { break }
            attempts += 1
            if try !deliver(delivery, to: endpoint, owner: owner, notBefore: pass.notBefore) { break }
        }
        return true
    }

    /// Queues the endpoint's deliveries of the events after its cursor, batch by batch, up to the head.
    /// Its deliveries are due at `due` (default: now).
    private func fanOut(_ endpoint: WebhookDeliveryStore.ClaimedEndpoint, owner: String, head: Int64, due: Date?) throws {
        var cursor = endpoint.cursor
        let filter = EventFilter(customer: nil, types: endpoint.events.types)
        while cursor < head, !threads.isStopping {
            let batch = try events.read(after: cursor, limit: options.fanOutBatch, filter: filter)
            // A short batch holds every matching event up to the head: the cursor moves to the head
            // (past the events of other types too), or further when the batch reaches past it.
            let next = batch.count < options.fanOutBatch ? max(head, batch.last?.position ?? head) : (batch.last?.position ?? head)
            let now = clock.now()
            guard try store.fanOut(endpoint: endpoint.id, owner: owner, events: batch, from: cursor, to: next, due: min(due ?? now, now), now: now)
            else { return }
            cursor = next
        }
    }

    /// Sends one delivery and records how it went. False when the turn should end: the attempt
    /// failed (the endpoint is given back, so a receiver that is down or slow does not hold a
    /// sender thread for a whole turn of timeouts while other endpoints wait; it is claimed again
    /// for its next due delivery), or the endpoint was disabled.
    private func deliver(
        _ delivery: WebhookDeliveryStore.ClaimedDelivery, to endpoint: WebhookDeliveryStore.ClaimedEndpoint, owner: String, notBefore: Date?
    ) throws -> Bool {
        let sentAt = clock.now()
        let attempt = send(delivery, to: endpoint, at: sentAt)
        let now = clock.now()
        let next: WebhookDeliveryStore.NextStep
        // (The store keeps milliseconds: `retryFrom` may read up to one after the instant it was.)
        if now.timeIntervalSince(delivery.retryFrom) >= options.retryFor - 0.001 {
            next = .fail
        } else {
            let delay = Backoff.delay(afterAttempts: delivery.attempts, base: options.retryBase, cap: options.retryCap)
            next = .retry(at: max(now.addingTimeInterval(delay), notBefore ?? .distantPast))
        }
        let (recorded, change) = try store.finish(
            delivery: delivery, endpoint: endpoint.id, owner: owner, attempt: attempt, next: next, disableAfter: options.disableAfter,
            operatorEmail: options.operatorEmail, now: now)
        if recorded {
            let outcome = switch (attempt.error, next) {
            case (nil, _): "delivered"
            case (_, .fail): "failed"
            default: "retried"
            }
            attempts.increment(outcome)
        }
        if !recorded {
            logger.warning("webhook delivery lease lost before the outcome was recorded", ["delivery": delivery.id, "endpoint": endpoint.id])
        } else if let error = attempt.error {
            let metadata = ["delivery": delivery.id, "endpoint": endpoint.id, "attempts": String(delivery.attempts), "error": error]
            if case .fail = next {
                logger.warning("webhook delivery failed for good", metadata)
            } else {
                logger.info("webhook delivery will be retried", metadata)
            }
        }
        if case .disabled(let reason) = change {
            logger.warning("webhook endpoint disabled", ["endpoint": endpoint.id, "reason": reason])
            return false
        }
        return attempt.succeeded
    }

    /// One signed `POST` of the delivery's body.
    private func send(_ delivery: WebhookDeliveryStore.ClaimedDelivery, to endpoint: WebhookDeliveryStore.ClaimedEndpoint, at now: Date) -> WebhookDeliveryStore.Attempt {
        let body = Array(delivery.payload.utf8)
        var headers: HTTPClient.Headers = ["Content-Type": "application/json"]
        for (name, value) in WebhookSigner.headers(id: delivery.eventID, timestamp: now, body: body, secrets: endpoint.signingSecrets(at: now)) {
            headers.add(name, value)
        }
        let request = HTTPClient.Request(
            method: .POST, url: endpoint.url, headers: headers, body: body, connectTimeout: options.connectTimeout, timeout: options.timeout)
        let started = ContinuousClock.now
        let result: Result<HTTPClient.Response, HTTPClientError>
        do throws(HTTPClientError) {
            result = .success(try client.perform(request))
        } catch {
            result = .failure(error)
        }
        let latency = Int((ContinuousClock.now - started).millisecondsRoundedUp)
        switch result {
        case .success(let response) where (200...299).contains(response.status):
            return .init(statusCode: response.status, latencyMs: latency, error: nil)
        case .success(let response):
            return .init(statusCode: response.status, latencyMs: latency, error: "answered HTTP \(response.status)" + Self.excerpt(response.body))
        case .failure(let error):
            return .init(statusCode: nil, latencyMs: latency, error: error.description)
        }
    }

    /// `: <the start of the body>` (printable ASCII, at most 200 characters), or nothing.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200).map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: " ") }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "" : ": " + text
    }
}

extension WebhookDeliveryWorker: BackgroundService {}
