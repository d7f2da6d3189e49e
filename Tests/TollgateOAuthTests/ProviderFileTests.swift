import Testing
import TollgateOAuth

@Suite struct ProviderFileTests {
    func parse(_ json: String, environment: [String: String] = [:], redirect: String? = "https://tg.test/oauth/callback")
        throws(OAuthConfigurationError) -> [String: OAuthProvider] {
        try OAuthProviderFile.parse(Array(json.utf8), environment: environment, defaultRedirectURI: redirect)
    }

    @Test func presetsNeedOnlyTheClientCredentials() throws {
        let providers = try parse("""
            {"providers": {
              "github": {"preset": "github", "client_id": "gh", "client_secret": "ghs"},
              "google": {"preset": "google", "client_id": "go", "client_secret_env": "GOOGLE_SECRET"},
              "slack":  {"preset": "slack", "client_id": "sl", "client_secret": "sls", "scopes": ["chat:write"]}
            }}
            """, environment: ["GOOGLE_SECRET": "from-env"])
        let github = try #require(providers["github"])
        #expect(github.tokenURL == "https://github.com/login/oauth/access_token")
        #expect(github.revocationURL == nil)
        #expect(github.redirectURI == "https://tg.test/oauth/callback")
        #expect(github.displayName == "GitHub")
        let google = try #require(providers["google"])
        #expect(google.clientSecret.value == "from-env")
        #expect(google.authorizeParameters["access_type"] == "offline")
        #expect(google.revocationURL == "https://oauth2.googleapis.com/revoke")
        let slack = try #require(providers["slack"])
        #expect(slack.scopeSeparator == "," && slack.scopes == ["chat:write"])
        #expect(slack.accountField == "team.name")
        #expect(slack.refreshMarginSeconds == 60)
    }

    @Test func customProviderWithEveryField() throws {
        let providers = try parse("""
            {"providers": {"acme": {
              "display_name": "Acme CRM", "authorize_url": "https://id.acme.test/authorize", "token_url": "https://id.acme.test/token",
              "revocation_url": "http://127.0.0.1:9000/revoke", "client_id": "tg", "client_secret": "x",
              "scopes": ["a", "b"], "scope_separator": "+", "authorize_params": {"audience": "api"},
              "token_auth_method": "form", "refresh_margin_seconds": 300, "redirect_uri": "https://other.test/cb",
              "reconnect_url": "https://app.test/integrations", "account_field": "user.login"
            }}}
            """, redirect: nil)
        let acme = try #require(providers["acme"])
        #expect(acme.clientAuthentication == .form && acme.refreshMarginSeconds == 300)
        #expect(acme.redirectURI == "https://other.test/cb" && acme.scopeSeparator == "+")
        #expect(acme.authorizeParameters == ["audience": "api"] && acme.accountField == "user.login")
    }

    @Test(arguments: [
        (#"{"providers": {"Bad-Name": {"preset": "github", "client_id": "a", "client_secret": "b"}}}"#, "Bad-Name", nil as String?),
        (#"{"providers": {"x": {"preset": "gitlab", "client_id": "a", "client_secret": "b"}}}"#, "x", "preset"),
        (#"{"providers": {"x": {"token_url": "https://t.test/t", "client_id": "a", "client_secret": "b"}}}"#, "x", "authorize_url"),
        (#"{"providers": {"x": {"preset": "github", "client_secret": "b"}}}"#, "x", "client_id"),
        (#"{"providers": {"x": {"preset": "github", "client_id": "a"}}}"#, "x", "client_secret"),
        (#"{"providers": {"x": {"preset": "github", "client_id": "a", "client_secret_env": "MISSING"}}}"#, "x", "client_secret_env"),
        (#"{"providers": {"x": {"preset": "github", "client_id": "a", "client_secret": "b", "scopes": "repo"}}}"#, "x", "scopes"),
        (#"{"providers": {"x": {"preset": "github", "client_id": "a", "client_secret": "b", "token_auth_method": "jwt"}}}"#, "x", "token_auth_method"),
        (#"{"providers": {"x": {"preset": "github", "client_id": "a", "client_secret": "b", "refresh_margin_seconds": -1}}}"#, "x", "refresh_margin_seconds"),
        (#"{"providers": {"x": {"preset": "github", "client_id": "a", "client_secret": "b", "authorize_params": {"state": "1"}}}}"#, "x", "authorize_params"),
        (#"{"providers": {"x": {"preset": "github", "client_id": "a", "client_secret": "b", "tokenurl": "https://x"}}}"#, "x", "tokenurl"),
        (#"{"providers": {"x": {"authorize_url": "https://a.test", "token_url": "http://tokens.example.com/t", "client_id": "a", "client_secret": "b"}}}"#, "x", "token_url"),
    ])
    func invalidDefinitionsNameTheProviderAndField(json: String, provider: String, field: String?) {
        do {
            _ = try parse(json)
            Issue.record("expected an error for \(json)")
        } catch {
            #expect(error.provider == provider)
            #expect(error.field == field)
            #expect(!error.description.contains("\"b\""))
        }
    }

    @Test func redirectURIIsRequiredWithoutAPublicURL() {
        #expect(throws: OAuthConfigurationError.self) {
            try parse(#"{"providers": {"github": {"preset": "github", "client_id": "a", "client_secret": "b"}}}"#, redirect: nil)
        }
    }

    @Test func secretsDoNotAppearInErrors() {
        do {
            _ = try parse(#"{"providers": {"x": {"preset": "github", "client_id": "a", "client_secret": "supersecretvalue", "scopes": [""]}}}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "scopes")
            #expect(!error.description.contains("supersecretvalue"))
        }
    }
}
