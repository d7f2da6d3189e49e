import Foundation
import Testing
import TollgateCore
import TollgateCrypto
import TollgateIntegrations
import TollgateLogging
import TollgateTestSupport

/// `tollgate connections list|show|reencrypt|disconnect` on a connection made through the real peer.
@Suite(.enabled(if: OAuthPeer.shouldRun)) struct ConnectionsCommandTests {
    @Test func operatorListsRotatesKeysAndDisconnects() throws {
        try OAuthPeer.exclusively {
            let peer = try OAuthPeer.required()
            let store = try TestDatabase.make(.sqlite)
            defer { withExtendedLifetime(store) {} }
            let folder = try TollgateBinary.temporaryFolder()
            let providers = folder + "/providers.json"
            try peer.providersJSON(names: ["dot"]).write(toFile: providers, atomically: true, encoding: .utf8)
            let oldKey = try EncryptionKeyring.generateKeyEntry(id: "old")
            let newKey = try EncryptionKeyring.generateKeyEntry(id: "new")
            let extra = ["TOLLGATE_OAUTH_PROVIDERS": providers, "TOLLGATE_ENCRYPTION_KEY": oldKey, "TOLLGATE_ENTITLEMENT_CACHE_MS": "0"]
            var environment = TollgateBinary.environment(databaseURL: store.url, extra: extra)
            #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
            let catalog = folder + "/catalog.json"
            try """
                {"features": [{"key": "integrations.dot", "name": "Dot", "kind": "boolean"}],
                 "plans": [{"key": "free", "name": "Free", "is_default": true, "entitlements": {"integrations.dot": true}}]}
                """.write(toFile: catalog, atomically: true, encoding: .utf8)
            #expect(InProcessCLI.run(["plans", "apply", catalog], environment: environment).status == 0)
            #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "acme"], environment: environment).status == 0)

            // Connect in-process, as the server would.
            let services = Services(
                configuration: try Configuration(environment: environment), database: store.database,
                migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: .disabled)
            let start = try services.integrations.start(customer: "acme", provider: "dot")
            let outcome = try services.integrations.callback(query: OAuthPeer.query(of: try peer.authorize(url: start.authorizeURL, as: "carol")))
            let id = try #require(outcome.connectionID)
            let token = try services.integrations.freshToken(connectionID: id).accessToken

            let listed = InProcessCLI.run(["connections", "list", "--customer", "acme", "--json"], environment: environment)
            #expect(listed.status == 0 && listed.standardOutput.contains(id) && keyIDs(listed.standardOutput) == ["old"], "\(listed.standardError)")
            let shown = InProcessCLI.run(["connections", "show", id], environment: environment)
            #expect(shown.status == 0 && shown.standardOutput.contains("active"))
            #expect(!listed.standardOutput.contains(token) && !shown.standardOutput.contains(token))
            #expect(InProcessCLI.run(["connections", "show", "con_nope"], environment: environment).status == 1)

            environment["TOLLGATE_ENCRYPTION_KEY"] = newKey + "," + oldKey
            let reencrypted = InProcessCLI.run(["connections", "reencrypt", "--json"], environment: environment)
            #expect(try reencrypted.status == 0 && (json(reencrypted.standardOutput)["resealed"] as? Int) == 1, "\(reencrypted.standardOutput)\(reencrypted.standardError)")
            environment["TOLLGATE_ENCRYPTION_KEY"] = newKey
            let after = InProcessCLI.run(["connections", "list", "--json"], environment: environment)
            #expect(keyIDs(after.standardOutput) == ["new"])

            let disconnected = InProcessCLI.run(["connections", "disconnect", id, "--yes"], environment: environment)
            #expect(disconnected.status == 0 && disconnected.standardOutput.contains("revocation: revoked"), "\(disconnected.standardOutput)\(disconnected.standardError)")
            #expect(!(try peer.isActive(token)))
            #expect(keyIDs(InProcessCLI.run(["connections", "list", "--json"], environment: environment).standardOutput) == [])
        }
    }

    func json(_ text: String) throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    func keyIDs(_ text: String) -> [String]? {
        ((try? json(text))?["data"] as? [[String: Any]])?.compactMap { $0["key_id"] as? String }
    }
}
