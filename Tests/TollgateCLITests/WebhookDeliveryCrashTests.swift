import Foundation
import Testing
import TollgateCore
import TollgateEntitlements
import TollgateEvents
import TollgateStore
import TollgateTestSupport
import TollgateWebhookEndpoints
import TollgateBase

/// `tollgate serve` killed with SIGKILL while it sends events to the `standardwebhooks` receiver,
/// then started again: every event arrives (verified), and the only event that can arrive twice is
/// the one in flight at the kill (one request per endpoint at a time).
@Suite struct WebhookDeliveryCrashTests {
    @Test(arguments: Backend.allCases)
    func killedMidDeliveryAndRestartedLosesNoEvent(backend: Backend) throws {
        guard let peer = WebhookReceiverPeer.require() else { return }
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: [
            // Short leases so the restart takes the endpoint back quickly.
            "TOLLGATE_WEBHOOK_LEASE_SECONDS": "2", "TOLLGATE_WEBHOOK_TIMEOUT_SECONDS": "1", "TOLLGATE_WEBHOOK_WORKERS": "2",
            "TOLLGATE_WEBHOOK_RETRY_SECONDS": "0",
        ])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        let receiver = WebhookReceiverPeer.uniqueName("crash")
        let endpoints = WebhookEndpointRepository(database: store.database, events: EventLog(database: store.database))
        let created = try endpoints.create(WebhookEndpointRequest(url: peer.url(receiver), events: ["*"]))
        // Slow enough that the kill lands mid-run.
        try peer.configure(receiver, secrets: [created.secret.revealed], delayMilliseconds: 10)
        let total = 300
        for index in 0..<total {
            try store.database.transaction { connection in
                try EventLog.append(.grantCreated, customer: EventCustomer(id: "cus_crash", externalID: "org_crash"), data: ["n": .integer(index)], on: connection, now: Date())
            }
        }
        // Published here: the instance's publisher would do it, but the test reads the ids first.
        let log = EventLog(database: store.database)
        _ = try log.publish()
        let events = try log.read(after: 0, limit: total)
        #expect(events.count == total)
        func accepted() -> [String] { ((try? peer.received(receiver)) ?? []).filter(\.accepted).compactMap(\.webhook_id) }

        let first = try ServeChild(environment: environment)
        #expect(first.waitUntilListening(), "\(first.log)")
        #expect(eventually(timeout: .seconds(60), poll: .milliseconds(20)) { accepted().count >= 60 }, "the first instance delivers")
        first.child.signal(SIGKILL)
        _ = first.child.waitForExit(timeout: .seconds(10))
        let inFlight = try store.database.withConnection { connection in
            try connection.queryFirst("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'delivering'")?.get("n") as Int? ?? 0
        }
        let beforeRestart = accepted().count
        #expect(beforeRestart < total, "killed mid-run")

        let second = try ServeChild(environment: environment)
        #expect(second.waitUntilListening(), "\(second.log)")
        let succeeded = { () -> Int in
            (try? store.database.withConnection { connection in
                try connection.queryFirst("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'succeeded'")?.get("n") as Int?
            }) ?? 0
        }
        #expect(eventually(timeout: .seconds(90), poll: .milliseconds(50)) { succeeded() == total }, "every delivery ends succeeded: \(succeeded())")
        second.child.signal(SIGTERM)
        #expect(second.child.waitForExit(timeout: .seconds(20)) == 0)

        let received = try peer.received(receiver)
        #expect(received.allSatisfy { $0.accepted }, "every request verified: \(received.compactMap(\.error).prefix(3))")
        let ids = received.compactMap(\.webhook_id)
        let missing = Set(events.map(\.id)).subtracting(ids)
        let duplicates = ids.count - Set(ids).count
        #expect(missing.isEmpty, "lost: \(missing.sorted().prefix(5))")
        #expect(duplicates <= max(inFlight, 1), "\(duplicates) duplicates, \(inFlight) in flight at the kill")
        #expect(duplicates <= 1, "one endpoint: at most its one request in flight is sent twice")
        print("webhook crash test (\(backend)): \(beforeRestart) delivered before SIGKILL, \(inFlight) in flight, \(duplicates) duplicates, \(missing.count) lost")
    }
}
