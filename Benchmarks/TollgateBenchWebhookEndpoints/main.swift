import Foundation
import TollgateBase
import TollgateCore
import TollgateEvents
import TollgateLogging
import TollgateStore
import TollgateTestSupport
import TollgateWebhookEndpoints

/// Webhook-endpoint delivery throughput through the real sender: N events logged, E endpoints at
/// the `standardwebhooks` receiver peer (each verifying every request), W sender threads; events
/// per second from starting the sender until every delivery is recorded `succeeded` (polled every
/// 50 ms), and how many requests the receiver verified.
///
/// Usage: `tollgate-bench-webhook-endpoints --receiver-url URL [--backend sqlite|postgres] [--events N] [--endpoints E] [--workers W]`.
/// Prints one JSON document.
func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    return arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
}

func run() throws {
    guard let receiverURL = option("--receiver-url"), let peer = WebhookReceiverPeer(baseURL: receiverURL) else {
        throw ConfigurationError(variable: "--receiver-url", message: "the receiver peer's URL is required")
    }
    let backend = Backend(rawValue: option("--backend") ?? "sqlite") ?? .sqlite
    let total = Int(option("--events") ?? "") ?? 2000
    let endpointCount = Int(option("--endpoints") ?? "") ?? 1
    let workers = Int(option("--workers") ?? "") ?? 2

    let store = try TestDatabase.make(backend, configuration: DatabaseConfiguration())
    defer { withExtendedLifetime(store) {} }
    let root = TestDatabase.repositoryRoot
    let configuration = try Configuration(environment: [
        "TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_LOG_LEVEL": "warning", "TOLLGATE_WEBHOOK_WORKERS": String(workers),
    ])
    let services = Services(configuration: configuration, database: store.database, migrationsRoot: root + "/migrations",
                            logger: Logger(label: "bench", level: .warning))
    _ = try services.schema.migrator.migrate()
    var endpoints: [String] = []
    for index in 0..<endpointCount {
        let name = WebhookReceiverPeer.uniqueName("bench-\(index)")
        let created = try services.webhookEndpoints.create(WebhookEndpointRequest(url: peer.url(name), events: ["*"]))
        try peer.configure(name, secrets: [created.secret.revealed])
        endpoints.append(created.endpoint.id)
    }
    try store.database.transaction { connection in
        for index in 0..<total {
            try EventLog.append(.grantCreated, customer: EventCustomer(id: "cus_\(index % 50)", externalID: "org_\(index % 50)"), data: ["n": .integer(index)],
                                on: connection, now: Date())
        }
    }
    while try services.eventLog.publish(limit: 10_000) != nil {}
    let expected = total * endpointCount
    func succeeded() throws -> Int {
        try store.database.withConnection { connection in
            try connection.queryFirst("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'succeeded'")?.get("n") ?? 0
        }
    }

    let worker = WebhookDeliveryWorker(services: services)
    let started = ContinuousClock.now
    worker.start()
    var done = 0
    while ContinuousClock.now - started < .seconds(600) {
        done = try succeeded()
        if done >= expected { break }
        Thread.sleep(forTimeInterval: 0.05)
    }
    let elapsed = ContinuousClock.now - started
    worker.stop(timeout: .seconds(10))
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let result: [String: Any] = [
        "benchmark": "webhook-endpoint delivery", "backend": backend.rawValue, "events": total, "endpoints": endpointCount, "workers": workers,
        "deliveries_succeeded": done, "seconds": (seconds * 1000).rounded() / 1000, "deliveries_per_second": (Double(done) / seconds).rounded(),
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("tollgate-bench-webhook-endpoints: \(error)\n".utf8))
    exit(1)
}
