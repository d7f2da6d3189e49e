import Foundation
import Synchronization
import Testing
import Tollgate
import TollgateBase
import TollgateBilling
import TollgateCore
import TollgateCrypto
import TollgateEntitlements
import TollgateEvents
import TollgateIntegrations
import TollgateMail
@testable import TollgateOutbox
import TollgateStore
import TollgateStripe
import TollgateTestSupport
import TollgateWebhookEndpoints

/// `/metrics` after driving each path that moves (issue 18): webhooks received and applied,
/// entitlement checks, rate-limit decisions, usage events, mail through the outbox to the SMTP
/// peer, Stripe calls to localstripe, an OAuth refresh at the OAuth peer. Each counter moves by
/// exactly what was done, the backlog gauges match the store, and `promtool check metrics`
/// accepts the scrape.
@Suite struct MetricsEndpointTests {
    static let secret = "whsec_metrics_tests_5e6f7a8b"

    /// The series of one scrape, by their text before the value (`name{label="value",…}`).
    struct Scrape {
        let text: String
        let values: [String: Double]

        init(_ text: String) {
            self.text = text
            var values: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
                values[String(line[..<space])] = value
            }
            self.values = values
        }

        /// The series' value; zero when the scrape has no such series (a counter not yet moved).
        subscript(_ series: String) -> Double { values[series] ?? 0 }

