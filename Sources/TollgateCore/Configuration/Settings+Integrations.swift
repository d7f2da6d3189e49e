import Foundation
import TollgateCrypto

/// The OAuth integration variables (``IntegrationSettings``, `docs/oauth.md`).
extension Settings {
    static let integrations: [any SettingDescription] = [
        oauthProviders, encryptionKey, publicURL, oauthReturnURLs, oauthStateTTLSeconds, oauthMaxRefreshFailures,
    ]

    static let oauthProviders = Setting(
        "TOLLGATE_OAUTH_PROVIDERS", SettingFormat.text(accepts: "a file").optional, default: nil,
        summary: "the OAuth providers file (`docs/oauth.md`). Unset: integrations are off and the connection endpoints answer 409 "
            + "`integrations_not_configured`")

    static let encryptionKey = Setting(
        "TOLLGATE_ENCRYPTION_KEY",
        SettingFormat<EncryptionKeyring>(
            accepts: "`KEYID:BASE64[,KEYID:BASE64…]`, 32-byte keys",
            parse: { text throws(SettingProblem) in
                do {
                    return try EncryptionKeyring(parsing: text)
                } catch {
                    // The error describes the format, never the key material.
                    throw SettingProblem("\(error)")
                }
            },
            text: { _ in nil }).optional,
        default: nil, secrecy: .secret,
        summary: "the keys sealing OAuth tokens: the first seals, all open; required with providers")

    static let publicURL = Setting(
        "TOLLGATE_PUBLIC_URL",
        SettingFormat.httpURL(example: "https://tollgate.example.com").map({ url in
            url.hasSuffix("/") ? String(url.dropLast()) : url
        }, back: { $0 }).optional,
        default: nil, summary: "Tollgate's public base URL; a provider without `redirect_uri` uses `<public url>/oauth/callback`")

    static let oauthReturnURLs = Setting(
        "TOLLGATE_OAUTH_RETURN_URLS",
        .list(accepts: "`http(s)://…` URLs, comma-separated") { url throws(SettingProblem) in
            guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme ?? ""),
                  components.host?.isEmpty == false, components.fragment == nil
            else { throw SettingProblem("\"\(url)\" is not an absolute http(s) URL without a fragment") }
        },
        default: [], unset: "none", summary: "return URLs a connection start may name, compared exactly")

    static let oauthStateTTLSeconds = Setting(
        "TOLLGATE_OAUTH_STATE_TTL_SECONDS", .integer(60...3600), default: 600, summary: "seconds an authorization may take, start to callback")

    static let oauthMaxRefreshFailures = Setting(
        "TOLLGATE_OAUTH_MAX_REFRESH_FAILURES", .integer(1...100), default: 3,
        summary: "failed refreshes in a row (an `invalid_grant` counts as all of them) before a connection is `refresh_failed`")
}
