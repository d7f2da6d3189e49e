import Foundation
import Testing
import TollgateCore
import TollgateEntitlements
import TollgateLogging
import TollgateTestSupport
import TollgateWebhookEndpoints
import TollgateBase

/// The admin API over webhook endpoints (`/v1/webhook-endpoints`), every answer checked against
/// the OpenAPI document by the harness.
@Suite struct WebhookEndpointRoutesTests {
    private func json(_ object: [String: Any]) throws -> [UInt8] { Array(try JSONSerialization.data(withJSONObject: object)) }

    @Test(arguments: Backend.allCases)
    func anEndpointIsCreatedWithItsSecretOnceThenListedShownChangedRotatedTestedAndDeleted(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let admin = try harness.token(.admin)
        let created = try harness.send("POST", "/v1/webhook-endpoints", token: admin,
                                       body: try json(["url": "https://hooks.example.com/tollgate", "events": ["customer.created", "grant.created"], "description": "billing"]))
        #expect(created.status == 201, "\(created.text)")
        let body = try created.json()
        let id = try #require(body["id"] as? String)
        let secret = try #require(body["secret"] as? String)
        #expect(id.hasPrefix("we_") && secret.hasPrefix("whsec_"))
        #expect(body["events"] as? [String] == ["customer.created", "grant.created"] && body["status"] as? String == "enabled")

        let shown = try harness.get("/v1/webhook-endpoints/\(id)", token: admin)
        #expect(shown.status == 200 && !shown.text.contains(secret))
        #expect(try shown.json()["secret"] == nil)
        let listed = try harness.get("/v1/webhook-endpoints", token: admin)
        #expect(listed.status == 200 && !listed.text.contains(secret))
        #expect(try (listed.json()["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])

        let patched = try harness.send("PATCH", "/v1/webhook-endpoints/\(id)", token: admin, body: try json(["events": ["*"], "enabled": false]))
        #expect(patched.status == 200, "\(patched.text)")
        #expect(try patched.json()["events"] as? [String] == ["*"] && patched.json()["status"] as? String == "disabled")
        #expect(try patched.json()["disabled_reason"] as? String == "disabled by an operator")
        let enabled = try harness.send("PATCH", "/v1/webhook-endpoints/\(id)", token: admin, body: try json(["enabled": true, "description": ""]))
        #expect(try enabled.json()["status"] as? String == "enabled" && enabled.json()["description"] == nil)

        let rotated = try harness.send("POST", "/v1/webhook-endpoints/\(id)/rotate-secret", token: admin)
        #expect(rotated.status == 200, "\(rotated.text)")
        let newSecret = try #require(try rotated.json()["secret"] as? String)
        #expect(try newSecret != secret && rotated.json()["previous_secret_expires_at"] as? String != nil)

        let test = try harness.send("POST", "/v1/webhook-endpoints/\(id)/test", token: admin)
        #expect(test.status == 202, "\(test.text)")
        let deliveryID = try #require(try test.json()["id"] as? String)
        let deliveries = try harness.get("/v1/webhook-endpoints/\(id)/deliveries?status=pending", token: admin)
        #expect(try (deliveries.json()["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [deliveryID])
        let redelivered = try harness.send("POST", "/v1/webhook-endpoints/\(id)/deliveries/\(deliveryID)/redeliver", token: admin)
        #expect(redelivered.status == 202, "\(redelivered.text)")

        for text in [shown.text, listed.text, patched.text, enabled.text, test.text, deliveries.text, redelivered.text] {
            #expect(!text.contains(secret) && !text.contains(newSecret))
        }
        #expect(!harness.logs.lines.contains { $0.contains(secret) || $0.contains(newSecret) })

        #expect(try harness.send("DELETE", "/v1/webhook-endpoints/\(id)", token: admin).status == 204)
        #expect(try harness.get("/v1/webhook-endpoints/\(id)", token: admin).status == 404)
        #expect(try harness.get("/v1/webhook-endpoints/\(id)/deliveries", token: admin).status == 404)
    }

    @Test(arguments: Backend.allCases)
    func everyBadInputIsAClear4xxThatChangesNothing(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let admin = try harness.token(.admin)
        let bad: [[String: Any]] = [
            ["url": "ftp://hooks.example.com/x", "events": ["*"]],
            ["url": "https://user:pw@hooks.example.com/x", "events": ["*"]],
            ["url": "hooks.example.com/x", "events": ["*"]],
            ["url": "https://hooks.example.com/x", "events": []],
            ["url": "https://hooks.example.com/x", "events": ["*", "grant.created"]],
            ["url": "https://hooks.example.com/x", "events": ["no.such"]],
            ["url": "https://hooks.example.com/x", "events": ["*"], "secret": "whsec_mine"],
            ["url": "https://hooks.example.com/x", "events": ["*"], "description": String(repeating: "d", count: 501)],
            ["events": ["*"]],
        ]
        for body in bad {
            let response = try harness.send("POST", "/v1/webhook-endpoints", token: admin, body: try json(body))
            #expect(response.status == 400, "\(body): \(response.text)")
            #expect(response.errorCode != nil)
        }
        #expect(try (harness.get("/v1/webhook-endpoints", token: admin).json()["data"] as? [Any])?.isEmpty == true, "nothing created")

        let created = try harness.send("POST", "/v1/webhook-endpoints", token: admin, body: try json(["url": "http://127.0.0.1:9/x", "events": ["*"]]))
        let id = try #require(try created.json()["id"] as? String)
        let before = try harness.get("/v1/webhook-endpoints/\(id)", token: admin).text
        for body: [String: Any] in [[:], ["url": "mailto:a@b.c"], ["enabled": "yes"], ["url": "https://ok.example.com/", "events": ["bad"]]] {
            let response = try harness.send("PATCH", "/v1/webhook-endpoints/\(id)", token: admin, body: try json(body))
            #expect(response.status == 400, "\(body): \(response.text)")
        }
        #expect(try harness.get("/v1/webhook-endpoints/\(id)", token: admin).text == before, "unchanged")
        #expect(try harness.send("PATCH", "/v1/webhook-endpoints/we_nope", token: admin, body: try json(["enabled": false])).status == 404)
        #expect(try harness.send("POST", "/v1/webhook-endpoints/we_nope/rotate-secret", token: admin).status == 404)
        #expect(try harness.send("POST", "/v1/webhook-endpoints/\(id)/deliveries/wdl_nope/redeliver", token: admin).status == 404)
        #expect(try harness.get("/v1/webhook-endpoints/\(id)/deliveries?status=lost", token: admin).status == 400)
        #expect(try harness.get("/v1/webhook-endpoints/\(id)/deliveries?starting_after=wdl_nope", token: admin).status == 400)
        // Admin scope only.
        let writer = try harness.token(.write, name: "writer")
        #expect(try harness.get("/v1/webhook-endpoints", token: writer).status == 403)
        #expect(try harness.send("POST", "/v1/webhook-endpoints", token: writer, body: try json(["url": "https://a.example.com/", "events": ["*"]])).status == 403)
    }
}
