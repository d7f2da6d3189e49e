import Foundation
import Testing
import TollgateOAuth

@Suite struct AuthorizationRequestTests {
    static let provider = OAuthProvider(
        name: "acme", authorizeURL: "https://id.acme.test/authorize?tenant=x", tokenURL: "https://id.acme.test/token",
        clientID: "client id", clientSecret: OAuthSecret("s3cret"), scopes: ["read", "write:all"], scopeSeparator: " ",
        authorizeParameters: ["prompt": "consent", "access_type": "offline"], redirectURI: "https://tollgate.test/oauth/callback")

    @Test func urlCarriesEveryParameterEncodedWithPKCES256() throws {
        let request = AuthorizationRequest(provider: Self.provider, state: "st4te", codeChallenge: "E9Mel-cM")
        let url = request.url
        #expect(url.hasPrefix("https://id.acme.test/authorize?tenant=x&response_type=code&"))
        let components = try #require(URLComponents(string: url))
        let items = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
        #expect(items["client_id"] == "client id")
        #expect(items["redirect_uri"] == "https://tollgate.test/oauth/callback")
        #expect(items["scope"] == "read write:all")
        #expect(items["state"] == "st4te")
        #expect(items["code_challenge"] == "E9Mel-cM")
        #expect(items["code_challenge_method"] == "S256")
        #expect(items["access_type"] == "offline" && items["prompt"] == "consent")
        #expect(url.contains("client%20id") && url.contains("write%3Aall") && url.contains("https%3A%2F%2Ftollgate.test"))
        #expect(!url.contains("s3cret"))
        // Extra parameters follow Tollgate's own, sorted by name.
        let names = request.parameters.map(\.0)
        #expect(names == ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "access_type", "prompt"])
    }

    @Test func scopesOfTheRequestReplaceTheConfiguredOnesWithTheProvidersSeparator() {
        var slack = Self.provider
        slack.scopeSeparator = ","
        let request = AuthorizationRequest(provider: slack, state: "s", codeChallenge: "c", scopes: ["chat:write", "channels:read"])
        #expect(request.parameters.contains { $0 == ("scope", "chat:write,channels:read") })
        let none = AuthorizationRequest(provider: slack, state: "s", codeChallenge: "c", scopes: [])
        #expect(!none.parameters.contains { $0.0 == "scope" })
    }

    @Test func formEncodingRoundTrips() {
        let pairs = [("a b", "c&d=e"), ("ü", "+/%")]
        let encoded = FormURLEncoding.encode(pairs)
        #expect(encoded == "a%20b=c%26d%3De&%C3%BC=%2B%2F%25")
        let decoded = FormURLEncoding.decode(encoded)
        #expect(decoded.map(\.0) == ["a b", "ü"] && decoded.map(\.1) == ["c&d=e", "+/%"])
        #expect(FormURLEncoding.decode("access_token=abc+def&scope=repo%2Cgist").map(\.1) == ["abc def", "repo,gist"])
    }
}
