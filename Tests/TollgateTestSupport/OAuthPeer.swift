import Foundation
import TollgateCrypto
import TollgateHTTPClient
import TollgateOAuth

/// A failure talking to the OAuth peer (an unexpected status, a missing header, a bad body).
package struct OAuthPeerError: Error, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// The real OAuth 2.0 authorization server (django-oauth-toolkit) that `scripts/test` starts with
/// `scripts/peers/oauth start DIR`, from the `TOLLGATE_TEST_OAUTH_*` environment variables.
///
/// What it does (see `scripts/peers/oauth`): PKCE required, S256 only; refresh-token rotation
/// with reuse protection (reusing a rotated refresh token answers `invalid_grant` and revokes
/// the whole family); access tokens live 5 s; codes 60 s; revocation (RFC 7009) answers 200 with an
/// empty body, even for unknown tokens. One confidential client (HTTP Basic or form client
/// authentication) with exactly one redirect URI, which tests never follow: ``authorize(url:as:)``
/// logs in headlessly and returns the `Location` of the 302 (`REDIRECT_URI?code=…&state=…`, or
/// `?error=…`). Users are created on the fly. Requests are counted by the peer, in all and per
/// user: tests that log in as a user of their own see only their own counts.
///
/// Suites that need it are enabled with `.enabled(if: OAuthPeer.shouldRun)` and get it with
/// ``required()``: skipped when it is not configured, failing when `CI=true` and it is missing.
/// ``exclusively(_:)`` keeps the service-level tests from loading the one-worker peer all at once.
package struct OAuthPeer: Sendable {
    package let baseURL: String
    package let clientID: String
    package let clientSecret: String
    package let redirectURI: String

    package var authorizeURL: String { baseURL + "/o/authorize/" }
    package var tokenURL: String { baseURL + "/o/token/" }
    package var revocationURL: String { baseURL + "/o/revoke_token/" }
    package var introspectionURL: String { baseURL + "/o/introspect/" }

    /// A response from the peer.
    package struct Response: Sendable {
        package var status: Int
        package var headers: [(name: String, value: String)]
        package var body: [UInt8]

        package func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        package var text: String { String(decoding: body, as: UTF8.self) }

        /// The body as a JSON object.
        package func json() throws -> [String: Any] {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw OAuthPeerError("HTTP \(status): the body is not a JSON object: \(text.prefix(200))")
            }
            return object
        }
    }

    /// Requests the peer saw.
    package struct Counts: Sendable, Equatable {
        /// POSTs to the token endpoint, any grant type and outcome.
        package var token: Int
        /// Of those, `grant_type=authorization_code`.
        package var authorizationCode: Int
        /// Of those, `grant_type=refresh_token` (any outcome).
        package var refresh: Int
        /// Refreshes answered 200.
        package var refreshSucceeded: Int
        /// POSTs to the revocation endpoint.
        package var revoke: Int
    }

    private static let client = HTTPClient()

    package init(baseURL: String, clientID: String, clientSecret: String, redirectURI: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
    }

    /// The peer named by `TOLLGATE_TEST_OAUTH_URL`, `_CLIENT_ID`, `_CLIENT_SECRET` and
    /// `_REDIRECT_URI`; nil when any is unset or empty.
    package static func fromEnvironment() -> OAuthPeer? {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        guard let url = value("TOLLGATE_TEST_OAUTH_URL"), let id = value("TOLLGATE_TEST_OAUTH_CLIENT_ID"),
            let secret = value("TOLLGATE_TEST_OAUTH_CLIENT_SECRET"), let redirect = value("TOLLGATE_TEST_OAUTH_REDIRECT_URI")
        else { return nil }
        return OAuthPeer(baseURL: url, clientID: id, clientSecret: secret, redirectURI: redirect)
    }

    /// True when the peer must be there (`CI=true`): a test that needs it then fails instead of
    /// skipping.
    package static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// True when the tests that need the peer should run: it is configured, or it is required.
    package static var shouldRun: Bool { fromEnvironment() != nil || isRequired }

    /// The configured peer, or an error that says how to start one (a test calling this fails when
    /// the peer is missing).
    package static func required() throws -> OAuthPeer {
        guard let peer = fromEnvironment() else { throw OAuthPeerError(missingMessage) }
        return peer
    }

    private static let gate = NSLock()

    /// Runs `body` while no other test inside `exclusively` talks to the peer.
    package static func exclusively<T>(_ body: () throws -> T) rethrows -> T {
        gate.lock()
        defer { gate.unlock() }
        return try body()
    }

    /// A providers file (`TOLLGATE_OAUTH_PROVIDERS`) with one provider per name, all this peer
    /// (or, with `tokenURL`, this peer but another token endpoint).
    package func providersJSON(names: [String], refreshMarginSeconds: Int = 2, tokenURL: String? = nil) -> String {
        let entries = names.map { name in
            """
            "\(name)": {"display_name": "Test OAuth \(name)", "authorize_url": "\(authorizeURL)",
              "token_url": "\(tokenURL ?? self.tokenURL)", "revocation_url": "\(revocationURL)",
              "client_id": "\(clientID)", "client_secret": "\(clientSecret)", "scopes": ["read", "write"],
              "token_auth_method": "basic", "refresh_margin_seconds": \(refreshMarginSeconds), "redirect_uri": "\(redirectURI)"}
            """
        }
        return "{\"providers\": {\(entries.joined(separator: ",\n"))}}"
    }

    /// What to say when the peer is missing.
    package static let missingMessage =
        "OAuth peer tests need TOLLGATE_TEST_OAUTH_URL, _CLIENT_ID, _CLIENT_SECRET and _REDIRECT_URI: run scripts/test, or `read -r TOLLGATE_TEST_OAUTH_URL TOLLGATE_TEST_OAUTH_CLIENT_ID TOLLGATE_TEST_OAUTH_CLIENT_SECRET TOLLGATE_TEST_OAUTH_REDIRECT_URI < <(scripts/peers/oauth start DIR)` and export them"

    /// GETs a full authorize URL logged in as `user` (header `X-Remote-User`), follows no redirect,
    /// and returns the `Location` of the peer's 302: the redirect URI with `code` and `state`, or
    /// with `error` (e.g. a `plain` PKCE method). Throws on any other answer (a 400 for an unknown
    /// client or a redirect URI that does not match).
    package func authorize(url: String, as user: String) throws -> String {
        guard url.hasPrefix(baseURL + "/") else { throw OAuthPeerError("authorize: \(url) is not this peer's") }
        let response = try send(.init(method: .GET, url: url, headers: ["X-Remote-User": user]))
        guard response.status == 302 else {
            throw OAuthPeerError("authorize: HTTP \(response.status), expected 302: \(response.text.prefix(300))")
        }
        guard let location = response.header("Location") else {
            throw OAuthPeerError("authorize: 302 without a Location header")
        }
        return location
    }

    /// POSTs an `application/x-www-form-urlencoded` body to `url` (an endpoint of the peer), with
    /// the client's id and secret as HTTP Basic credentials unless `basicAuth` is false.
    package func post(_ url: String, form: [(String, String)], basicAuth: Bool = true) throws -> Response {
        var headers: HTTPClient.Headers = ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"]
        if basicAuth {
            let credentials = FormURLEncoding.percentEncode(clientID) + ":" + FormURLEncoding.percentEncode(clientSecret)
            headers.add("Authorization", "Basic " + Base64.encode(Array(credentials.utf8)))
        }
        return try send(.init(method: .POST, url: url, headers: headers, body: Array(FormURLEncoding.encode(form).utf8)))
    }

    /// All counts since the last reset, or those of requests carrying `user`'s codes and tokens
    /// (so tests running at the same time do not count each other).
    package func counts(user: String? = nil) throws -> Counts {
        let response = try send(.init(method: .GET, url: baseURL + "/test/counts" + Self.userQuery(user)))
        guard response.status == 200 else { throw OAuthPeerError("counts: HTTP \(response.status)") }
        let object = try response.json()
        func count(_ key: String) throws -> Int {
            guard let value = object[key] as? Int else { throw OAuthPeerError("counts: no \(key) in \(response.text)") }
            return value
        }
        return Counts(
            token: try count("token"), authorizationCode: try count("authorization_code"), refresh: try count("refresh"),
            refreshSucceeded: try count("refresh_ok"), revoke: try count("revoke"))
    }

    /// Zeroes all counts, or `user`'s.
    package func resetCounts(user: String? = nil) throws {
        let response = try send(.init(method: .POST, url: baseURL + "/test/counts/reset" + Self.userQuery(user)))
        guard response.status == 200 else { throw OAuthPeerError("reset counts: HTTP \(response.status)") }
    }

    /// Whether the peer considers `token` active (RFC 7662 introspection with the client's credentials).
    package func isActive(_ token: String) throws -> Bool {
        let response = try post(introspectionURL, form: [("token", token)])
        guard response.status == 200 else { throw OAuthPeerError("introspect: HTTP \(response.status): \(response.text.prefix(200))") }
        return (try response.json()["active"] as? Bool) == true
    }

    /// A refresh grant sent straight to the peer (not through Tollgate): its status and body.
    package func refreshDirectly(_ refreshToken: String) throws -> Response {
        try post(tokenURL, form: [("grant_type", "refresh_token"), ("refresh_token", refreshToken)])
    }

    // MARK: Helpers for tests

    /// The query parameters of `url`, decoded (e.g. `code` and `state` in a Location).
    package static func query(of url: String) -> [String: String] {
        var items: [String: String] = [:]
        for item in URLComponents(string: url)?.queryItems ?? [] { items[item.name] = item.value ?? "" }
        return items
    }

    private static func userQuery(_ user: String?) -> String {
        guard let user else { return "" }
        return "?user=" + FormURLEncoding.percentEncode(user)
    }

    private func send(_ request: HTTPClient.Request) throws -> Response {
        let response: HTTPClient.Response
        do {
            response = try Self.client.perform(request)
        } catch {
            throw OAuthPeerError("\(request.method.rawValue) \(request.url): \(error)")
        }
        return Response(status: response.status, headers: response.headers.fields.map { ($0.name, $0.value) }, body: response.body)
    }
}
