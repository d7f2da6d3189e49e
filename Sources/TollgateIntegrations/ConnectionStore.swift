import Foundation
import TollgateCrypto
import TollgateEntitlements
import TollgateStore

/// The SQL of `oauth_connections` and `oauth_disconnections`: one short statement per method,
/// run on the caller's connection (its transaction).
enum ConnectionStore {
    /// Sealed tokens and what goes with them, as written after an exchange or a refresh.
    struct Tokens {
        var access: String
        var refresh: String?
        var keyID: String
        var tokenType: String
        var expiresAt: Date?
        var scopes: [String]
    }

    static func find(id: String, on connection: any SQLConnection) throws -> StoredConnection? {
        try connection.queryFirst("\(raw: StoredConnection.selectSQL) WHERE c.id = \(id)").map(StoredConnection.init(row:))
    }

    static func find(customerID: String, provider: String, on connection: any SQLConnection) throws -> StoredConnection? {
        try connection.queryFirst("\(raw: StoredConnection.selectSQL) WHERE c.customer_id = \(customerID) AND c.provider = \(provider)")
            .map(StoredConnection.init(row:))
    }

    /// Locks the row until the transaction ends (PostgreSQL `FOR UPDATE`; on SQLite the transaction
    /// already holds the write lock). False when the row does not exist.
    static func lock(id: String, on connection: any SQLConnection) throws -> Bool {
        try connection.queryFirst("SELECT id FROM oauth_connections WHERE id = \(id)\(raw: connection.dialect.lockRowsClause)") != nil
    }

    /// The connection, its row locked until the transaction ends (``lock(id:on:)``), or nil.
    /// Two statements: locking the joined select would lock the customer's row too.
    static func findLocked(id: String, on connection: any SQLConnection) throws -> StoredConnection? {
        guard try lock(id: id, on: connection) else { return nil }
        return try find(id: id, on: connection)
    }

    static func list(customerID: String, on connection: any SQLConnection) throws -> [StoredConnection] {
        try connection.query("\(raw: StoredConnection.selectSQL) WHERE c.customer_id = \(customerID) ORDER BY c.created_at, c.id")
            .map(StoredConnection.init(row:))
    }

    /// One page of connections, oldest first: `customerID`'s or everyone's, optionally only those
    /// with `status`, after the connection `page.startingAfter` (keyset on `created_at, id`).
    static func list(customerID: String?, status: ConnectionStatus?, page: PageRequest, on connection: any SQLConnection) throws -> Page<StoredConnection> {
        let status = status?.rawValue
        let rows: [Row]
        if let cursor = page.startingAfter {
            guard let anchor = try find(id: cursor, on: connection)?.connection else {
                throw DomainError.invalid("starting_after", "no connection \(cursor)")
            }
            rows = try connection.query("""
                \(raw: StoredConnection.selectSQL)
                WHERE (CAST(\(customerID) AS TEXT) IS NULL OR c.customer_id = \(customerID))
                    AND (CAST(\(status) AS TEXT) IS NULL OR c.status = \(status))
                    AND (c.created_at, c.id) > (\(anchor.createdAt), \(anchor.id))
                ORDER BY c.created_at, c.id LIMIT \(page.limit + 1)
                """)
        } else {
            rows = try connection.query("""
                \(raw: StoredConnection.selectSQL)
                WHERE (CAST(\(customerID) AS TEXT) IS NULL OR c.customer_id = \(customerID))
                    AND (CAST(\(status) AS TEXT) IS NULL OR c.status = \(status))
                ORDER BY c.created_at, c.id LIMIT \(page.limit + 1)
                """)
        }
        return Page(items: try rows.prefix(page.limit).map(StoredConnection.init(row:)), hasMore: rows.count > page.limit)
    }

    /// Connections of the customer to providers other than `provider` (for the connection limit).
    static func count(customerID: String, excluding provider: String, on connection: any SQLConnection) throws -> Int {
        try connection.queryFirst("""
            SELECT count(*) AS n FROM oauth_connections WHERE customer_id = \(customerID) AND provider <> \(provider)
            """)?.get("n") ?? 0
    }

