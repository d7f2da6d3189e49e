import Foundation
import Testing
@testable import TollgateCore
import TollgateEntitlements
import TollgateEvents
import TollgateLogging
import TollgateOutbox
import TollgateStore
import TollgateTestSupport
@testable import TollgateWebhookEndpoints
import TollgateBase

/// The delivery worker against the real `standardwebhooks` receiver, on both backends.
@Suite struct WebhookDeliveryTests {
    @Test(arguments: Backend.allCases)
    func everyDeliveryIsAcceptedInLogOrderAcrossASecretRotation(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend) else { return }
        let first = try fixture.endpoint()
        let worker = fixture.worker()
        try fixture.append(3)
        #expect(try worker.deliverDue() == 3)

        // Rotated: both secrets sign for 24 hours, so a receiver with either verifies.
        let rotated = try fixture.services.webhookEndpoints.rotateSecret(id: first.endpoint.id)
        #expect(rotated.secret != first.secret)
        try fixture.peer.configure(fixture.receiver, secrets: [rotated.secret.revealed])
        try fixture.append(2)
        #expect(try worker.deliverDue() == 2)
        try fixture.peer.configure(fixture.receiver, secrets: [first.secret.revealed])
        try fixture.append(2)
        #expect(try worker.deliverDue() == 2)

