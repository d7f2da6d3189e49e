import Foundation
import Testing
import TollgateCore
import TollgateEntitlements
import TollgateTestSupport

@Suite struct CustomerEndpointTests {
    @Test(arguments: Backend.allCases)
    func customersAreUpsertedFetchedAndListed(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let writer = try harness.token(.write)
        let created = try harness.send("POST", "/v1/customers", token: writer,
                                       body: Array(#"{"external_id":"org_42","email":"ops@acme.test","name":"Acme","metadata":{"region":"eu"}}"#.utf8))
        #expect(created.status == 201, "\(created.text)")
        let body = try created.json()
        #expect(body["external_id"] as? String == "org_42")
        #expect((body["metadata"] as? [String: String]) == ["region": "eu"])
        #expect((body["id"] as? String)?.hasPrefix("cus_") == true)

        let updated = try harness.send("POST", "/v1/customers", token: writer, body: Array(#"{"external_id":"org_42","name":"Acme Inc"}"#.utf8))
        #expect(updated.status == 200)
        #expect(try updated.json()["email"] as? String == "ops@acme.test")

        let reader = try harness.token(.read)
        let fetched = try harness.get("/v1/customers/org_42", token: reader)
        #expect(try fetched.json()["name"] as? String == "Acme Inc")
        let list = try harness.get("/v1/customers", token: reader).json()
        #expect((list["data"] as? [[String: Any]])?.count == 1)
        #expect(list["has_more"] as? Bool == false)
        #expect(try harness.send("POST", "/v1/customers", token: reader, body: Array("{}".utf8)).status == 403)
    }

    @Test(arguments: Backend.allCases)
    func badCustomerInputIsA4xxAndChangesNothing(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let writer = try harness.token(.write)
        let cases: [(String, Int, String)] = [
            ("{not json", 400, "invalid_json"),
            (#"{"email":"x@y.z"}"#, 400, "parameter_missing"),
            (#"{"external_id":42}"#, 400, "parameter_invalid"),
            (#"{"external_id":"a b"}"#, 400, "invalid_request"),
            (#"{"external_id":"ok","email":"nope"}"#, 400, "invalid_request"),
        ]
        for (body, status, code) in cases {
            let response = try harness.send("POST", "/v1/customers", token: writer, body: Array(body.utf8))
            #expect(response.status == status, "\(body)")
            #expect(response.errorCode == code, "\(body): \(response.text)")
        }
        #expect(try harness.services.customers.list(page: PageRequest()).items.isEmpty)
        let missing = try harness.get("/v1/customers/nobody", token: writer)
        #expect(missing.status == 404)
    }

    @Test(arguments: Backend.allCases)
    func idempotencyKeyReplaysTheFirstResponseAndRefusesAnotherBody(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let writer = try harness.token(.write)
        func post(_ body: String, key: String) throws -> TestResponse {
            try harness.request("POST", "/v1/customers", token: writer, headers: [
                ("Content-Type", "application/json"), ("Idempotency-Key", key),
            ], body: Array(body.utf8))
        }
        let first = try post(#"{"external_id":"org_1","name":"First"}"#, key: "create-org-1")
        #expect(first.status == 201)
        // Change the customer in between: a replay must still answer the first response.
        _ = try harness.services.customers.upsert(.init(externalID: "org_1", name: "Changed"))
        let replay = try post(#"{"external_id":"org_1","name":"First"}"#, key: "create-org-1")
        #expect(replay.status == 201)
        #expect(replay.body == first.body)
        #expect(replay.header("Idempotent-Replayed") == "true")
        #expect(try harness.services.customers.get(externalID: "org_1").name == "Changed")

        let reused = try post(#"{"external_id":"org_1","name":"Other"}"#, key: "create-org-1")
        #expect(reused.status == 422)
        #expect(reused.errorCode == "idempotency_key_reused")

        // A 4xx is replayed too, and a new key runs the request anew.
        let bad = try post("{oops", key: "bad-1")
        #expect(bad.status == 400)
        #expect(try post("{oops", key: "bad-1").header("Idempotent-Replayed") == "true")
        #expect(try post(#"{"external_id":"org_2"}"#, key: "create-org-2").status == 201)
    }
}
