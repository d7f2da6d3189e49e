import Foundation
import Testing
import TollgateStore
import TollgateStripe
import TollgateTestSupport

/// `tollgate webhooks list|show|replay|apply` in-process, on events stored in the real store.
@Suite struct WebhooksCommandTests {
    @Test(arguments: Backend.allCases)
    func operatorListsShowsReplaysAndAppliesStoredEvents(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: ["TOLLGATE_STRIPE_WEBHOOK_SECRET": "whsec_cli_secret_1234"])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "org_acme"], environment: environment).status == 0)

        // Store two events as the endpoint does (verified payload → pending row).
        for (id, type, payload) in [("evt_TgSubCreatedNew", "customer.subscription.created", "customer.subscription.created.new-shape"),
                                    ("evt_TgProductCreated", "product.created", "product.created")] {
            let text = String(decoding: try WebhookPayloads.bytes(payload), as: UTF8.self)
            try store.database.withConnection { connection in
                try connection.execute("""
                    INSERT INTO stripe_events (id, type, created, payload, status, attempts, next_attempt_at, received_at)
                    VALUES (\(id), \(type), \(Date(timeIntervalSince1970: 1_767_225_600)), \(text), 'pending', 0, \(Date()), \(Date()))
                    """)
            }
        }

        let pending = InProcessCLI.run(["webhooks", "list", "--status", "pending"], environment: environment)
        #expect(pending.status == 0, "\(pending.standardError)")
        #expect(pending.standardOutput.contains("evt_TgSubCreatedNew") && pending.standardOutput.contains("evt_TgProductCreated"))

        let applied = InProcessCLI.run(["webhooks", "apply"], environment: environment)
        #expect(applied.standardOutput.contains("Applied 1") && applied.standardOutput.contains("ignored 1"), "\(applied.standardOutput)")
        #expect(InProcessCLI.run(["subscriptions", "show", "org_acme"], environment: environment).standardOutput.contains("pro, active, quantity 3"))

        let shown = InProcessCLI.run(["webhooks", "show", "evt_TgSubCreatedNew"], environment: environment)
        #expect(shown.standardOutput.contains("applied"))
        #expect(shown.standardOutput.contains("\"type\" : \"customer.subscription.created\""), "payload pretty-printed")
        #expect(InProcessCLI.run(["webhooks", "show", "evt_nope"], environment: environment).status == 1)
        let shownJSON = InProcessCLI.run(["webhooks", "show", "evt_TgSubCreatedNew", "--json"], environment: environment)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(shownJSON.standardOutput.utf8)) as? [String: Any], "one JSON document")
        #expect(event["status"] as? String == "applied")
        #expect((event["payload"] as? [String: Any])?["type"] as? String == "customer.subscription.created")

        let replayed = InProcessCLI.run(["webhooks", "replay", "evt_TgProductCreated", "--json"], environment: environment)
        #expect(replayed.status == 0)
        #expect(replayed.standardOutput.contains("\"status\" : \"pending\""))
        let listed = InProcessCLI.run(["webhooks", "list", "--json", "--limit", "1"], environment: environment)
        let page = try #require(try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [String: Any])
        #expect((page["data"] as? [Any])?.count == 1 && page["has_more"] as? Bool == true)
        #expect(InProcessCLI.run(["webhooks", "list", "--status", "bogus"], environment: environment).status == 2)

        let config = InProcessCLI.run(["config", "check"], environment: environment)
        #expect(config.standardOutput.contains("TOLLGATE_STRIPE_WEBHOOK_SECRET") && !config.standardOutput.contains("whsec_cli_secret_1234"))
    }

    /// An event rendered at a Stripe API version newer than Tollgate reads: `webhooks apply` holds
    /// it, `webhooks list --status unsupported_version` shows it with the version, and
    /// `webhooks replay` makes it pending again (for after an upgrade).
    @Test(arguments: Backend.allCases)
    func anEventOfALaterAPIVersionIsHeldListedAndReplayable(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: ["TOLLGATE_STRIPE_WEBHOOK_SECRET": "whsec_cli_secret_1234"])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        let text = String(decoding: try WebhookPayloads.event("customer.updated", ["api_version": "2027-01-27.fig"]), as: UTF8.self)
        try store.database.withConnection { connection in
            try connection.execute("""
                INSERT INTO stripe_events (id, type, created, payload, status, attempts, next_attempt_at, received_at)
                VALUES ('evt_TgCustomerUpdated', 'customer.updated', \(Date(timeIntervalSince1970: 1_767_225_600)), \(text), 'pending', 0, \(Date()), \(Date()))
                """)
        }
        let applied = InProcessCLI.run(["webhooks", "apply"], environment: environment)
        #expect(applied.standardOutput.contains("Applied 0"), "\(applied.standardOutput)")
        let held = InProcessCLI.run(["webhooks", "list", "--status", "unsupported_version"], environment: environment)
        #expect(held.status == 0, "\(held.standardError)")
        #expect(held.standardOutput.contains("evt_TgCustomerUpdated") && held.standardOutput.contains("unsupported_version"))
        #expect(held.standardOutput.contains("api_version 2027-01-27.fig is newer than 2026-10-28.endive"), "\(held.standardOutput)")
        let replayed = InProcessCLI.run(["webhooks", "replay", "evt_TgCustomerUpdated"], environment: environment)
        #expect(replayed.standardOutput.contains("pending again"))
        #expect(InProcessCLI.run(["webhooks", "list", "--status", "pending"], environment: environment).standardOutput.contains("evt_TgCustomerUpdated"))
    }
}

/// `tollgate serve` applies what its webhook endpoint receives, on its own worker thread.
@Suite struct ServeWebhookTests {
    @Test(arguments: Backend.allCases)
    func servedWebhookIsAppliedInTheBackground(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        let secret = "whsec_serve_secret_5678"
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: ["TOLLGATE_STRIPE_WEBHOOK_SECRET": secret])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "org_acme"], environment: environment).status == 0)
        let server = try ServeChild(environment: environment)
        #expect(server.waitUntilListening(), "\(server.log)")

        let payload = try WebhookPayloads.bytes("customer.subscription.created.old-shape")
        let header = WebhookSignature.header(payload: payload, timestamp: Int64(Date().timeIntervalSince1970), secrets: [secret])
        let response = try HTTPTestClient.request(
            port: server.port, method: "POST", path: "/webhooks/stripe", headers: [("Stripe-Signature", header)], body: payload)
        #expect(response.status == 200, "\(response.text)")

        let deadline = ContinuousClock.now + .seconds(15)
        var shown = ""
        while ContinuousClock.now < deadline {
            shown = InProcessCLI.run(["subscriptions", "show", "org_acme"], environment: environment).standardOutput
            if shown.contains("pro, active") { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(shown.contains("pro, active, quantity 3"))
        server.child.signal(SIGTERM)
        #expect(server.child.waitForExit(timeout: .seconds(20)) == 0, "\(server.log)")
        #expect(!server.log.contains(secret))
    }
}
