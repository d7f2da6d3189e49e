import Foundation
import TollgateCrypto
import TollgateOAuth

/// OAuth integrations, from the `TOLLGATE_OAUTH_*`, `TOLLGATE_ENCRYPTION_KEY` and
/// `TOLLGATE_PUBLIC_URL` variables. Validated at start-up: a bad providers file or key stops
/// the service with an error naming the variable (and the provider and field).
public struct IntegrationSettings: Sendable {
    /// `TOLLGATE_OAUTH_PROVIDERS`: the providers file, read at start-up; empty when unset (then the
    /// connection endpoints answer 503 `integrations_not_configured`).
    public var providers: [String: OAuthProvider]
    /// `TOLLGATE_ENCRYPTION_KEY`: `KEYID:BASE64[,KEYID:BASE64…]`, the first sealing new tokens;
    /// required when providers are configured. Secret.
    public var keyring: EncryptionKeyring?
    /// `TOLLGATE_PUBLIC_URL`: Tollgate's own public base URL; the default redirect URI is
    /// `<public url>/oauth/callback`.
    public var publicURL: String?
    /// `TOLLGATE_OAUTH_RETURN_URLS`: return URLs a start request may name, compared by exact
    /// string match (comma-separated). Empty: no return URL is accepted.
    public var returnURLs: Set<String>
    /// `TOLLGATE_OAUTH_STATE_TTL_SECONDS`: how long a started authorization may take.
    public var stateTTLSeconds: Int
    /// `TOLLGATE_OAUTH_MAX_REFRESH_FAILURES`: failed refreshes in a row (other than
    /// `invalid_grant`, which counts as all of them) before a connection is `refresh_failed`.
    public var maxRefreshFailures: Int

    /// The path of the callback route.
    public static let callbackPath = "/oauth/callback"

    /// Loads the providers file (its errors name the provider and the field); the key is
    /// required when there are providers.
    init(values: inout SettingValues) {
        publicURL = values[Settings.publicURL]
        keyring = values[Settings.encryptionKey]
        returnURLs = Set(values[Settings.oauthReturnURLs])
        stateTTLSeconds = values[Settings.oauthStateTTLSeconds]
        maxRefreshFailures = values[Settings.oauthMaxRefreshFailures]
        providers = [:]
        guard let path = values[Settings.oauthProviders] else { return }
        do {
            providers = try OAuthProviderFile.load(
                path: path, environment: values.environment, defaultRedirectURI: publicURL.map { $0 + Self.callbackPath })
        } catch {
            values.fail(Settings.oauthProviders.name, error.description)
            return
        }
        if keyring == nil, !providers.isEmpty, !values.hasProblem(Settings.encryptionKey) {
            values.fail(Settings.encryptionKey.name, "is required when TOLLGATE_OAUTH_PROVIDERS is set")
        }
    }
}
