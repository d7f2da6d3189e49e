import Foundation
import Testing
import TollgateOAuth
import TollgateTestSupport

/// The real peer (django-oauth-toolkit, `scripts/peers/oauth`) through raw HTTP: proves it is up and
/// documents how it behaves, for the OAuth client's own tests. Skipped when the peer's variables
/// are unset, except under CI=true, where a missing peer fails.
@Suite(.enabled(if: OAuthPeer.shouldRun, "needs the OAuth peer (scripts/test starts it)"))
struct OAuthPeerTests {
    /// A fresh RFC 7636 verifier and its S256 challenge.
    static func pkce() throws -> (verifier: String, challenge: String) {
        let pkce = try PKCE.generate()
        return (pkce.verifier.value, pkce.challenge)
    }

    /// A user of this test's own, so the peer's per-user counts see no other test's requests.
    static func uniqueUser(_ name: String) -> String {
        name + "-" + UUID().uuidString.lowercased().prefix(8)
    }

    func authorizeURL(_ peer: OAuthPeer, challenge: String, method: String = "S256", state: String = "st-1", redirectURI: String? = nil) -> String {
        peer.authorizeURL + "?" + FormURLEncoding.encode([
            ("response_type", "code"), ("client_id", peer.clientID), ("redirect_uri", redirectURI ?? peer.redirectURI),
            ("scope", "read"), ("state", state), ("code_challenge", challenge), ("code_challenge_method", method),
        ])
    }

    @Test func fullDanceAuthorizeExchangeRefreshRevoke() throws {
        let peer = try OAuthPeer.required()
        let user = Self.uniqueUser("peer-dance")
        let (verifier, challenge) = try Self.pkce()

        // Authorize: 302 to the redirect URI with the code and the state.
        let location = try peer.authorize(url: authorizeURL(peer, challenge: challenge, state: "s-42"), as: user)
        #expect(location.hasPrefix(peer.redirectURI + "?"))
        #expect(OAuthPeer.query(of: location)["state"] == "s-42")
        let code = try #require(OAuthPeer.query(of: location)["code"])

        // A wrong verifier is refused and does not use the code up.
        let wrong = try peer.post(peer.tokenURL, form: [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", peer.redirectURI), ("code_verifier", verifier + "x"),
        ])
        #expect(wrong.status == 400)
        #expect(try wrong.json()["error"] as? String == "invalid_grant")

        // Exchange with HTTP Basic client authentication.
        let exchanged = try peer.post(peer.tokenURL, form: [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", peer.redirectURI), ("code_verifier", verifier),
        ])
        #expect(exchanged.status == 200, "\(exchanged.text)")
        let tokens = try exchanged.json()
        let access = try #require(tokens["access_token"] as? String)
        let refresh = try #require(tokens["refresh_token"] as? String)
        #expect(tokens["token_type"] as? String == "Bearer")
        #expect(tokens["expires_in"] as? Int == 5)
        #expect(tokens["scope"] as? String == "read")

        // The code works once.
        let replay = try peer.post(peer.tokenURL, form: [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", peer.redirectURI), ("code_verifier", verifier),
        ])
        #expect(replay.status == 400)
        #expect(try replay.json()["error"] as? String == "invalid_grant")

        // Refresh: a new access token and a new (rotated) refresh token.
        let refreshed = try peer.post(peer.tokenURL, form: [("grant_type", "refresh_token"), ("refresh_token", refresh)])
        #expect(refreshed.status == 200, "\(refreshed.text)")
        let rotated = try refreshed.json()
        let newAccess = try #require(rotated["access_token"] as? String)
        let newRefresh = try #require(rotated["refresh_token"] as? String)
        #expect(newAccess != access)
        #expect(newRefresh != refresh)

        let counts = try peer.counts(user: user)
        #expect(counts.refresh == 1)
        #expect(counts.token == 4)  // wrong verifier, exchange, replay, refresh
        #expect(counts.revoke == 0)
        #expect(try peer.counts(user: user).refreshSucceeded == 1)

        // Revoke (RFC 7009): 200 with an empty body.
        let revoked = try peer.post(peer.revocationURL, form: [("token", newRefresh), ("token_type_hint", "refresh_token")])
        #expect(revoked.status == 200)
        #expect(revoked.body.isEmpty)
        #expect(try peer.counts(user: user).revoke == 1)
        // The revoked refresh token is dead.
        let afterRevoke = try peer.post(peer.tokenURL, form: [("grant_type", "refresh_token"), ("refresh_token", newRefresh)])
        #expect(afterRevoke.status == 400)
        #expect(try afterRevoke.json()["error"] as? String == "invalid_grant")
    }

    @Test func reusingARotatedRefreshTokenIsRefusedAndRevokesTheFamily() throws {
        let peer = try OAuthPeer.required()
        let user = Self.uniqueUser("peer-reuse")
        let (verifier, challenge) = try Self.pkce()
        let code = try #require(OAuthPeer.query(of: try peer.authorize(url: authorizeURL(peer, challenge: challenge), as: user))["code"])
        // Form client authentication instead of Basic; redirect_uri may be left out (one URI registered).
        let tokens = try peer.post(peer.tokenURL, form: [
            ("grant_type", "authorization_code"), ("code", code), ("code_verifier", verifier),
            ("client_id", peer.clientID), ("client_secret", peer.clientSecret),
        ], basicAuth: false).json()
        let first = try #require(tokens["refresh_token"] as? String)
        let second = try #require(try peer.post(peer.tokenURL, form: [("grant_type", "refresh_token"), ("refresh_token", first)]).json()["refresh_token"] as? String)

        let reuse = try peer.post(peer.tokenURL, form: [("grant_type", "refresh_token"), ("refresh_token", first)])
        #expect(reuse.status == 400)
        #expect(try reuse.json()["error"] as? String == "invalid_grant")
        // Reuse protection revoked the rotated token too.
        let next = try peer.post(peer.tokenURL, form: [("grant_type", "refresh_token"), ("refresh_token", second)])
        #expect(next.status == 400)
        let counts = try peer.counts(user: user)
        #expect(counts.refresh == 3)
        #expect(counts.refreshSucceeded == 1)
    }

    @Test func authorizeRefusesPlainPKCEAndAnotherRedirectURI() throws {
        let peer = try OAuthPeer.required()
        let user = Self.uniqueUser("peer-refusals")
        let (verifier, _) = try Self.pkce()
        // "plain" is refused with an error redirect (RFC 9700: S256 only).
        let plain = try peer.authorize(url: authorizeURL(peer, challenge: verifier, method: "plain"), as: user)
        #expect(OAuthPeer.query(of: plain)["error"] == "invalid_request")
        #expect(OAuthPeer.query(of: plain)["code"] == nil)
        // A redirect URI other than the registered one is never redirected to.
        #expect(throws: OAuthPeerError.self) {
            try peer.authorize(url: authorizeURL(peer, challenge: try Self.pkce().challenge, redirectURI: "http://127.0.0.1:9/other"), as: user)
        }
    }
}
