import TollgateCrypto
import TollgateOAuth

/// Seals and opens the secrets Tollgate stores (tokens, PKCE verifiers) with the configured
/// ``EncryptionKeyring`` (AES-256-GCM). The associated data binds each ciphertext to its row and
/// column, so a ciphertext copied to another row or column does not open.
struct TokenSealer: Sendable {
    let keyring: EncryptionKeyring

    func seal(_ secret: OAuthSecret, context: String) throws(IntegrationError) -> String {
        do {
            return try keyring.seal(secret.value, associatedData: Array(context.utf8))
        } catch {
            throw IntegrationError(.keyUnavailable, "sealing failed: \(error)")
        }
    }

    func open(_ sealed: String, context: String) throws(IntegrationError) -> OAuthSecret {
        do {
            return OAuthSecret(try keyring.openString(sealed, associatedData: Array(context.utf8)))
        } catch {
            let keyID = EncryptionKeyring.keyID(of: sealed) ?? "?"
            throw IntegrationError(
                .keyUnavailable,
                "a stored secret (key \(keyID)) cannot be opened with TOLLGATE_ENCRYPTION_KEY (keys \(keyring.keyIDs.joined(separator: ", ")))")
        }
    }

    static func accessContext(_ connectionID: String) -> String { "oauth_connections:\(connectionID):access_token" }
    static func refreshContext(_ connectionID: String) -> String { "oauth_connections:\(connectionID):refresh_token" }
    static func verifierContext(_ stateHash: String) -> String { "oauth_states:\(stateHash):code_verifier" }
}
