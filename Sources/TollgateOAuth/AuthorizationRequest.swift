/// The authorization request of the authorization-code grant with PKCE (RFC 6749 §4.1.1,
/// RFC 7636 §4.3): the URL the person's browser is sent to.
public struct AuthorizationRequest: Sendable {
    public var provider: OAuthProvider
    /// The one-time `state` bound to this request server-side.
    public var state: String
    /// The PKCE S256 challenge.
    public var codeChallenge: String
    /// Scopes to ask for; nil: the provider's configured scopes.
    public var scopes: [String]?

    public init(provider: OAuthProvider, state: String, codeChallenge: String, scopes: [String]? = nil) {
        self.provider = provider
        self.state = state
        self.codeChallenge = codeChallenge
        self.scopes = scopes
    }

    /// The parameters in the order sent: Tollgate's own first, then the provider's extra ones by name.
    public var parameters: [(String, String)] {
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
    public var url: String { FormURLEncoding.appendingQuery(parameters, to: provider.authorizeURL) }
}
