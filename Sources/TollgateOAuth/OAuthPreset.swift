/// Endpoints and defaults of well-known providers, so a definition needs only `"preset"`, the
/// client id and the client secret. Any field given next to the preset overrides it.
package struct OAuthPreset: Sendable {
    package var authorizeURL: String
    package var tokenURL: String
    package var revocationURL: String?
    package var displayName: String
    package var scopes: [String]
    package var scopeSeparator: String
    package var authorizeParameters: [String: String]
    package var clientAuthentication: OAuthProvider.ClientAuthentication
    package var accountField: String?

    /// The presets by name: `github`, `google`, `slack`.
    package static let all: [String: OAuthPreset] = ["github": github, "google": google, "slack": slack]

    /// GitHub OAuth apps. GitHub has no RFC 7009 endpoint (its grant deletion is a REST call), so
    /// a disconnect only deletes; tokens of OAuth apps do not expire unless the app opts in, and
    /// then GitHub returns `expires_in` and a refresh token like any other provider.
    package static let github = OAuthPreset(
        authorizeURL: "https://github.com/login/oauth/authorize", tokenURL: "https://github.com/login/oauth/access_token",
        revocationURL: nil, displayName: "GitHub", scopes: ["read:user"], scopeSeparator: " ",
        authorizeParameters: [:], clientAuthentication: .form, accountField: nil)

    /// Google: `access_type=offline` and `prompt=consent` so that a refresh token is issued on
    /// every consent.
    package static let google = OAuthPreset(
        authorizeURL: "https://accounts.google.com/o/oauth2/v2/auth", tokenURL: "https://oauth2.googleapis.com/token",
        revocationURL: "https://oauth2.googleapis.com/revoke", displayName: "Google", scopes: ["openid", "email"],
        scopeSeparator: " ", authorizeParameters: ["access_type": "offline", "prompt": "consent"],
        clientAuthentication: .form, accountField: nil)

    /// Slack (OAuth v2). Scopes are comma-separated; `team.name` of the token response names the
    /// workspace. `auth.revoke` takes the token as a form field like RFC 7009.
    package static let slack = OAuthPreset(
        authorizeURL: "https://slack.com/oauth/v2/authorize", tokenURL: "https://slack.com/api/oauth.v2.access",
        revocationURL: "https://slack.com/api/auth.revoke", displayName: "Slack", scopes: [], scopeSeparator: ",",
        authorizeParameters: [:], clientAuthentication: .form, accountField: "team.name")
}
