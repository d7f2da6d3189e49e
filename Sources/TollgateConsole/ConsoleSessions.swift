import Foundation
import TollgateCrypto
import TollgateEntitlements
import TollgateStore

/// A signed-in browser: the key that signed in and the token its forms carry.
struct ConsoleSession: Sendable, Equatable {
    var apiKeyID: String
    var csrfToken: String
    var expiresAt: Date
}

/// Console sessions in the store (`console_sessions`, migration 0024). The cookie carries a random
/// session id; only its SHA-256 is stored, so a copy of the store signs nobody in.
struct ConsoleSessionStore: Sendable {
    /// How long a session lasts from sign-in (absolute, not sliding): a working day.
    static let lifetime: TimeInterval = 12 * 3600
    static let idLength = 43
    static let csrfLength = 43

    let database: any Database

    /// Starts a session for `key`; returns the id the cookie carries (never stored) and the session.
    func create(apiKeyID: String, now: Date = Date()) throws -> (id: String, session: ConsoleSession) {
        let id = try SecureRandom.token(Self.idLength)
        let session = ConsoleSession(apiKeyID: apiKeyID, csrfToken: try SecureRandom.token(Self.csrfLength), expiresAt: now.addingTimeInterval(Self.lifetime))
        try database.transaction { connection in
            // Ended sessions go when a new one starts: the table holds live sessions and a few stale ones.
            try connection.execute("DELETE FROM console_sessions WHERE expires_at <= \(now)")
            try connection.execute("""
                INSERT INTO console_sessions (id_hash, api_key_id, csrf_token, created_at, expires_at)
                VALUES (\(SHA256.hex(id)), \(apiKeyID), \(session.csrfToken), \(now), \(session.expiresAt))
                """)
        }
        return (id, session)
    }

    /// The live session with this id; nil when unknown or expired.
    func find(id: String, now: Date = Date()) throws -> ConsoleSession? {
        guard !id.isEmpty, id.utf8.count <= 128 else { return nil }
        return try database.withConnection { connection in
            guard let row = try connection.queryFirst("""
                SELECT api_key_id, csrf_token, expires_at FROM console_sessions WHERE id_hash = \(SHA256.hex(id)) AND expires_at > \(now)
                """) else { return nil }
            return ConsoleSession(apiKeyID: try row.get("api_key_id"), csrfToken: try row.get("csrf_token"), expiresAt: try row.get("expires_at"))
        }
    }

    /// Ends the session (sign-out, or its key was revoked).
    func delete(id: String) throws {
        try database.withConnection { connection in
            _ = try connection.execute("DELETE FROM console_sessions WHERE id_hash = \(SHA256.hex(id))")
        }
    }
}
