import Foundation
import Testing
import TollgateCore
import TollgateCrypto
import TollgateEntitlements
import TollgateLogging
import TollgateTestSupport

/// The connection endpoints through a real server and the real OAuth peer; no token or secret in
/// any log line or error body.
@Suite(.enabled(if: OAuthPeer.shouldRun)) struct ConnectionEndpointTests {
    static let returnURL = "https://app.test/integrations"
    static let catalog = """
        {"features": [{"key": "integrations.dot", "name": "Dot", "kind": "boolean"},
                      {"key": "integrations.locked", "name": "Locked", "kind": "boolean"}],
         "plans": [{"key": "free", "name": "Free", "is_default": true, "entitlements": {"integrations.dot": true}}]}
        """

    func harness(_ backend: Backend, peer: OAuthPeer) throws -> (APIHarness, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("providers-\(UInt64.random(in: 0...UInt64.max)).json").path
        try peer.providersJSON(names: ["dot", "locked"]).write(toFile: file, atomically: true, encoding: .utf8)
        let key = try EncryptionKeyring.generateKeyEntry(id: "k1")
        let harness = try APIHarness(backend, environment: [
            "TOLLGATE_OAUTH_PROVIDERS": file, "TOLLGATE_ENCRYPTION_KEY": key, "TOLLGATE_OAUTH_RETURN_URLS": Self.returnURL,
            "TOLLGATE_ENTITLEMENT_CACHE_MS": "0",
        ])
        _ = try harness.services.catalog.apply(try Catalog.parse(Data(Self.catalog.utf8)))
        _ = try harness.services.customers.upsert(.init(externalID: "acme", email: "ops@acme.test"))
        return (harness, key)
    }

    func json(_ object: [String: Any]) throws -> [UInt8] { Array(try JSONSerialization.data(withJSONObject: object)) }

    @Test(arguments: Backend.allCases)
    func wholeFlowOverHTTPLeaksNoSecret(backend: Backend) throws {
        try OAuthPeer.exclusively {
            let peer = try OAuthPeer.required()
            let (api, key) = try harness(backend, peer: peer)
            let write = try api.token(.write)
            let read = try api.token(.read)
            var bodies: [String] = []

            let started = try api.send("POST", "/v1/customers/acme/connections", token: write,
                                       body: try json(["provider": "dot", "return_url": Self.returnURL]))
            #expect(started.status == 201)
            let authorizeURL = try #require(try started.json()["authorize_url"] as? String)
            let query = OAuthPeer.query(of: try peer.authorize(url: authorizeURL, as: "bob"))
            let code = try #require(query["code"])
            let callbackPath = "/oauth/callback?code=\(code)&state=\(query["state"] ?? "")"
            let callback = try api.get(callbackPath)
            #expect(callback.status == 302 && callback.header("Referrer-Policy") == "no-referrer")
            let location = try #require(callback.header("Location"))
            #expect(location.hasPrefix(Self.returnURL + "?outcome=connected&provider=dot&connection_id=con_"))
            let id = try #require(OAuthPeer.query(of: location)["connection_id"])
            // Replaying the callback: a clear outcome, not a 500.
            let replay = try api.get(callbackPath)
            #expect(replay.status == 302 && replay.header("Location")?.contains("outcome=state_replayed") == true)

            let listed = try api.get("/v1/customers/acme/connections", token: read)
            bodies.append(listed.text)
            #expect(listed.status == 200 && listed.text.contains(id) && !listed.text.contains("token\""))
            #expect(try api.get("/v1/connections/\(id)/token", token: read).status == 403)
            let token = try api.get("/v1/connections/\(id)/token", token: write)
            #expect(token.status == 200 && token.header("Cache-Control") == "no-store")
            let accessToken = try #require(try token.json()["access_token"] as? String)
            #expect(try peer.isActive(accessToken))

            let gate = try api.send("POST", "/v1/customers/acme/connections", token: write, body: try json(["provider": "locked"]))
            bodies.append(gate.text)
            #expect(gate.status == 403 && gate.errorCode == "not_entitled")
            let details = try #require((try gate.json()["error"] as? [String: Any])?["details"] as? [[String: Any]])
            #expect(details.first?["field"] as? String == "integrations.locked" && details.first?["issue"] as? String == "no_active_subscription")

            let badReturn = try api.send("POST", "/v1/customers/acme/connections", token: write,
                                         body: try json(["provider": "dot", "return_url": "https://evil.test/"]))
            bodies.append(badReturn.text)
            #expect(badReturn.status == 400)
            let unknownState = try api.get("/oauth/callback?state=nope&code=abc")
            bodies.append(unknownState.text)
            #expect(try unknownState.status == 400 && (unknownState.json()["outcome"] as? String) == "state_unknown")

            let deleted = try api.send("DELETE", "/v1/connections/\(id)", token: write)
            bodies.append(deleted.text)
            #expect(try deleted.status == 200 && (deleted.json()["revocation"] as? String) == "revoked")
            let gone = try api.get("/v1/connections/\(id)/token", token: write)
            bodies.append(gone.text)
            #expect(gone.status == 404 && gone.errorCode == "connection_not_found")

            let secrets = [accessToken, code, peer.clientSecret, String(key.dropFirst(3))]
            for line in api.logs.lines + bodies {
                for secret in secrets { #expect(!line.contains(secret), "a secret leaked into: \(line.prefix(200))") }
            }
            #expect(api.logs.lines.contains { $0.contains("oauth connected") })
        }
    }
}

/// The connection endpoints when integrations are not configured (no peer needed).
@Suite struct UnconfiguredConnectionEndpointTests {
    @Test func withoutProvidersTheEndpointsAnswer409NamingTheSetting() throws {
        let api = try APIHarness(.sqlite)
        let write = try api.token(.write)
        let response = try api.send("POST", "/v1/customers/acme/connections", token: write, body: Array(#"{"provider": "github"}"#.utf8))
        #expect(response.status == 409 && response.errorCode == "integrations_not_configured")
        #expect(response.text.contains("TOLLGATE_OAUTH_PROVIDERS"))
        let token = try api.send("GET", "/v1/connections/conn_x/token", token: write)
        #expect(token.status == 409 && token.errorCode == "integrations_not_configured")
        let disconnect = try api.send("DELETE", "/v1/connections/conn_x", token: write)
        #expect(disconnect.status == 409 && disconnect.errorCode == "integrations_not_configured")
        let callback = try api.get("/oauth/callback?state=x&code=y")
        #expect(try callback.status == 503 && (callback.json()["outcome"] as? String) == "server_error")
    }
}
