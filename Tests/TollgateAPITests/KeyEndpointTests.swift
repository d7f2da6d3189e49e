import Foundation
import Testing
import TollgateCore
import TollgateEntitlements
import TollgateLogging
import TollgateTestSupport

@Suite struct KeyEndpointTests {
    @Test(arguments: Backend.allCases)
    func missingOrUnknownKeyIs401(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let missing = try harness.get("/v1/keys")
        #expect(missing.status == 401)
        #expect(missing.errorCode == "unauthorized")
        #expect(missing.header("WWW-Authenticate") == "Bearer")
        let unknown = try harness.get("/v1/keys", token: "tg_AAAAAAAAAAAA_" + String(repeating: "b", count: 40))
        #expect(unknown.status == 401)
        let malformed = try harness.get("/v1/keys", headers: [("Authorization", "Basic dXNlcjpwYXNz")])
        #expect(malformed.status == 401)
    }

    @Test(arguments: Backend.allCases)
    func keyWithoutTheScopeIs403(backend: Backend) throws {
        let harness = try APIHarness(backend)
        for scope in [APIKeyScope.read, .write] {
            let response = try harness.get("/v1/keys", token: try harness.token(scope))
            #expect(response.status == 403)
            #expect(response.errorCode == "insufficient_scope")
        }
    }

    @Test(arguments: Backend.allCases)
    func adminListsKeysWithoutSecretsInPages(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let now = Date()
        let admin = try harness.services.apiKeys.create(name: "ops", scope: .admin, now: now).token.value
        let other = try harness.services.apiKeys.create(name: "reader", scope: .read, now: now.addingTimeInterval(1)).token.value
        let response = try harness.get("/v1/keys", token: admin)
        #expect(response.status == 200)
        let body = try response.json()
        let data = try #require(body["data"] as? [[String: Any]])
        #expect(data.map { $0["name"] as? String } == ["ops", "reader"])
        #expect(body["has_more"] as? Bool == false)
        let fields = Set(data[0].keys)
        #expect(fields.isSubset(of: ["id", "name", "scope", "created_at", "revoked_at", "last_used_at"]))
        #expect(fields.isSuperset(of: ["id", "name", "scope", "created_at"]))
        #expect(!response.text.contains(admin) && !response.text.contains(other))
        #expect(!response.text.contains("secret_hash"))

        let firstPage = try harness.get("/v1/keys?limit=1", token: admin).json()
        #expect((firstPage["data"] as? [Any])?.count == 1)
        #expect(firstPage["has_more"] as? Bool == true)
        let firstID = try #require((firstPage["data"] as? [[String: Any]])?.first?["id"] as? String)
        let secondPage = try harness.get("/v1/keys?limit=1&starting_after=\(firstID)", token: admin).json()
        #expect((secondPage["data"] as? [[String: Any]])?.first?["name"] as? String == "reader")
        #expect(secondPage["has_more"] as? Bool == false)

        for bad in ["limit=0", "limit=101", "limit=ten", "starting_after=nope"] {
            let response = try harness.get("/v1/keys?\(bad)", token: admin)
            #expect(response.status == 400, "\(bad)")
            #expect(response.errorCode == "invalid_request")
        }
    }

    @Test(arguments: Backend.allCases)
    func revokedKeyIsRefusedAndUnknownKeyIs404(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let admin = try harness.token(.admin)
        let (victim, victimToken) = try harness.services.apiKeys.create(name: "victim", scope: .admin)
        #expect(try harness.get("/v1/keys/\(victim.id)", token: victimToken.value).status == 200)
        let revoked = try harness.send("DELETE", "/v1/keys/\(victim.id)", token: admin)
        #expect(revoked.status == 200)
        #expect(try revoked.json()["revoked_at"] is String)
        #expect(try harness.get("/v1/keys", token: victimToken.value).status == 401)
        let missing = try harness.get("/v1/keys/doesnotexist", token: admin)
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
    }

    @Test func noKeyOrSecretReachesTheLogsOrErrorBodies() throws {
        let harness = try APIHarness(.sqlite)
        let admin = try harness.token(.admin)
        let reader = try harness.token(.read)
        let forged = String(admin.dropLast()) + (admin.hasSuffix("a") ? "b" : "a")
        var bodies: [String] = []
        for token in [admin, reader, forged] {
            bodies.append(try harness.get("/v1/keys", token: token).text)
            bodies.append(try harness.get("/v1/keys/nope", token: token).text)
        }
        let logged = harness.logs.lines.joined(separator: "\n")
        #expect(!logged.isEmpty)
        for secret in [admin, reader, forged] {
            let secretPart = String(secret.split(separator: "_").last ?? "")
            #expect(!logged.contains(secretPart))
            #expect(!bodies.joined().contains(secretPart))
        }
    }
}
