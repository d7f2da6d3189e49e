import Foundation
import Testing
@testable import TollgateCore
import TollgateEntitlements
import TollgateEvents
import TollgateLogging
import TollgateStore
import TollgateTestSupport
@testable import TollgateWebhookEndpoints
import TollgateBase

/// A migrated store, the services over it (logs captured at trace level), the receiver peer and
/// a receiver of this test's own: events appended to the log, endpoints pointed at the receiver,
/// and workers that send to it.
struct EndpointDeliveryFixture {
    let store: TestDatabase
    let services: Services
    let logs = MemoryLogSink()
    let peer: WebhookReceiverPeer
    let receiver: String

    init?(_ backend: Backend, environment: [String: String] = [:]) throws {
        guard let peer = WebhookReceiverPeer.require() else { return nil }
        self.peer = peer
        receiver = WebhookReceiverPeer.uniqueName("core")
        store = try migratedStore(backend)
        var variables = ["TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_WEBHOOK_RETRY_SECONDS": "0"]
        variables.merge(environment) { _, new in new }
        services = Services(
            configuration: try Configuration(environment: variables), database: store.database,
            migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: Logger(label: "test", level: .trace, sink: logs))
    }

    /// Appends `count` events to the log, each in its own transaction (as the changes that cause
    /// them do), and publishes them (as `serve`'s publisher does).
    func append(_ count: Int, type: EventType = .customerCreated, customer: String = "org_acme") throws {
        for index in 0..<count {
            try services.database.transaction { connection in
                try EventLog.append(type, customer: EventCustomer(id: "cus_" + customer, externalID: customer), data: ["n": .integer(index)],
                                    on: connection, now: Date())
            }
        }
        _ = try services.eventLog.publish()
    }

    /// An endpoint at this test's receiver, the receiver verifying with its secret.
    func endpoint(events: [String] = ["*"], failFirst: Int = 0, failStatus: Int = 500) throws -> WebhookEndpointWithSecret {
        let created = try services.webhookEndpoints.create(WebhookEndpointRequest(url: peer.url(receiver), events: events))
        try peer.configure(receiver, secrets: [created.secret.revealed], failFirst: failFirst, failStatus: failStatus)
        return created
    }

    func worker(clock: WallClock = .system, _ adjust: (inout WebhookDeliveryOptions) -> Void = { _ in }) -> WebhookDeliveryWorker {
        var options = services.configuration.webhookDelivery
        adjust(&options)
        return WebhookDeliveryWorker(
            database: services.database, events: services.eventLog, options: options, logger: Logger(label: "webhook-delivery", level: .trace, sink: logs),
            clock: clock)
    }

    func deliveries(_ endpoint: String, status: WebhookDeliveryStatus? = nil) throws -> [WebhookDelivery] {
        try services.webhookEndpoints.deliveries(endpoint: endpoint, status: status, page: try PageRequest(limit: 100)).items
    }

    func received() throws -> [WebhookReceiverPeer.Received] { try peer.received(receiver) }
}