        let received = try fixture.received()
        #expect(received.count == 7)
        #expect(received.allSatisfy { $0.accepted }, "\(received.compactMap(\.error))")
        #expect(received.map(\.signatures) == [1, 1, 1, 2, 2, 2, 2])
        // In log order: positions rise, each event once, its id the webhook-id.
        let positions = received.compactMap { $0.json["position"] as? Int }
        #expect(positions == positions.sorted() && Set(positions).count == 7)
        #expect(received.allSatisfy { $0.webhook_id == $0.json["id"] as? String })
        #expect(received.allSatisfy { $0.json["type"] as? String == "customer.created" && $0.json["customer"] as? String == "org_acme" })
        #expect(try fixture.deliveries(first.endpoint.id, status: .succeeded).count == 7)
    }

    @Test(arguments: Backend.allCases)
    func aRealChangeReachesTheReceiverAsItsEvent(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend) else { return }
        let endpoint = try fixture.endpoint(events: ["customer.created"])
        _ = try fixture.services.customers.upsert(CustomerChanges(externalID: "org_webhooks", email: "ops@webhooks.example"))
        _ = try fixture.services.eventLog.publish()
        #expect(try fixture.worker().deliverDue() == 1)
        let received = try #require(try fixture.received().first)
        #expect(received.accepted && received.json["type"] as? String == "customer.created")
        #expect(received.json["customer"] as? String == "org_webhooks" && received.json["sequence"] as? Int == 1)
        #expect(try fixture.deliveries(endpoint.endpoint.id, status: .succeeded).count == 1)
    }

    @Test(arguments: Backend.allCases)
    func theSecretBeforeARotationStopsSigningAfterItsOverlap(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend) else { return }
        let first = try fixture.endpoint()
        // Rotated 25 hours ago: the overlap is over, only the new secret signs.
        let rotated = try fixture.services.webhookEndpoints.rotateSecret(id: first.endpoint.id, now: Date().addingTimeInterval(-25 * 3600))
        try fixture.peer.configure(fixture.receiver, secrets: [first.secret.revealed, rotated.secret.revealed])
        try fixture.append(1)
        #expect(try fixture.worker().deliverDue() == 1)
        let received = try #require(try fixture.received().first)
        #expect(received.accepted && received.signatures == 1 && received.secret_index == 1, "verified by the new secret only")
    }

    @Test(arguments: Backend.allCases)
    func aReceiverAnswering500GetsTheEventAgainAfterTheBackoffAndThenOnce(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend, environment: ["TOLLGATE_WEBHOOK_RETRY_SECONDS": "10"]) else { return }
        let endpoint = try fixture.endpoint(failFirst: 1)
        try fixture.append(1)
        let clock = ManualClock()
        let worker = fixture.worker(clock: clock.wallClock)
        #expect(try worker.deliverDue() == 1)
        var delivery = try #require(try fixture.deliveries(endpoint.endpoint.id).first)
        #expect(delivery.status == .pending && delivery.attempts == 1 && delivery.lastStatusCode == 500)
        #expect(delivery.lastError?.contains("HTTP 500") == true)
        let wait = delivery.nextAttemptAt.timeIntervalSince(clock.wallClock.now())
        #expect(wait >= 4.9 && wait <= 10.1, "10 s with 50–100 % jitter, got \(wait)")
        #expect(try worker.deliverDue() == 0, "not due before its backoff")
        #expect(try fixture.services.webhookEndpoints.get(id: endpoint.endpoint.id).failingSince != nil)

        clock.advance(by: 11)
        #expect(try worker.deliverDue() == 1)
        clock.advance(by: 3600)
        #expect(try worker.deliverDue() == 0, "delivered once: nothing more")
        delivery = try #require(try fixture.deliveries(endpoint.endpoint.id).first)
        #expect(delivery.status == .succeeded && delivery.attempts == 2 && delivery.lastStatusCode == 200 && delivery.lastError == nil)
        #expect(delivery.lastLatencyMs != nil && delivery.deliveredAt != nil)
        #expect(try fixture.services.webhookEndpoints.get(id: endpoint.endpoint.id).failingSince == nil, "a success clears the failure clock")
        let received = try fixture.received()
        #expect(received.map(\.status) == [500, 200])
        #expect(Set(received.map(\.webhook_id)).count == 1 && received.allSatisfy { $0.accepted }, "the same event, signed each time")
        #expect(received[0].body == received[1].body, "the same body on every attempt")
    }

    @Test(arguments: Backend.allCases)
    func aRetryingDeliveryDoesNotHoldBackTheNextOnes(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend, environment: ["TOLLGATE_WEBHOOK_RETRY_SECONDS": "60"]) else { return }
        let endpoint = try fixture.endpoint(failFirst: 1)
        try fixture.append(3)
        let clock = ManualClock()
        #expect(try fixture.worker(clock: clock.wallClock).deliverDue() == 3)
        let statuses = try fixture.deliveries(endpoint.endpoint.id).sorted { ($0.eventPosition ?? 0) < ($1.eventPosition ?? 0) }.map(\.status)
        #expect(statuses == [.pending, .succeeded, .succeeded])
    }

    @Test(arguments: Backend.allCases)
    func retriesEndFailedAndAnEndpointFailingForDaysIsDisabledAndTheOperatorMailed(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend, environment: [
            "TOLLGATE_WEBHOOK_RETRY_HOURS": "1", "TOLLGATE_WEBHOOK_DISABLE_AFTER_DAYS": "5", "TOLLGATE_OPERATOR_EMAIL": "ops@acme.example",
        ]) else { return }
        let endpoint = try fixture.endpoint(failFirst: 1_000, failStatus: 503)
        try fixture.append(1)
        let clock = ManualClock()
        let worker = fixture.worker(clock: clock.wallClock)
        #expect(try worker.deliverDue() >= 1)
        clock.advance(by: 3601)
        #expect(try worker.deliverDue() == 1)
        var delivery = try #require(try fixture.deliveries(endpoint.endpoint.id).first)
        // (503, or 401 from a receiver that finds the clock moved on: a failure either way.)
        #expect(delivery.status == .failed && delivery.lastStatusCode != nil && delivery.lastError != nil)
        #expect(try fixture.services.webhookEndpoints.get(id: endpoint.endpoint.id).status == .enabled, "one day of failures is not enough")

        // Five days on, still nothing but failures: the next failure disables it.
        clock.advance(by: 5 * 86_400)
        try fixture.append(1)
        #expect(try worker.deliverDue() == 1)
        let disabled = try fixture.services.webhookEndpoints.get(id: endpoint.endpoint.id)
        #expect(disabled.status == .disabled && disabled.disabledReason?.contains("every delivery failed since") == true)
        let mail = try #require(try fixture.services.outbox.list(page: try PageRequest()).items.first)
        #expect(mail.template == "webhook_endpoint_disabled" && mail.recipient == "ops@acme.example")
        // Disabled: nothing more is sent, whatever is due.
        clock.advance(by: 86_400)
        try fixture.append(1)
        let before = try fixture.received().count
        #expect(try worker.deliverDue() == 0)
        #expect(try fixture.received().count == before)
        delivery = try #require(try fixture.deliveries(endpoint.endpoint.id).first)
        _ = delivery
    }

    @Test(arguments: Backend.allCases)
    func onlyTheEndpointsTypesAreSentAndItsCursorReachesTheHead(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend) else { return }
        try fixture.append(2)
        let endpoint = try fixture.endpoint(events: ["grant.created"])
        #expect(endpoint.endpoint.cursor == 2, "starts at the log's head: earlier events are not sent")
        try fixture.append(3)
        try fixture.append(1, type: .grantCreated)
        try fixture.append(2)
        #expect(try fixture.worker().deliverDue() == 1)
        let received = try fixture.received()
        #expect(received.map { $0.json["type"] as? String } == ["grant.created"])
        #expect(try fixture.services.webhookEndpoints.get(id: endpoint.endpoint.id).cursor == 8)
    }

    @Test(arguments: Backend.allCases)
    func aTestEventAndARedeliveryAreSignedAndSent(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend) else { return }
        let endpoint = try fixture.endpoint()
        let test = try fixture.services.webhookEndpoints.sendTest(id: endpoint.endpoint.id)
        #expect(test.status == .pending && test.eventType == "webhook_endpoint.test" && test.eventPosition == nil)
        let worker = fixture.worker()
        #expect(try worker.deliverDue() == 1)
        let again = try fixture.services.webhookEndpoints.redeliver(endpoint: endpoint.endpoint.id, delivery: test.id)
        #expect(again.status == .pending && again.attempts == 0)
        #expect(try worker.deliverDue() == 1)
        let received = try fixture.received()
        #expect(received.count == 2 && received.allSatisfy { $0.accepted })
        #expect(received.allSatisfy { $0.webhook_id == test.eventID && $0.json["type"] as? String == "webhook_endpoint.test" })
        #expect(throws: DomainError.self) { try fixture.services.webhookEndpoints.redeliver(endpoint: endpoint.endpoint.id, delivery: "wdl_nope") }
    }

    @Test(arguments: Backend.allCases)
    func aRedirectIsNotFollowedAndABigAnswerIsCut(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend) else { return }
        let endpoint = try fixture.endpoint(failFirst: 1, failStatus: 302)
        try fixture.append(1)
        let clock = ManualClock()
        #expect(try fixture.worker(clock: clock.wallClock).deliverDue() == 1)
        let delivery = try #require(try fixture.deliveries(endpoint.endpoint.id).first)
        #expect(delivery.status == .pending && delivery.lastStatusCode == 302, "a redirect is a failed attempt, not followed")
    }

    @Test(arguments: Backend.allCases)
    func deliveriesPastTheRetentionArePurgedAndTheRestKept(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend, environment: ["TOLLGATE_WEBHOOK_RETRY_HOURS": "0"]) else { return }
        let endpoint = try fixture.endpoint()
        try fixture.append(1)
        // Delivered 40 days ago (the receiver refuses a timestamp that old: retries are over, so it failed).
        #expect(try fixture.worker(clock: .fixed(Date().addingTimeInterval(-40 * 86_400))).deliverDue() == 1)
        try fixture.append(1)
        #expect(try fixture.worker().deliverDue() == 1)
        _ = try fixture.services.webhookEndpoints.sendTest(id: endpoint.endpoint.id)
        let before = try fixture.deliveries(endpoint.endpoint.id)
        #expect(before.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.failed, .pending, .succeeded])
        // The event log's retention (TOLLGATE_EVENT_RETENTION_DAYS, 30) purges them, as serve does hourly.
        let purged = try EventRetention(services: fixture.services).purgeNow()
        #expect(purged["webhook_deliveries"] == 1)
        #expect(try fixture.deliveries(endpoint.endpoint.id).map(\.status).sorted { $0.rawValue < $1.rawValue } == [.pending, .succeeded])
    }

    @Test(arguments: Backend.allCases)
    func theSecretAppearsInNoLogNoErrorAndNoAnswerAfterCreation(backend: Backend) throws {
        guard let fixture = try EndpointDeliveryFixture(backend) else { return }
        let created = try fixture.endpoint(failFirst: 1)
        let rotated = try fixture.services.webhookEndpoints.rotateSecret(id: created.endpoint.id)
        try fixture.peer.configure(fixture.receiver, secrets: [rotated.secret.revealed], failFirst: 1)
        try fixture.append(2)
        _ = try fixture.services.webhookEndpoints.sendTest(id: created.endpoint.id)
        #expect(try fixture.worker().deliverDue() >= 3)
        // A failing URL too: its error is recorded and logged.
        _ = try fixture.services.webhookEndpoints.update(id: created.endpoint.id, WebhookEndpointChanges(url: "http://127.0.0.1:1/closed"))
        try fixture.append(1)
        #expect(try fixture.worker(clock: .fixed(Date().addingTimeInterval(1))).deliverDue() >= 1)

        let secrets = [created.secret, rotated.secret].map { $0.revealed } + [created.secret, rotated.secret].map { Data($0.key).base64EncodedString() }
        let encoder = snakeCaseEncoder()
        var texts = fixture.logs.lines
        texts.append(String(describing: created.secret) + String(describing: rotated.secret))
        texts.append(String(decoding: try encoder.encode(try fixture.services.webhookEndpoints.get(id: created.endpoint.id)), as: UTF8.self))
        texts.append(String(decoding: try encoder.encode(try fixture.services.webhookEndpoints.list(page: try PageRequest()).items), as: UTF8.self))
        texts.append(String(decoding: try encoder.encode(try fixture.deliveries(created.endpoint.id)), as: UTF8.self))
        #expect(fixture.logs.lines.contains { $0.contains("webhook delivery will be retried") }, "failures were logged")
        for text in texts {
            for secret in secrets { #expect(!text.contains(secret), "a secret in: \(text.prefix(200))") }
        }
    }

    @Test func badURLsAndEventTypesAreRefusedAndChangeNothing() throws {
        guard let fixture = try EndpointDeliveryFixture(.sqlite) else { return }
        let repository = fixture.services.webhookEndpoints
        for url in ["ftp://example.com/hook", "javascript:alert(1)", "http://", "https://user:pw@example.com/hook", "http://example.com/#x",
                    "example.com/hook", "file:///etc/passwd", "http://exa mple.com/", "http://example.com:99999/",
                    "https://example.com/" + String(repeating: "a", count: 2100)] {
            #expect(throws: DomainError.self, "\(url)") { try repository.create(WebhookEndpointRequest(url: url, events: ["*"])) }
        }
        for events in [[], ["*", "customer.created"], ["customer.exploded"], ["customer.created", "customer.created"]] {
            #expect(throws: DomainError.self, "\(events)") { try repository.create(WebhookEndpointRequest(url: "https://example.com/h", events: events)) }
        }
        #expect(try repository.list(page: try PageRequest()).items.isEmpty)
        let endpoint = try repository.create(WebhookEndpointRequest(url: "https://example.com/h", events: ["customer.created"], description: "d"))
        #expect(throws: DomainError.self) { try repository.update(id: endpoint.endpoint.id, WebhookEndpointChanges(url: "gopher://x", description: "changed")) }
        #expect(throws: DomainError.self) { try repository.update(id: endpoint.endpoint.id, WebhookEndpointChanges()) }
        #expect(throws: DomainError.self) { try repository.update(id: "we_nope", WebhookEndpointChanges(enabled: false)) }
        #expect(try repository.get(id: endpoint.endpoint.id) == endpoint.endpoint, "unchanged")
        let uppercase = try repository.create(WebhookEndpointRequest(url: "HTTPS://Example.com:8443/a/b%20c?x=1", events: ["*"]))
        #expect(uppercase.endpoint.url == "HTTPS://Example.com:8443/a/b%20c?x=1")
    }

    @Test func signaturesAreStandardWebhooks() throws {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = try #require(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let headers = WebhookSigner.headers(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: Date(timeIntervalSince1970: 1_614_265_330), body: body, secrets: [secret])
        #expect(headers.first { $0.0 == "webhook-signature" }?.1 == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(headers.first { $0.0 == "webhook-timestamp" }?.1 == "1614265330")
        #expect(String(describing: secret) == "whsec_…(redacted)")
    }
}

private func snakeCaseEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return encoder
}
