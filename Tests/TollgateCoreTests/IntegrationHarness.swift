import Foundation
import TollgateEvents
@testable import TollgateCore
import TollgateCrypto
@testable import TollgateEntitlements
@testable import TollgateIntegrations
import TollgateLogging
import TollgateStore
import TollgateTestSupport

/// A migrated store with a catalog that gates integrations, a customer `acme` (with an email), and
/// `Services` whose providers `dot` and `dot2` are the OAuth peer (the real one from the
/// environment, or another such as ``FakeOAuthProvider/peer``).
///
/// Catalog: the default plan allows `integrations.dot` and `integrations.dot2` and one connection
/// (`integrations.connections` = 1); `integrations.locked` is in no plan.
final class IntegrationHarness {
    static let returnURL = "https://app.test/settings/integrations"
    static let catalog = """
        {"features": [
           {"key": "integrations.dot", "name": "Dot", "kind": "boolean"},
           {"key": "integrations.dot2", "name": "Dot 2", "kind": "boolean"},
           {"key": "integrations.locked", "name": "Locked", "kind": "boolean"},
           {"key": "integrations.connections", "name": "Connections", "kind": "limit"}],
         "plans": [{"key": "free", "name": "Free", "is_default": true,
           "entitlements": {"integrations.dot": true, "integrations.dot2": true, "integrations.connections": 1}}]}
        """

    let store: TestDatabase
    let peer: OAuthPeer
    let directory: String
    let key: String
    let logs = MemoryLogSink()
    /// The peer user this harness logs in as: the peer counts requests per user.
    let user = "user-\(UInt64.random(in: 0...UInt64.max))"
    private(set) var services: Services

    init(_ backend: Backend, refreshMarginSeconds: Int = 2, peer: OAuthPeer? = nil) throws {
        self.peer = try peer ?? OAuthPeer.required()
        store = try TestDatabase.make(backend)
        try store.migrate()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-oauth-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        key = try EncryptionKeyring.generateKeyEntry(id: "k1")
        services = try Self.services(on: store.database, peer: self.peer, directory: directory, key: key, margin: refreshMarginSeconds, logs: logs)
        _ = try services.catalog.apply(try Catalog.parse(Data(Self.catalog.utf8)))
        _ = try services.customers.upsert(.init(externalID: "acme", email: "ops@acme.test", name: "Acme Ops"))
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// The types of the integration events in the log so far, in log order.
    func integrationEvents() throws -> [String] {
        while try services.eventLog.publish() != nil {}
        return try services.eventLog.read(after: 0, limit: 1000, filter: .init(
            types: [.integrationConnected, .integrationDisconnected, .integrationRefreshFailed])).map(\.type.rawValue)
    }

    /// Services over `database` with the peer's providers (plus `locked`), sealing with `key`.
    static func services(
        on database: any Database, peer: OAuthPeer, directory: String, key: String, margin: Int = 2, tokenURL: String? = nil,
        maxFailures: Int = 3, logs: MemoryLogSink
    ) throws -> Services {
        let file = directory + "/providers-\(UInt32.random(in: 0...UInt32.max)).json"
        try peer.providersJSON(names: ["dot", "dot2", "locked"], refreshMarginSeconds: margin, tokenURL: tokenURL)
            .write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try Configuration(environment: [
            "TOLLGATE_DATABASE_URL": "sqlite::memory:", "TOLLGATE_OAUTH_PROVIDERS": file, "TOLLGATE_ENCRYPTION_KEY": key,
            "TOLLGATE_OAUTH_RETURN_URLS": returnURL, "TOLLGATE_ENTITLEMENT_CACHE_MS": "0",
            "TOLLGATE_OAUTH_MAX_REFRESH_FAILURES": String(maxFailures),
        ])
        return Services(
            configuration: configuration, database: database, migrationsRoot: TestDatabase.repositoryRoot + "/migrations",
            logger: Logger(label: "test", level: .trace, sink: logs))
    }

    /// Another instance on the same store (its own pool), as a second Tollgate process would be.
    func anotherInstance(key: String? = nil, tokenURL: String? = nil, maxFailures: Int = 3) throws -> Services {
        try Self.services(
            on: try store.openAnother(), peer: peer, directory: directory, key: key ?? self.key, tokenURL: tokenURL,
            maxFailures: maxFailures, logs: logs)
    }

    /// Start → authorize at the peer as `user` → the callback's query.
    func authorize(customer: String = "acme", provider: String = "dot", returnURL: String? = IntegrationHarness.returnURL) throws
        -> (start: AuthorizationStart, callback: [String: String]) {
        let start = try services.integrations.start(customer: customer, provider: provider, returnURL: returnURL)
        let location = try peer.authorize(url: start.authorizeURL, as: user)
        return (start, OAuthPeer.query(of: location))
    }

    /// A connected connection's id.
    func connect(customer: String = "acme", provider: String = "dot") throws -> String {
        let (_, query) = try authorize(customer: customer, provider: provider)
        let outcome = try services.integrations.callback(query: query)
        guard outcome.result == .connected, let id = outcome.connectionID else {
            throw HTTPTestClientError("connect failed: \(outcome.result.rawValue) \(outcome.message)")
        }
        return id
    }

    /// The sealed columns of a connection, as stored.
    func sealedRow(_ id: String) throws -> (access: String, refresh: String?, keyID: String) {
        try store.database.withConnection { connection in
            guard let row = try connection.queryFirst("SELECT access_token, refresh_token, key_id FROM oauth_connections WHERE id = \(id)") else {
                throw HTTPTestClientError("no row \(id)")
            }
            return (try row.get("access_token"), try row.get("refresh_token"), try row.get("key_id"))
        }
    }

    /// The refresh token held now, opened with the harness's key (to prove rotation at the peer).
    func heldRefreshToken(_ id: String) throws -> String? {
        guard let sealed = try sealedRow(id).refresh else { return nil }
        return try EncryptionKeyring(parsing: key).openString(sealed, associatedData: Array("oauth_connections:\(id):refresh_token".utf8))
    }

    /// Templates and dedupe keys of the queued mails.
    func queuedMails() throws -> [(template: String, dedupeKey: String, recipient: String)] {
        try store.database.withConnection { connection in
            try connection.query("SELECT template, dedupe_key, recipient FROM outbox_messages ORDER BY created_at").map { row in
                (try row.get("template"), try row.get("dedupe_key"), try row.get("recipient"))
            }
        }
    }
}
