/// The authorization request of the authorization-code grant with PKCE (RFC 6749 §4.1.1,
/// RFC 7636 §4.3): the URL the person's browser is sent to.
package struct AuthorizationRequest: Sendable {
    package var provider: OAuthProvider
    /// The one-time `state` bound to this request server-side.
    package var state: String
    /// The PKCE S256 challenge.
    package var codeChallenge: String
    /// Scopes to ask for; nil: the provider's configured scopes.
    package var scopes: [String]?

    package init(provider: OAuthProvider, state: String, codeChallenge: String, scopes: [String]? = nil) {
        self.provider = provider
        self.state = state
        self.codeChallenge = codeChallenge
        self.scopes = scopes
    }

    /// The parameters in the order sent: Tollgate's own first, then the provider's extra ones by name.
    package var parameters: [(String, String)] {
        var pairs: [(String, String)] = [
            ("response_type", "code"),
            ("client_id", provider.clientID),
            ("redirect_uri", provider.redirectURI),
        ]
        let scopes = scopes ?? provider.scopes
        if !scopes.isEmpty { pairs.append(("scope", scopes.joined(separator: provider.scopeSeparator))) }
        pairs += [("state", state), ("code_challenge", codeChallenge), ("code_challenge_method", PKCE.method)]
        for key in provider.authorizeParameters.keys.sorted() where !OAuthProviderFile.reservedParameters.contains(key) {
            pairs.append((key, provider.authorizeParameters[key] ?? ""))
        }
        return pairs
    }

    /// The authorize endpoint with the parameters appended to its own query, if it has one.
    package var url: String { FormURLEncoding.appendingQuery(parameters, to: provider.authorizeURL) }
}
