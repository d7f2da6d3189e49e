import Foundation
import TollgateCrypto
import TollgateStore

/// The SQL of `oauth_states`: one-time authorization states, stored by the SHA-256 of the state.
enum OAuthStateStore {
    /// A state row, as the callback consumes it.
    struct Pending: Sendable {
        var customerID: String
        var provider: String
        var returnURL: String?
        var scopes: [String]?
        var sealedVerifier: String
        var expiresAt: Date
    }

    /// What consuming a state found.
    enum Consumed: Sendable {
        /// The state was pending and is now consumed; it may have expired (the caller checks
        /// `expiresAt`, after the provider).
        case pending(Pending)
        /// Never issued, or purged.
        case unknown
        /// Already consumed; the return URL it was bound to.
        case replayed(returnURL: String?)
    }

    static func hash(_ state: String) -> String { SHA256.hex(state) }

    static func insert(
        stateHash: String, customerID: String, provider: String, returnURL: String?, scopes: [String]?, sealedVerifier: String,
        now: Date, expiresAt: Date, on connection: any SQLConnection
    ) throws {
        try connection.execute("""
            INSERT INTO oauth_states (state_hash, customer_id, provider, return_url, scopes, code_verifier, created_at, expires_at, consumed_at)
            VALUES (\(stateHash), \(customerID), \(provider), \(returnURL), \(scopes?.joined(separator: " ")), \(sealedVerifier), \(now),
                \(expiresAt), NULL)
            """)
    }

    /// Marks the state consumed and returns it, in one statement: of two concurrent callbacks with
    /// the same state, exactly one gets the row. An expired state is consumed too (and reported
    /// by the caller from `expiresAt`).
    static func consume(stateHash: String, now: Date, on connection: any SQLConnection) throws -> Consumed {
        if let row = try connection.queryFirst("""
            UPDATE oauth_states SET consumed_at = \(now) WHERE state_hash = \(stateHash) AND consumed_at IS NULL
            RETURNING customer_id, provider, return_url, scopes, code_verifier, expires_at
            """) {
            let scopes: String? = try row.get("scopes")
            return .pending(Pending(
                customerID: try row.get("customer_id"), provider: try row.get("provider"), returnURL: try row.get("return_url"),
                scopes: scopes.map { $0.split(separator: " ").map(String.init) }, sealedVerifier: try row.get("code_verifier"),
                expiresAt: try row.get("expires_at")))
        }
        guard let known = try connection.queryFirst("SELECT return_url FROM oauth_states WHERE state_hash = \(stateHash)") else { return .unknown }
        return .replayed(returnURL: try known.get("return_url"))
    }

    /// Forgets states that expired more than a day ago (replays of older ones read as unknown).
    static func purge(before cutoff: Date, on connection: any SQLConnection) throws {
        try connection.execute("DELETE FROM oauth_states WHERE expires_at < \(cutoff)")
    }
}
