import Foundation
import Testing
import TollgateCore
import TollgateLogging
import TollgateStore
import TollgateTestSupport
import TollgateWebhookEndpoints
import TollgateBase

/// `tollgate webhook-endpoints …` in-process, on the real store, both backends; the deliveries
/// are sent by the real worker to the `standardwebhooks` receiver.
@Suite struct WebhookEndpointsCommandTests {
    private func json(_ result: TollgateBinary.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any], "\(result.standardOutput)\(result.standardError)")
    }

    @Test(arguments: Backend.allCases)
    func operatorCreatesListsShowsUpdatesRotatesTestsRedeliversAndDeletes(backend: Backend) throws {
        guard let peer = WebhookReceiverPeer.require() else { return }
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(databaseURL: store.url)
        func tollgate(_ arguments: String...) -> TollgateBinary.Result { InProcessCLI.run(arguments, environment: environment) }
        #expect(tollgate("migrate").status == 0)
        let receiver = WebhookReceiverPeer.uniqueName("cli")

        let created = tollgate("webhook-endpoints", "create", "--url", peer.url(receiver), "--events", "grant.created,customer.created",
                               "--description", "billing sync")
        #expect(created.status == 0, "\(created.standardError)")
        let secret = try #require(created.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("whsec_") })
        let id = try #require(created.standardOutput.firstMatch(of: /we_[A-Za-z0-9]+/).map { String($0.0) })
        try peer.configure(receiver, secrets: [secret])

        let list = tollgate("webhook-endpoints", "list")
        #expect(list.status == 0 && list.standardOutput.contains(id) && !list.standardOutput.contains(secret))
        let shown = try json(tollgate("webhook-endpoints", "show", id, "--json"))
        #expect(shown["events"] as? [String] == ["customer.created", "grant.created"] && shown["secret"] == nil)
        let updated = try json(tollgate("webhook-endpoints", "update", id, "--events", "*", "--json"))
        #expect(updated["events"] as? [String] == ["*"])
        #expect(tollgate("webhook-endpoints", "update", id).status == 2, "nothing to change is a usage error")
        #expect(tollgate("webhook-endpoints", "update", id, "--url", "ftp://x.example.com/").status == 1)

        let rotated = try json(tollgate("webhook-endpoints", "rotate-secret", id, "--json"))
        let newSecret = try #require(rotated["secret"] as? String)
        #expect(newSecret != secret)
        let test = try json(tollgate("webhook-endpoints", "test", id, "--json"))
        let deliveryID = try #require(test["id"] as? String)
        let services = Services(configuration: try Configuration(environment: environment), database: store.database,
                                    migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: .disabled)
        #expect(try WebhookDeliveryWorker(services: services).deliverDue() == 1)
        let deliveries = try json(tollgate("webhook-endpoints", "deliveries", id, "--json"))
        let first = try #require((deliveries["data"] as? [[String: Any]])?.first)
        #expect(first["status"] as? String == "succeeded" && first["last_status_code"] as? Int == 200)
        #expect(tollgate("webhook-endpoints", "deliveries", id).standardOutput.contains("succeeded"))
        #expect(tollgate("webhook-endpoints", "redeliver", id, deliveryID).status == 0)
        #expect(try WebhookDeliveryWorker(services: services).deliverDue() == 1)
        let received = try peer.received(receiver)
        #expect(received.count == 2 && received.allSatisfy { $0.accepted && $0.signatures == 2 }, "both secrets sign during the overlap")

        // Retention: `events purge` purges finished deliveries with the log (none is old enough here).
        #expect(try json(tollgate("events", "purge", "--yes", "--json"))["webhook_deliveries"] as? Int == 0)
        #expect(tollgate("webhook-endpoints", "delete", id, "--yes").status == 0)
        #expect(tollgate("webhook-endpoints", "show", id).status == 1)
        for result in [list, tollgate("webhook-endpoints", "list", "--json")] { #expect(!result.standardOutput.contains(newSecret)) }
    }
}