        /// Whether the family has its `# HELP` and `# TYPE` lines.
        func declares(_ name: String, _ type: String) -> Bool {
            text.contains("# HELP \(name) ") && text.contains("# TYPE \(name) \(type)\n")
        }
    }

    /// A time of day the test moves by hand (the webhook tolerance and the backlog ages read it).
    final class MovableClock: Sendable {
        /// Starts on a whole second, so that the store's milliseconds hold it exactly.
        let instant = Mutex(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        var clock: WallClock { WallClock { self.now } }
        func advance(_ seconds: TimeInterval) { instant.withLock { $0.addTimeInterval(seconds) } }
        var now: Date { instant.withLock { $0 } }
    }

    func scrape(_ harness: APIHarness) throws -> Scrape {
        let response = try harness.get("/metrics")
        #expect(response.status == 200)
        return Scrape(response.text)
    }

    func prepared(_ backend: Backend, environment: [String: String] = [:], clock: WallClock = .system) throws -> APIHarness {
        let harness = try APIHarness(backend, environment: environment, clock: clock)
        let catalog = try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json")))
        _ = try harness.services.catalog.apply(catalog)
        _ = try harness.services.customers.upsert(.init(externalID: "org_acme"))
        return harness
    }

    /// Every counter moved by what the change did, the others did not move.
    func expectDeltas(_ before: Scrape, _ after: Scrape, _ expected: [String: Double], sourceLocation: SourceLocation = #_sourceLocation) {
        for (series, delta) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(after[series] - before[series] == delta, "\(series)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Webhooks, the applier, checks, rate limits, usage, the backlogs

    @Test(arguments: Backend.allCases)
    func webhooksChecksRateLimitsAndUsageMoveTheirCountersAndTheBacklogsMatchTheStore(backend: Backend) throws {
        let time = MovableClock()
        let harness = try prepared(backend, environment: ["TOLLGATE_STRIPE_WEBHOOK_SECRET": Self.secret], clock: time.clock)
        let read = try harness.token(.read)
        let write = try harness.token(.write)
        let start = try scrape(harness)
        // The families of what the server runs are there from the start (no Stripe client, no mail worker here).
        for name in ["tollgate_entitlement_checks_total", "tollgate_rate_limit_decisions_total", "tollgate_usage_events_total",
                     "tollgate_stripe_webhooks_received_total", "tollgate_oauth_token_refreshes_total"] {
            #expect(start.declares(name, "counter"), "\(name)")
        }
        for name in ["tollgate_stripe_events", "tollgate_stripe_events_oldest_pending_age_seconds", "tollgate_outbox_messages",
                     "tollgate_outbox_oldest_pending_age_seconds"] {
            #expect(start.declares(name, "gauge"), "\(name)")
        }

        // Webhooks: two new events, a duplicate, a bad signature, a signed body that is no event.
        func post(_ payload: [UInt8], signature: String?) throws -> Int {
            var headers: [(String, String)] = [("Content-Type", "application/json; charset=utf-8")]
            if let signature { headers.append(("Stripe-Signature", signature)) }
            return try harness.request("POST", "/webhooks/stripe", headers: headers, body: payload).status
        }
        func signed(_ payload: [UInt8]) -> String {
            WebhookSignature.header(payload: payload, timestamp: Int64(time.now.timeIntervalSince1970), secrets: [Self.secret])
        }
        let created = try WebhookPayloads.bytes("customer.subscription.created.new-shape")
        let product = try WebhookPayloads.bytes("product.created")
        #expect(try post(created, signature: signed(created)) == 200)
        time.advance(30)
        #expect(try post(product, signature: signed(product)) == 200)
        #expect(try post(created, signature: signed(created)) == 200)
        #expect(try post(created, signature: "t=1,v1=00") == 400)
        let notAnEvent = Array(#"{"hello":"world"}"#.utf8)
        #expect(try post(notAnEvent, signature: signed(notAnEvent)) == 400)
        time.advance(90)
        let received = try scrape(harness)
        expectDeltas(start, received, [
            #"tollgate_stripe_webhooks_received_total{outcome="stored"}"#: 2,
            #"tollgate_stripe_webhooks_received_total{outcome="duplicate"}"#: 1,
            #"tollgate_stripe_webhooks_received_total{outcome="invalid_signature"}"#: 1,
            #"tollgate_stripe_webhooks_received_total{outcome="invalid_event"}"#: 1,
        ])
        // The backlog as the store has it; the oldest pending event arrived 120 s ago on the test's clock.
        let watched = try harness.services.stripeEvents.watchedCounts()
        #expect(watched[.pending] == 2)
        for status in StripeEventStore.watchedStatuses {
            #expect(received[#"tollgate_stripe_events{status="\#(status.rawValue)"}"#] == Double(watched[status] ?? -1), "\(status)")
        }
        #expect(received["tollgate_stripe_events_oldest_pending_age_seconds"] == 120)

        let report = try StripeEventApplier(services: harness.services).applyPending(now: time.now)
        #expect(report.applied >= 1 && report.total == 2)
        let applied = try scrape(harness)
        expectDeltas(received, applied, [
            #"tollgate_stripe_events_processed_total{outcome="applied"}"#: Double(report.applied),
            #"tollgate_stripe_events_processed_total{outcome="stale"}"#: Double(report.stale),
            #"tollgate_stripe_events_processed_total{outcome="ignored"}"#: Double(report.ignored),
            #"tollgate_stripe_events_processed_total{outcome="held"}"#: Double(report.held),
            #"tollgate_stripe_events_processed_total{outcome="retried"}"#: Double(report.retried),
            #"tollgate_stripe_events_processed_total{outcome="failed"}"#: Double(report.failed),
        ])
        #expect(applied[#"tollgate_stripe_events{status="pending"}"#] == 0)
        #expect(applied["tollgate_stripe_events_oldest_pending_age_seconds"] == 0)

        // Entitlement checks: the counters move by what the answers say.
        _ = try harness.services.customers.upsert(.init(externalID: "org_free"))
        let checks = [
            "customer=org_free&feature=projects", "customer=org_free&feature=projects&quantity=2", "customer=org_free&feature=sso",
            "customer=org_free&feature=projects&quantity=50", "customer=org_free&feature=integrations.github", "customer=org_acme&feature=seats",
        ]
        var expectedChecks: [String: Double] = [:]
        for query in checks {
            let answer = try harness.get("/v1/entitlements/check?\(query)", token: read)
            #expect(answer.status == 200, "\(query): \(answer.text)")
            let json = try answer.json()
            let series = json["allowed"] as? Bool == true
                ? #"tollgate_entitlement_checks_total{outcome="allowed",reason="none"}"#
                : #"tollgate_entitlement_checks_total{outcome="denied",reason="\#(json["reason"] as? String ?? "?")"}"#
            expectedChecks[series, default: 0] += 1
        }
        #expect(expectedChecks.count >= 3, "allowed and at least two denial reasons: \(expectedChecks)")
        // Refused as input (a 400 before any check): not a check.
        #expect(try harness.get("/v1/entitlements/check?customer=org_free&feature=Bad", token: read).status == 400)

        // Rate limits: the free plan's `api` policy allows a cost within its burst (20), never one above it.
        let within = try harness.send("POST", "/v1/rate-limits/consume", token: write, body: Array(#"{"customer":"org_free","cost":1}"#.utf8))
        let above = try harness.send("POST", "/v1/rate-limits/consume", token: write, body: Array(#"{"customer":"org_free","cost":21}"#.utf8))
        #expect(within.status == 200 && above.status == 429)

        // Usage: counted, a duplicate, refused (unknown customer), a batch, consume within and over the quota.
        func usage(_ path: String, _ body: String) throws -> Int { try harness.send("POST", path, token: write, body: Array(body.utf8)).status }
        #expect(try usage("/v1/usage", #"{"customer":"org_free","feature":"api.requests","quantity":2,"idempotency_key":"m1"}"#) == 200)
        #expect(try usage("/v1/usage", #"{"customer":"org_free","feature":"api.requests","quantity":2,"idempotency_key":"m1"}"#) == 200)
        #expect(try usage("/v1/usage", #"{"customer":"ghost","feature":"api.requests"}"#) == 404)
        let batch = #"""
            {"events": [
              {"customer": "org_free", "feature": "api.requests", "quantity": 3, "idempotency_key": "b1"},
              {"customer": "ghost", "feature": "api.requests"},
              {"customer": "org_free", "feature": "api.requests", "quantity": 3, "idempotency_key": "b1"},
              {"customer": "org_free", "feature": "Bad Key"},
              {"customer": "org_free", "feature": "api.requests"}
            ]}
            """#
        #expect(try usage("/v1/usage/batch", batch) == 200)
        #expect(try usage("/v1/usage/consume", #"{"customer":"org_free","feature":"exports.daily","quantity":5}"#) == 200)
        #expect(try usage("/v1/usage/consume", #"{"customer":"org_free","feature":"exports.daily"}"#) == 200)

        // Mail waiting in the outbox: the gauges are the store's.
        try harness.services.database.transaction { connection in
            for index in 0..<3 {
                try Outbox.enqueue(OutboxMail(templateName: "payment_failed", to: "ada\(index)@example.com", data: [:], dedupeKey: "metrics:\(index)"),
                                   on: connection, now: time.now)
            }
        }
        time.advance(45)

        let end = try scrape(harness)
        expectDeltas(applied, end, expectedChecks.merging([
            #"tollgate_rate_limit_decisions_total{limit="customer",outcome="allowed"}"#: 1,
            #"tollgate_rate_limit_decisions_total{limit="customer",outcome="limited"}"#: 1,
            #"tollgate_usage_events_total{endpoint="single",outcome="counted"}"#: 1,
            #"tollgate_usage_events_total{endpoint="single",outcome="duplicate"}"#: 1,
            #"tollgate_usage_events_total{endpoint="single",outcome="refused"}"#: 1,
            #"tollgate_usage_events_total{endpoint="batch",outcome="counted"}"#: 2,
            #"tollgate_usage_events_total{endpoint="batch",outcome="duplicate"}"#: 1,
            #"tollgate_usage_events_total{endpoint="batch",outcome="refused"}"#: 2,
            #"tollgate_usage_events_total{endpoint="consume",outcome="counted"}"#: 1,
            #"tollgate_usage_events_total{endpoint="consume",outcome="denied"}"#: 1,
        ]) { a, _ in a })
        let totalChecks = { (scrape: Scrape) in
            scrape.values.filter { $0.key.hasPrefix("tollgate_entitlement_checks_total{") }.values.reduce(0, +)
        }
        #expect(totalChecks(end) - totalChecks(applied) == Double(checks.count))
        let outbox = try harness.services.outbox.counts()
        for status in ["pending", "sending", "dead"] {
            #expect(end[#"tollgate_outbox_messages{status="\#(status)"}"#] == Double(outbox[OutboxStatus(rawValue: status)!] ?? 0), "\(status)")
        }
        #expect(end[#"tollgate_outbox_messages{status="pending"}"#] >= 3)
        #expect(end["tollgate_outbox_oldest_pending_age_seconds"] == 45)
        try expectPromtoolAccepts(end.text)
    }

    @Test func theAPIKeyLimitsDecisionsAreCounted() throws {
        let harness = try prepared(.sqlite, environment: ["TOLLGATE_API_RATE_LIMIT": "3/60:3"])
        let token = try harness.token(.read)
        let before = try scrape(harness)
        let statuses = try (0..<4).map { _ in try harness.get("/v1/plans", token: token).status }
        #expect(statuses == [200, 200, 200, 429])
        expectDeltas(before, try scrape(harness), [
            #"tollgate_rate_limit_decisions_total{limit="api_key",outcome="allowed"}"#: 3,
            #"tollgate_rate_limit_decisions_total{limit="api_key",outcome="limited"}"#: 1,
            #"tollgate_rate_limit_decisions_total{limit="customer",outcome="allowed"}"#: 0,
        ])
    }

    @Test(arguments: Backend.allCases)
    func webhookDeliveriesToTheReceiverPeerAreCounted(backend: Backend) throws {
        guard let peer = WebhookReceiverPeer.require() else { return }
        let harness = try prepared(backend, environment: ["TOLLGATE_WEBHOOK_RETRY_SECONDS": "0"])
        let receiver = WebhookReceiverPeer.uniqueName("metrics")
        let created = try harness.services.webhookEndpoints.create(WebhookEndpointRequest(url: peer.url(receiver), events: ["*"]))
        try peer.configure(receiver, secrets: [created.secret.revealed])
        for index in 0..<2 {
            try harness.services.database.transaction { connection in
                try EventLog.append(.customerCreated, customer: EventCustomer(id: "cus_metrics", externalID: "org_acme"), data: ["n": .integer(index)],
                                    on: connection, now: Date())
            }
        }
        _ = try harness.services.eventLog.publish()
        let before = try scrape(harness)
        // The two events, and those the harness's catalog and customer appended before them.
        let delivered = try WebhookDeliveryWorker(services: harness.services).deliverDue()
        #expect(delivered >= 2)
        #expect(try peer.received(receiver).filter(\.accepted).count == delivered)
        let after = try scrape(harness)
        #expect(after.declares("tollgate_webhook_deliveries_total", "counter"))
        expectDeltas(before, after, [
            #"tollgate_webhook_deliveries_total{outcome="delivered"}"#: Double(delivered),
            #"tollgate_webhook_deliveries_total{outcome="retried"}"#: 0,
            #"tollgate_webhook_deliveries_total{outcome="failed"}"#: 0,
        ])
    }

    // MARK: The peers: SMTP, localstripe, OAuth

    @Test(arguments: Backend.allCases)
    func mailThroughTheOutboxToTheSMTPPeerIsCountedAndTheBacklogIsTheStores(backend: Backend) throws {
        guard let peer = SMTPPeer.require() else { return }
        let time = MovableClock()
        let harness = try prepared(backend, environment: [
            "TOLLGATE_MAIL_URL": "smtp://127.0.0.1:\(peer.plainPort)?tls=none", "TOLLGATE_MAIL_FROM": "Acme Analytics <billing@acme.example>",
            "TOLLGATE_APP_URL": "https://acme.example", "TOLLGATE_MAIL_RATE": "off", "TOLLGATE_MAIL_RECIPIENT_RATE": "off",
            "TOLLGATE_MAIL_RETRY_SECONDS": "0", "TOLLGATE_MAIL_MAX_ATTEMPTS": "3", "TOLLGATE_TEMPLATES_DIR": TestDatabase.repositoryRoot + "/templates",
        ], clock: time.clock)
        let run = UUID().uuidString.lowercased().prefix(8)
        let data: MustacheValue = [
            "customer": ["name": "Ada Lovelace", "email": "ada@example.com"], "plan": ["name": "Pro"],
            "invoice": ["number": "INV-1", "amount": "$49.00"], "next_attempt": "March 1, 2026",
        ]
        // The peer accepts ok+…, refuses reject+… for good (550) and later+… for now (451).
        try harness.services.database.transaction { connection in
            for name in ["ok", "reject", "later"] {
                try Outbox.enqueue(OutboxMail(templateName: "payment_failed", to: "\(name)+\(run)@example.com", toName: "Ada", data: data,
                                              dedupeKey: "metrics:\(run):\(name)"), on: connection, now: time.now)
            }
        }
        time.advance(1)
        let before = try scrape(harness)
        let worker = try #require(try OutboxWorker(services: harness.services))
        let report = try worker.sendDue()
        #expect(report.sent == 1 && report.dead == 1 && report.retried == 1)
        #expect(try peer.deliveries(to: "ok+\(run)@example.com").count == 1)
        time.advance(60)
        let after = try scrape(harness)
        #expect(after.declares("tollgate_outbox_mail_total", "counter") && after.declares("tollgate_mail_send_duration_seconds", "histogram"))
        expectDeltas(before, after, [
            #"tollgate_outbox_mail_total{outcome="sent"}"#: 1,
            #"tollgate_outbox_mail_total{outcome="dead"}"#: 1,
            #"tollgate_outbox_mail_total{outcome="retried"}"#: 1,
            #"tollgate_outbox_mail_total{outcome="suppressed"}"#: 0,
            #"tollgate_mail_send_duration_seconds_count{provider="smtp",result="ok"}"#: 1,
            #"tollgate_mail_send_duration_seconds_count{provider="smtp",result="error"}"#: 2,
        ])
        let store = try harness.services.outbox.counts()
        #expect(store[.dead] == 1 && store[.pending] == 1)
        for status in [OutboxStatus.pending, .sending, .dead] {
            #expect(after[#"tollgate_outbox_messages{status="\#(status.rawValue)"}"#] == Double(store[status] ?? 0), "\(status)")
        }
        // The mail put back (451) was queued 61 s ago on the test's clock.
        #expect(after["tollgate_outbox_oldest_pending_age_seconds"] == 61)
        try expectPromtoolAccepts(after.text)
    }

    @Test(arguments: Backend.allCases)
    func stripeCallsToLocalstripeAreCountedByOperationAndStatus(backend: Backend) throws {
        guard let url = ProcessInfo.processInfo.environment["TOLLGATE_TEST_STRIPE_URL"], !url.isEmpty else {
            Issue.record("TOLLGATE_TEST_STRIPE_URL is not set: run scripts/test, or scripts/peers/localstripe start DIR and export the URL it prints")
            return
        }
        let harness = try prepared(backend, environment: ["TOLLGATE_STRIPE_API_KEY": "sk_test_tollgate", "TOLLGATE_STRIPE_API_BASE": url])
        let stripe = try #require(harness.services.stripe)
        let marker = UUID().uuidString.lowercased().prefix(12)
        let before = try scrape(harness)
        let id = try #require(try stripe.post("/v1/customers", ["email": "\(marker)@example.com"], operation: "metrics.customer:\(marker)").id)
        #expect(try stripe.get("/v1/customers/\(StripeClient.pathSegment(id))").id == id)
        #expect(try stripe.find("/v1/customers/cus_Missing\(marker)") == nil)
        let after = try scrape(harness)
        expectDeltas(before, after, [
            #"tollgate_stripe_requests_total{operation="POST /v1/customers",status="200"}"#: 1,
            #"tollgate_stripe_requests_total{operation="GET /v1/customers/{id}",status="200"}"#: 1,
            #"tollgate_stripe_requests_total{operation="GET /v1/customers/{id}",status="404"}"#: 1,
            #"tollgate_stripe_request_duration_seconds_count{operation="POST /v1/customers"}"#: 1,
            #"tollgate_stripe_request_duration_seconds_count{operation="GET /v1/customers/{id}"}"#: 2,
            #"tollgate_stripe_request_retries_total{operation="GET /v1/customers/{id}"}"#: 0,
        ])
        #expect(!after.text.contains(String(id)), "no object id becomes a label value")
        try expectPromtoolAccepts(after.text)
    }

    @Test(.enabled(if: OAuthPeer.shouldRun), arguments: Backend.allCases)
    func anOAuthRefreshAtThePeerIsCounted(backend: Backend) throws {
        try OAuthPeer.exclusively {
            let peer = try OAuthPeer.required()
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("providers-\(UInt64.random(in: 0...UInt64.max)).json").path
            try peer.providersJSON(names: ["dot"]).write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let returnURL = "https://app.test/integrations"
            let harness = try APIHarness(backend, environment: [
                "TOLLGATE_OAUTH_PROVIDERS": file, "TOLLGATE_ENCRYPTION_KEY": try EncryptionKeyring.generateKeyEntry(id: "k1"),
                "TOLLGATE_OAUTH_RETURN_URLS": returnURL, "TOLLGATE_ENTITLEMENT_CACHE_MS": "0",
            ])
            let catalog = #"{"features": [{"key": "integrations.dot", "name": "Dot", "kind": "boolean"}], "#
                + #""plans": [{"key": "free", "name": "Free", "is_default": true, "entitlements": {"integrations.dot": true}}]}"#
            _ = try harness.services.catalog.apply(try Catalog.parse(Data(catalog.utf8)))
            _ = try harness.services.customers.upsert(.init(externalID: "acme"))
            let started = try harness.send("POST", "/v1/customers/acme/connections", token: try harness.token(.write),
                                           body: Array(#"{"provider": "dot", "return_url": "\#(returnURL)"}"#.utf8))
            #expect(started.status == 201)
            let authorizeURL = try #require(try started.json()["authorize_url"] as? String)
            let query = OAuthPeer.query(of: try peer.authorize(url: authorizeURL, as: "metrics-\(backend)"))
            let callback = try harness.get("/oauth/callback?code=\(query["code"] ?? "")&state=\(query["state"] ?? "")")
            let location = try #require(callback.header("Location"))
            let id = try #require(OAuthPeer.query(of: location)["connection_id"])

            let before = try scrape(harness)
            // Ten seconds on, the peer's 5 s token has expired: the service refreshes it at the peer.
            #expect(try harness.services.integrations.freshToken(connectionID: id, now: { Date().addingTimeInterval(10) }).refreshed)
            let after = try scrape(harness)
            expectDeltas(before, after, [#"tollgate_oauth_token_refreshes_total{provider="dot",outcome="refreshed"}"#: 1])
            try expectPromtoolAccepts(after.text)
        }
    }

    /// `promtool check metrics` accepts `text` (when promtool is installed; CI requires it).
    func expectPromtoolAccepts(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard Promtool.shouldRun else { return }
        let result = try Promtool.checkMetrics(text)
        #expect(result.succeeded, "promtool check metrics: \(result.output)", sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: Promtool.shouldRun), arguments: Backend.allCases)
    func promtoolAcceptsTheScrape(backend: Backend) throws {
        let harness = try prepared(backend)
        _ = try harness.get("/v1/entitlements/check?customer=org_acme&feature=projects", token: try harness.token(.read))
        let result = try Promtool.checkMetrics(try scrape(harness).text)
        #expect(result.succeeded, "\(result.output)")
    }

    @Test(.enabled(if: Promtool.shouldRun))
    func theProposedAlertRulesAreValid() throws {
        let result = try Promtool.checkRules(TestDatabase.repositoryRoot + "/deploy/alerts.yml")
        #expect(result.succeeded, "\(result.output)")
    }
}
