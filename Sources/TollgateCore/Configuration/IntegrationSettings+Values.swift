import Foundation
import TollgateCrypto
import TollgateIntegrations
import TollgateOAuth

extension IntegrationSettings {
    /// Loads the providers file (its errors name the provider and the field); the key is
    /// required when there are providers.
    init(values: inout SettingValues) {
        let publicURL = values[Settings.publicURL]
        let keyring = values[Settings.encryptionKey]
        let returnURLs = Set(values[Settings.oauthReturnURLs])
        let stateTTLSeconds = values[Settings.oauthStateTTLSeconds]
        let maxRefreshFailures = values[Settings.oauthMaxRefreshFailures]
        let providers = Self.providers(values: &values, publicURL: publicURL, keyring: keyring)
        self.init(
            providers: providers, keyring: keyring, publicURL: publicURL, returnURLs: returnURLs, stateTTLSeconds: stateTTLSeconds,
            maxRefreshFailures: maxRefreshFailures)
    }

    /// The providers file's providers, empty when it is unset or invalid (the problem is then in `values`).
    private static func providers(values: inout SettingValues, publicURL: String?, keyring: EncryptionKeyring?) -> [String: OAuthProvider] {
        guard let path = values[Settings.oauthProviders] else { return [:] }
        let providers: [String: OAuthProvider]
        do {
            providers = try OAuthProviderFile.load(
                path: path, environment: values.environment, defaultRedirectURI: publicURL.map { $0 + callbackPath })
        } catch {
            values.fail(Settings.oauthProviders.name, error.description)
            return [:]
        }
        if keyring == nil, !providers.isEmpty, !values.hasProblem(Settings.encryptionKey) {
            values.fail(Settings.encryptionKey.name, "is required when TOLLGATE_OAUTH_PROVIDERS is set")
        }
        return providers
    }
}
