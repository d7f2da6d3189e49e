import Foundation
import Testing
import TollgateTestSupport

/// `tollgate serve` (a real process) and localstripe (a real, stateful fake Stripe that signs and
/// sends webhooks): the subscription lifecycle in Stripe drives the entitlement check; with the
/// webhook endpoint off the two drift, and `tollgate stripe sync` makes them agree again.
@Suite struct StripeEndToEndTests {
    /// Polls `condition` every 100 ms until it holds or `timeout` passes.
    static func eventually(_ timeout: Duration = .seconds(20), _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return try condition()
    }

    @Test(arguments: Backend.allCases)
    func localStripeWebhooksDriveEntitlementsAndSyncRepairsDrift(backend: Backend) throws {
        guard let peer = LocalStripePeer.fromEnvironment() else { return }
        let marker = LocalStripePeer.unique()
        let external = "org_e2e_\(marker)"
        let planID = "pro_e2e_\(marker)"  // plan ids are global in localstripe; metadata tollgate_plan maps it to `pro`
        let secret = "whsec_e2e_\(marker)"
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: [
            "TOLLGATE_STRIPE_API_KEY": "sk_test_e2e_\(marker)", "TOLLGATE_STRIPE_API_BASE": peer.url, "TOLLGATE_STRIPE_WEBHOOK_SECRET": secret,
        ])
        #expect(try TollgateBinary.run(["migrate"], environment: environment).status == 0)
        #expect(try TollgateBinary.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
        #expect(try TollgateBinary.run(["customers", "upsert", "--external-id", external], environment: environment).status == 0)
        let created = try TollgateBinary.run(["keys", "create", "--name", "e2e", "--scope", "read", "--json"], environment: environment)
        let key = try #require((try JSONSerialization.jsonObject(with: Data(created.standardOutput.utf8)) as? [String: Any])?["secret"] as? String)

        let server = try ServeChild(environment: environment)
        try #require(server.waitUntilListening(), "\(server.log)")
        let endpoint = "http://127.0.0.1:\(server.port)/webhooks/stripe"
        let hookID = "tollgate_\(marker)"
        try peer.registerWebhook(hookID, url: endpoint, secret: secret)
        defer { try? peer.silence(hookID, url: endpoint, secret: secret) }

        /// Whether the customer may use a feature only `pro` grants.
        func hasPro() throws -> Bool {
            let response = try HTTPTestClient.request(
                port: server.port, path: "/v1/entitlements/check?customer=\(external)&feature=integrations.github",
                headers: [("Authorization", "Bearer \(key)")])
            guard response.status == 200 else { throw HTTPTestClientError("check: \(response.status) \(response.text)") }
            return try response.json()["allowed"] as? Bool == true
        }
        #expect(try hasPro() == false, "the default plan (free) before any subscription")

        // 1. Subscribe in Stripe: the webhooks reach Tollgate, the applier applies them.
        let customerID = try peer.customerWithCard(externalID: external, planID: planID, tollgatePlan: "pro", marker: marker)
        let first = try peer.subscribe(customerID, planID: planID, quantity: 1, operation: "e2e.sub1:\(marker)")
        #expect(try Self.eventually { try hasPro() }, "customer.subscription.created did not grant pro; serve log:\n\(server.log)")

        // 2. Cancel in Stripe: back to the default plan.
        try peer.cancel(first)
        #expect(try Self.eventually { try !hasPro() }, "customer.subscription.deleted did not end pro; serve log:\n\(server.log)")

        // 3. Drift: Tollgate's endpoint off; a recorder registered after it tells when the event went out.
        try peer.silence(hookID, url: endpoint, secret: secret)
        let recorder = try WebhookRecorder()
        let recorderID = "recorder_\(marker)"
        try peer.registerWebhook(recorderID, url: recorder.url, secret: "whsec_recorder", events: ["customer.subscription.created"])
        defer { try? peer.silence(recorderID, url: recorder.url, secret: "whsec_recorder") }
        let second = try peer.subscribe(customerID, planID: planID, quantity: 2, operation: "e2e.sub2:\(marker)")
        #expect(recorder.waitForEvent(mentioning: second), "localstripe never sent customer.subscription.created for \(second)")
        #expect(try hasPro() == false, "Tollgate must not have seen the new subscription")
        let stored = try TollgateBinary.run(["webhooks", "list", "--limit", "100"], environment: environment)
        #expect(stored.status == 0 && !stored.standardOutput.contains(second), "\(stored.standardOutput)")

        // 4. A dry run reports the repair and changes nothing.
        let dry = try TollgateBinary.run(["stripe", "sync", "--dry-run", "--json"], environment: environment)
        #expect(dry.status == 0, "\(dry.standardError)")
        #expect(dry.standardError.contains("customers: ") && dry.standardError.contains("subscriptions: "), "progress on stderr: \(dry.standardError)")
        let dryChange = try #require(try Self.changes(dry.standardOutput).first { $0["stripe_id"] as? String == second }, "\(dry.standardOutput)")
        #expect(dryChange["kind"] as? String == "subscription_updated")
        #expect(dryChange["customer"] as? String == external)
        let fields = (dryChange["fields"] as? [[String: Any]] ?? []).reduce(into: [String: (String?, String?)]()) {
            $0[$1["name"] as? String ?? ""] = ($1["old"] as? String, $1["new"] as? String)
        }
        #expect(fields["status"]?.0 == "canceled" && fields["status"]?.1 == "active", "\(fields)")
        #expect(fields["quantity"]?.0 == "1" && fields["quantity"]?.1 == "2", "\(fields)")
        #expect(fields["stripe_subscription_id"]?.0 == first && fields["stripe_subscription_id"]?.1 == second, "\(fields)")
        let shownAfterDryRun = try TollgateBinary.run(["subscriptions", "show", external], environment: environment)
        #expect(shownAfterDryRun.standardOutput.contains("pro, canceled"), "\(shownAfterDryRun.standardOutput)")
        #expect(try hasPro() == false)

        // 5. The real run repairs; the check agrees with Stripe; a second run finds nothing to do.
        let real = try TollgateBinary.run(["stripe", "sync"], environment: environment)
        #expect(real.status == 0, "\(real.standardError)")
        #expect(real.standardOutput.contains("subscription_updated \(external) (\(second)): status canceled → active"), "\(real.standardOutput)")
        #expect(try Self.eventually(.seconds(10)) { try hasPro() }, "the check did not follow stripe sync")
        let shown = try TollgateBinary.run(["subscriptions", "show", external], environment: environment)
        #expect(shown.standardOutput.contains("pro, active, quantity 2"), "\(shown.standardOutput)")
        let again = try TollgateBinary.run(["stripe", "sync", "--json"], environment: environment)
        #expect(again.status == 0, "\(again.standardError)")
        #expect(try Self.changes(again.standardOutput).isEmpty, "\(again.standardOutput)")

        server.child.signal(SIGTERM)
        #expect(server.child.waitForExit(timeout: .seconds(20)) == 0)
    }

    static func changes(_ json: String) throws -> [[String: Any]] {
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return report["changes"] as? [[String: Any]] ?? []
    }
}
