import Testing
import TollgateHTTPClient
@testable import TollgateOAuth

@Suite struct TokenResponseTests {
    static let provider = OAuthProvider(
        name: "acme", authorizeURL: "https://a.test/authorize", tokenURL: "https://a.test/token", clientID: "id",
        clientSecret: OAuthSecret("client-secret-value"), redirectURI: "https://tg.test/cb", accountField: "team.name")

    func response(_ status: Int, _ body: String, contentType: String = "application/json") -> HTTPClient.Response {
        HTTPClient.Response(status: status, headers: ["Content-Type": contentType], body: Array(body.utf8))
    }

    @Test func successWithRotationAndExpiry() throws {
        let tokens = try TokenResponseParser.parse(response(200, """
            {"access_token": "at1", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt1", "scope": "read write",
             "team": {"name": "Acme HQ"}}
            """), provider: Self.provider, secrets: [])
        #expect(tokens.accessToken.value == "at1" && tokens.refreshToken?.value == "rt1" && tokens.expiresIn == 3600)
        #expect(tokens.scopes == ["read", "write"] && tokens.account == "Acme HQ")
    }

    @Test func refreshResponseWithoutARefreshTokenHasNone() throws {
        let tokens = try TokenResponseParser.parse(response(200, #"{"access_token": "at2", "expires_in": "60"}"#), provider: Self.provider, secrets: [])
        #expect(tokens.refreshToken == nil && tokens.expiresIn == 60 && tokens.tokenType == "Bearer")
    }

    @Test func githubFormEncodedVariant() throws {
        let tokens = try TokenResponseParser.parse(
            response(200, "access_token=gho_abc&scope=repo%2Cgist&token_type=bearer", contentType: "application/x-www-form-urlencoded; charset=utf-8"),
            provider: Self.provider, secrets: [])
        #expect(tokens.accessToken.value == "gho_abc" && tokens.scopes == ["repo", "gist"] && tokens.expiresIn == nil)
    }

    @Test func errorsAreTypedWithTransientOnesMarked() {
        func failure(_ status: Int, _ body: String) -> OAuthError? {
            do {
                _ = try TokenResponseParser.parse(response(status, body), provider: Self.provider, secrets: [OAuthSecret("the-code-1234")])
                return nil
            } catch { return error }
        }
        let grant = failure(400, #"{"error": "invalid_grant", "error_description": "code the-code-1234 is invalid"}"#)
        #expect(grant?.code == .invalidGrant && grant?.isTransient == false && grant?.grantIsDead == true)
        #expect(grant.map { !$0.description.contains("the-code-1234") } == true)
        #expect(failure(200, #"{"error": "bad_verification_code"}"#)?.code == .invalidGrant)
        #expect(failure(200, #"{"ok": false, "error": "invalid_code"}"#)?.code == .invalidGrant)
        #expect(failure(401, #"{"error": "invalid_client"}"#)?.code == .invalidClient)
        #expect(failure(503, #"{"error": "temporarily_unavailable"}"#)?.isTransient == true)
        #expect(failure(502, "<html>bad gateway</html>")?.code == .httpStatus)
        #expect(failure(502, "<html>bad gateway</html>")?.isTransient == true)
        #expect(failure(200, "<html>ok</html>")?.code == .invalidResponse)
        #expect(failure(200, #"{"token_type": "Bearer"}"#)?.code == .invalidResponse)
    }
}
