package import Foundation
import TollgateCrypto
package import TollgateStore

/// API keys in the store.
package struct APIKeyRepository: Sendable {
    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    /// Creates a key and returns it with its token; the token is never retrievable again.
    package func create(name: String, scope: APIKeyScope, now: Date = Date()) throws -> (key: APIKey, token: APIKeyToken) {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw DomainError.invalid("name", "a key needs a name of 1 to 200 characters")
        }
        let token = APIKeyToken(id: try SecureRandom.token(APIKeyToken.idLength), secret: try SecureRandom.token(APIKeyToken.secretLength))
        let key = APIKey(id: token.id, name: trimmed, scope: scope, createdAt: now)
        try database.withConnection { connection in
            try connection.execute("""
                INSERT INTO api_keys (id, name, scope, secret_hash, created_at)
                VALUES (\(key.id), \(key.name), \(key.scope.rawValue), \(SHA256.hex(token.value)), \(now))
                """)
        }
        return (key, token)
    }

    /// Every key, oldest first, revoked ones included.
    package func list() throws -> [APIKey] {
        try database.withConnection { connection in
            try connection.query("""
                SELECT id, name, scope, created_at, revoked_at, last_used_at
                FROM api_keys ORDER BY created_at, id
                """).map(Self.key(from:))
        }
    }

    /// One page of keys, oldest first, after the key `startingAfter` (a key id).
    package func list(page: PageRequest) throws -> Page<APIKey> {
        try database.withConnection { connection in
            let rows: [Row]
            if let cursor = page.startingAfter {
                guard try connection.queryFirst("SELECT id FROM api_keys WHERE id = \(cursor)") != nil else {
                    throw DomainError.invalid("starting_after", "no api key with id \(cursor)")
                }
                rows = try connection.query("""
                    SELECT id, name, scope, created_at, revoked_at, last_used_at FROM api_keys
                    WHERE (created_at, id) > (SELECT created_at, id FROM api_keys WHERE id = \(cursor))
                    ORDER BY created_at, id LIMIT \(page.limit + 1)
                    """)
            } else {
                rows = try connection.query("""
                    SELECT id, name, scope, created_at, revoked_at, last_used_at FROM api_keys
                    ORDER BY created_at, id LIMIT \(page.limit + 1)
                    """)
            }
            return Page(items: try rows.prefix(page.limit).map(Self.key(from:)), hasMore: rows.count > page.limit)
        }
    }

    package func find(id: String) throws -> APIKey? {
        try database.withConnection { connection in
            try connection.queryFirst("""
                SELECT id, name, scope, created_at, revoked_at, last_used_at FROM api_keys WHERE id = \(id)
                """).map(Self.key(from:))
        }
    }

    /// Revokes a key; revoking a revoked key keeps its first revocation time.
    package func revoke(id: String, now: Date = Date()) throws -> APIKey {
        try database.transaction { connection in
            try connection.execute("UPDATE api_keys SET revoked_at = \(now) WHERE id = \(id) AND revoked_at IS NULL")
            guard let row = try connection.queryFirst("""
                SELECT id, name, scope, created_at, revoked_at, last_used_at FROM api_keys WHERE id = \(id)
                """) else { throw DomainError.notFound("api key \(id)") }
            return try Self.key(from: row)
        }
    }

    /// The stored record and hash for a key id, for verification.
    func credential(id: String) throws -> (key: APIKey, secretHash: String)? {
        try database.withConnection { connection in
            guard let row = try connection.queryFirst("""
                SELECT id, name, scope, created_at, revoked_at, last_used_at, secret_hash FROM api_keys WHERE id = \(id)
                """) else { return nil }
            return (try Self.key(from: row), try row.get("secret_hash"))
        }
    }

    func markUsed(id: String, at time: Date) throws {
        try database.withConnection { connection in
            try connection.execute("UPDATE api_keys SET last_used_at = \(time) WHERE id = \(id)")
        }
    }

    private static func key(from row: Row) throws -> APIKey {
        let scopeName: String = try row.get("scope")
        guard let scope = APIKeyScope(rawValue: scopeName) else {
            throw StoreError(.decoding, "unknown scope in api_keys")
        }
        return APIKey(
            id: try row.get("id"), name: try row.get("name"), scope: scope,
            createdAt: try row.get("created_at"), revokedAt: try row.get("revoked_at"), lastUsedAt: try row.get("last_used_at"))
    }
}
