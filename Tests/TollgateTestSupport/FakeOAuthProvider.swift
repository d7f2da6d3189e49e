import Foundation
package import Synchronization
import TollgateCrypto
package import TollgateHTTPServer
import TollgateLogging
import TollgateOAuth

/// A small OAuth 2.0 authorization server on a real socket, for what the real peer cannot show:
/// its refresh answers can leave out `refresh_token` (the real peer always rotates).
///
/// `GET /o/authorize/` answers the 302 a logged-in user gets (`redirect_uri?code=…&state=…`) and
/// remembers the code's PKCE challenge; `POST /o/token/` checks the client's HTTP Basic
/// credentials, exchanges a code once (checking the S256 verifier), and answers refresh grants for
/// refresh tokens it issued and has not retired: with ``rotates`` a new refresh token replacing the
/// old one, without it `{"access_token", "token_type", "expires_in"}` only. Tokens are
/// `access-N` and `refresh-N`, numbered in issue order. ``peer`` describes it as an ``OAuthPeer``
/// so the providers file and ``OAuthPeer/authorize(url:as:)`` work as against the real peer.
package final class FakeOAuthProvider: Sendable {
    package static let clientID = "fake-client"
    package static let clientSecret = "fake-secret"
    package static let redirectURI = "http://127.0.0.1:9/oauth/callback"

    package let server: HTTPServer
    /// Whether refresh answers carry a new refresh token (rotation) or none at all.
    package let rotates: Mutex<Bool>
    /// The `refresh_token` form field of every refresh grant received, in order.
    package let refreshTokensReceived = Mutex<[String]>([])

    private struct State {
        var issued = 0
        /// Unused codes and their PKCE challenges.
        var codes: [String: String] = [:]
        /// Refresh tokens that may still be used.
        var liveRefreshTokens: Set<String> = []
    }
    private let state = Mutex(State())

    package init(rotates: Bool) throws {
        self.rotates = Mutex(rotates)
        let router = Router()
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), router: router, logger: .disabled)
        router.register(.GET, "/o/authorize/") { [self] request in self.authorize(request) }
        router.register(.POST, "/o/token/") { [self] request in try self.token(request) }
        try server.start()
    }

    deinit { server.shutdown(timeout: .seconds(5)) }

    package var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// This server as an ``OAuthPeer`` (same paths, its client and redirect URI).
    package var peer: OAuthPeer {
        OAuthPeer(baseURL: baseURL, clientID: Self.clientID, clientSecret: Self.clientSecret, redirectURI: Self.redirectURI)
    }

    private func authorize(_ request: HTTPRequest) -> HTTPResponse {
        guard request.queryValue("client_id") == Self.clientID, request.queryValue("redirect_uri") == Self.redirectURI,
              request.queryValue("response_type") == "code", request.queryValue("code_challenge_method") == "S256",
              let challenge = request.queryValue("code_challenge"), let state = request.queryValue("state")
        else { return Self.json(400, ["error": "invalid_request"]) }
        let code = self.state.withLock { state in
            state.issued += 1
            let code = "code-\(state.issued)"
            state.codes[code] = challenge
            return code
        }
        let location = Self.redirectURI + "?" + FormURLEncoding.encode([("code", code), ("state", state)])
        return HTTPResponse(status: 302, headers: ["Location": location])
    }

    private func token(_ request: HTTPRequest) throws -> HTTPResponse {
        let basic = "Basic " + Base64.encode(Array("\(Self.clientID):\(Self.clientSecret)".utf8))
        guard request.headers["Authorization"] == basic else { return Self.json(401, ["error": "invalid_client"]) }
        let form = Self.decodeForm(request.body)
        switch form["grant_type"] {
        case "authorization_code":
            guard form["redirect_uri"] == Self.redirectURI, let code = form["code"], let verifier = form["code_verifier"] else {
                return Self.json(400, ["error": "invalid_request"])
            }
            let challenge = state.withLock { $0.codes.removeValue(forKey: code) }
            guard let challenge, Base64.encodeURLSafeNoPadding(SHA256.digest(verifier)) == challenge else {
                return Self.json(400, ["error": "invalid_grant"])
            }
            return Self.json(200, issue(refresh: true))
        case "refresh_token":
            guard let refreshToken = form["refresh_token"] else { return Self.json(400, ["error": "invalid_request"]) }
            refreshTokensReceived.withLock { $0.append(refreshToken) }
            let rotate = rotates.withLock { $0 }
            let known = state.withLock { state in
                rotate ? state.liveRefreshTokens.remove(refreshToken) != nil : state.liveRefreshTokens.contains(refreshToken)
            }
            guard known else { return Self.json(400, ["error": "invalid_grant"]) }
            return Self.json(200, issue(refresh: rotate))
        default:
            return Self.json(400, ["error": "unsupported_grant_type"])
        }
    }

    /// A new access token, and a new live refresh token when `refresh`.
    private func issue(refresh: Bool) -> [String: Any] {
        state.withLock { state in
            state.issued += 1
            var answer: [String: Any] = ["access_token": "access-\(state.issued)", "token_type": "Bearer", "expires_in": 3600]
            if refresh {
                let refreshToken = "refresh-\(state.issued)"
                state.liveRefreshTokens.insert(refreshToken)
                answer["refresh_token"] = refreshToken
            }
            return answer
        }
    }

    private static func json(_ status: Int, _ object: [String: Any]) -> HTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object)).map { Array($0) } ?? []
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"], body: body)
    }

    /// `application/x-www-form-urlencoded` fields (the last of a repeated name wins).
    private static func decodeForm(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
