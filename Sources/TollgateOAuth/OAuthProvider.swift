/// One OAuth 2.0 authorization server Tollgate connects customers to, as configured.
///
/// Built by ``OAuthProviderFile`` from `TOLLGATE_OAUTH_PROVIDERS` (presets fill the endpoints of
/// GitHub, Google and Slack). Every field is validated when the file is read; the client secret is
/// an ``OAuthSecret`` and never prints.
package struct OAuthProvider: Sendable, Equatable {
    /// How the client authenticates at the token and revocation endpoints (RFC 6749 §2.3.1).
    package enum ClientAuthentication: String, Sendable, CaseIterable {
        /// `Authorization: Basic` with the form-encoded id and secret (`client_secret_basic`).
        case basic
        /// `client_id` and `client_secret` in the form body (`client_secret_post`).
        case form
    }

    /// The key: lowercase letters, digits and `_` (it names the feature `integrations.<name>`).
    package var name: String
    /// Shown to people (mail, CLI). Default: the name.
    package var displayName: String
    package var authorizeURL: String
    package var tokenURL: String
    /// The RFC 7009 revocation endpoint; nil when the provider has none (disconnect then only deletes).
    package var revocationURL: String?
    package var clientID: String
    package var clientSecret: OAuthSecret
    /// Scopes asked for when the start request names none.
    package var scopes: [String]
    /// Joins scopes in the `scope` parameter: a space by RFC 6749 §3.3; Slack uses a comma.
    package var scopeSeparator: String
    /// Extra parameters of the authorization request (Google: `access_type=offline`), sorted by name
    /// when sent. They cannot override the parameters Tollgate sets itself.
    package var authorizeParameters: [String: String]
    package var clientAuthentication: ClientAuthentication
    /// Refresh when the access token expires within this many seconds. Default 60.
    package var refreshMarginSeconds: Int
    /// The exact redirect URI registered at the provider (RFC 9700 §4.1.3: compared by exact match).
    package var redirectURI: String
    /// Where a person reconnects after a disconnect (linked from the mail); nil: the return URL the
    /// connection was started with.
    package var reconnectURL: String?
    /// A dotted path into the token response naming the account (Slack: `team.name`); nil: none.
    package var accountField: String?

    package init(
        name: String, displayName: String? = nil, authorizeURL: String, tokenURL: String, revocationURL: String? = nil,
        clientID: String, clientSecret: OAuthSecret, scopes: [String] = [], scopeSeparator: String = " ",
        authorizeParameters: [String: String] = [:], clientAuthentication: ClientAuthentication = .basic,
        refreshMarginSeconds: Int = 60, redirectURI: String, reconnectURL: String? = nil, accountField: String? = nil
    ) {
        self.name = name
        self.displayName = displayName ?? name
        self.authorizeURL = authorizeURL
        self.tokenURL = tokenURL
        self.revocationURL = revocationURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.scopeSeparator = scopeSeparator
        self.authorizeParameters = authorizeParameters
        self.clientAuthentication = clientAuthentication
        self.refreshMarginSeconds = refreshMarginSeconds
        self.redirectURI = redirectURI
        self.reconnectURL = reconnectURL
        self.accountField = accountField
    }
}
