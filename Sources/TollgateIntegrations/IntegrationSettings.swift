import Foundation
package import TollgateCrypto
package import TollgateOAuth

/// OAuth integrations, from the `TOLLGATE_OAUTH_*`, `TOLLGATE_ENCRYPTION_KEY` and
/// `TOLLGATE_PUBLIC_URL` variables. Validated at start-up: a bad providers file or key stops
/// the service with an error naming the variable (and the provider and field).
package struct IntegrationSettings: Sendable {
    /// `TOLLGATE_OAUTH_PROVIDERS`: the providers file, read at start-up; empty when unset (then the
    /// connection endpoints answer 409 `integrations_not_configured`).
    package var providers: [String: OAuthProvider]
    /// `TOLLGATE_ENCRYPTION_KEY`: `KEYID:BASE64[,KEYID:BASE64…]`, the first sealing new tokens;
    /// required when providers are configured. Secret.
    package var keyring: EncryptionKeyring?
    /// `TOLLGATE_PUBLIC_URL`: Tollgate's own public base URL; the default redirect URI is
    /// `<public url>/oauth/callback`.
    package var publicURL: String?
    /// `TOLLGATE_OAUTH_RETURN_URLS`: return URLs a start request may name, compared by exact
    /// string match (comma-separated). Empty: no return URL is accepted.
    package var returnURLs: Set<String>
    /// `TOLLGATE_OAUTH_STATE_TTL_SECONDS`: how long a started authorization may take.
    package var stateTTLSeconds: Int
    /// `TOLLGATE_OAUTH_MAX_REFRESH_FAILURES`: failed refreshes in a row (other than
    /// `invalid_grant`, which counts as all of them) before a connection is `refresh_failed`.
    package var maxRefreshFailures: Int

    /// The path of the callback route.
    package static let callbackPath = "/oauth/callback"

    package init(
        providers: [String: OAuthProvider], keyring: EncryptionKeyring?, publicURL: String?, returnURLs: Set<String>, stateTTLSeconds: Int,
        maxRefreshFailures: Int
    ) {
        self.providers = providers
        self.keyring = keyring
        self.publicURL = publicURL
        self.returnURLs = returnURLs
        self.stateTTLSeconds = stateTTLSeconds
        self.maxRefreshFailures = maxRefreshFailures
    }
}
