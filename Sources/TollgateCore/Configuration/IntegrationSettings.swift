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
    /// `TOLLGATE_OAUTH_STATE_TTL_SECONDS`: how long a started authorization may take. Default 600.
    public var stateTTLSeconds: Int
    /// `TOLLGATE_OAUTH_MAX_REFRESH_FAILURES`: failed refreshes in a row (other than
    /// `invalid_grant`, which counts as all of them) before a connection is `refresh_failed`. Default 3.
    public var maxRefreshFailures: Int

    /// The path of the callback route.
    public static let callbackPath = "/oauth/callback"

    static let defaults: [String: String] = [
        "TOLLGATE_OAUTH_STATE_TTL_SECONDS": "600",
        "TOLLGATE_OAUTH_MAX_REFRESH_FAILURES": "3",
    ]

    static let variables: [(name: String, secret: Bool, summary: String)] = [
        ("TOLLGATE_OAUTH_PROVIDERS", false, "path of the OAuth providers JSON file; unset disables integrations"),
        ("TOLLGATE_ENCRYPTION_KEY", true, "KEYID:BASE64 (32 bytes) keys, comma-separated, first seals; required with providers"),
        ("TOLLGATE_PUBLIC_URL", false, "Tollgate's public base URL; redirect URIs default to it + /oauth/callback"),
        ("TOLLGATE_OAUTH_RETURN_URLS", false, "return URLs a connection start may name (exact match, comma-separated)"),
        ("TOLLGATE_OAUTH_STATE_TTL_SECONDS", false, "seconds an authorization may take from start to callback (60–3600)"),
        ("TOLLGATE_OAUTH_MAX_REFRESH_FAILURES", false, "failed refreshes in a row before a connection is refresh_failed (1–100)"),
    ]

    init(reader: EnvironmentReader) throws(ConfigurationError) {
        publicURL = reader.optional("TOLLGATE_PUBLIC_URL").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        if let publicURL {
            guard let components = URLComponents(string: publicURL), ["http", "https"].contains(components.scheme ?? ""),
                  components.host?.isEmpty == false, components.query == nil, components.fragment == nil
            else { throw ConfigurationError(variable: "TOLLGATE_PUBLIC_URL", message: "must be an http(s) URL without a query") }
        }
        if let key = reader.optional("TOLLGATE_ENCRYPTION_KEY") {
            do {
                keyring = try EncryptionKeyring(parsing: key)
            } catch {
                // The error describes the format, never the key material.
                throw ConfigurationError(variable: "TOLLGATE_ENCRYPTION_KEY", message: "\(error)")
            }
        } else {
            keyring = nil
        }
        if let path = reader.optional("TOLLGATE_OAUTH_PROVIDERS") {
            do {
                providers = try OAuthProviderFile.load(
                    path: path, environment: reader.environment, defaultRedirectURI: publicURL.map { $0 + Self.callbackPath })
            } catch {
                throw ConfigurationError(variable: "TOLLGATE_OAUTH_PROVIDERS", message: error.description)
            }
            guard keyring != nil || providers.isEmpty else {
                throw ConfigurationError(variable: "TOLLGATE_ENCRYPTION_KEY", message: "is required when TOLLGATE_OAUTH_PROVIDERS is set")
            }
        } else {
            providers = [:]
        }
        returnURLs = []
        for entry in (reader.optional("TOLLGATE_OAUTH_RETURN_URLS") ?? "").split(separator: ",") {
            let url = entry.trimmingCharacters(in: .whitespaces)
            guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme ?? ""),
                  components.host?.isEmpty == false, components.fragment == nil
            else { throw ConfigurationError(variable: "TOLLGATE_OAUTH_RETURN_URLS", message: "\"\(url)\" is not an absolute http(s) URL without a fragment") }
            returnURLs.insert(url)
        }
        stateTTLSeconds = try reader.integer("TOLLGATE_OAUTH_STATE_TTL_SECONDS", in: 60...3600)
        maxRefreshFailures = try reader.integer("TOLLGATE_OAUTH_MAX_REFRESH_FAILURES", in: 1...100)
    }
}