    static func insert(
        id: String, customerID: String, provider: String, tokens: Tokens, account: String?, returnURL: String?, now: Date,
        on connection: any SQLConnection
    ) throws {
        try connection.execute("""
            INSERT INTO oauth_connections (id, customer_id, provider, status, access_token, refresh_token, key_id, token_type, expires_at,
                scopes, account, return_url, failure_count, last_error, refreshed_at, created_at, updated_at)
            VALUES (\(id), \(customerID), \(provider), 'active', \(tokens.access), \(tokens.refresh), \(tokens.keyID), \(tokens.tokenType),
                \(tokens.expiresAt), \(tokens.scopes.joined(separator: " ")), \(account), \(returnURL), 0, NULL, NULL, \(now), \(now))
            """)
    }

    /// A reconnect: new tokens, active again, failures forgotten.
    static func replace(id: String, tokens: Tokens, account: String?, returnURL: String?, now: Date, on connection: any SQLConnection) throws {
        try connection.execute("""
            UPDATE oauth_connections SET status = 'active', access_token = \(tokens.access), refresh_token = \(tokens.refresh),
                key_id = \(tokens.keyID), token_type = \(tokens.tokenType), expires_at = \(tokens.expiresAt),
                scopes = \(tokens.scopes.joined(separator: " ")), account = COALESCE(\(account), account),
                return_url = COALESCE(\(returnURL), return_url), failure_count = 0, last_error = NULL, updated_at = \(now)
            WHERE id = \(id)
            """)
    }

    /// After a successful refresh.
    static func refreshed(id: String, tokens: Tokens, now: Date, on connection: any SQLConnection) throws {
        try connection.execute("""
            UPDATE oauth_connections SET access_token = \(tokens.access), refresh_token = \(tokens.refresh), key_id = \(tokens.keyID),
                token_type = \(tokens.tokenType), expires_at = \(tokens.expiresAt), scopes = \(tokens.scopes.joined(separator: " ")),
                failure_count = 0, last_error = NULL, refreshed_at = \(now), updated_at = \(now)
            WHERE id = \(id)
            """)
    }

    /// After a failed refresh: counts it, and marks the connection `refresh_failed` when `failed`.
    static func refreshFailed(id: String, message: String, failed: Bool, now: Date, on connection: any SQLConnection) throws {
        let status = failed ? ConnectionStatus.refreshFailed.rawValue : ConnectionStatus.active.rawValue
        try connection.execute("""
            UPDATE oauth_connections SET failure_count = failure_count + 1, last_error = \(message), status = \(status), updated_at = \(now)
            WHERE id = \(id)
            """)
    }

    /// Re-sealed secrets (key rotation): nothing else changes.
    static func resealed(id: String, access: String, refresh: String?, keyID: String, on connection: any SQLConnection) throws {
        try connection.execute("""
            UPDATE oauth_connections SET access_token = \(access), refresh_token = \(refresh), key_id = \(keyID) WHERE id = \(id)
            """)
    }

    /// Ids of connections sealed under a key other than `keyID`, oldest first.
    static func sealedUnderOtherKeys(than keyID: String, on connection: any SQLConnection) throws -> [String] {
        try connection.query("SELECT id FROM oauth_connections WHERE key_id <> \(keyID) ORDER BY created_at, id").map { try $0.get("id") }
    }

    static func delete(id: String, on connection: any SQLConnection) throws {
        try connection.execute("DELETE FROM oauth_connections WHERE id = \(id)")
    }

    static func recordDisconnection(
        _ stored: StoredConnection, reason: String, revocation: RevocationOutcome, revocationError: String?, now: Date, on connection: any SQLConnection
    ) throws {
        try connection.execute("""
            INSERT INTO oauth_disconnections (id, connection_id, customer_id, provider, account, reason, revocation, revocation_error,
                disconnected_at)
            VALUES (\("dis_" + SecureRandom.token(20)), \(stored.connection.id), \(stored.connection.customerID), \(stored.connection.provider),
                \(stored.connection.account), \(reason), \(revocation.rawValue), \(revocationError), \(now))
            """)
    }
}
