import Foundation
import TollgateHTTPClient

/// A failure talking to the OAuth peer (an unexpected status, a missing header, a bad body).
public struct OAuthPeerError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
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
public struct OAuthPeer: Sendable {
    public let baseURL: String
    public let clientID: String
    public let clientSecret: String
    public let redirectURI: String

    public var authorizeURL: String { baseURL + "/o/authorize/" }
    public var tokenURL: String { baseURL + "/o/token/" }
    public var revocationURL: String { baseURL + "/o/revoke_token/" }
    public var introspectionURL: String { baseURL + "/o/introspect/" }

    /// A response from the peer.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The body as a JSON object.
        public func json() throws -> [String: Any] {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw OAuthPeerError("HTTP \(status): the body is not a JSON object: \(text.prefix(200))")
            }
            return object
        }
    }

    /// Requests the peer saw.
    public struct Counts: Sendable, Equatable {
        /// POSTs to the token endpoint, any grant type and outcome.
        public var token: Int
        /// Of those, `grant_type=authorization_code`.
        public var authorizationCode: Int
        /// Of those, `grant_type=refresh_token` (any outcome).
        public var refresh: Int
        /// Refreshes answered 200.
        public var refreshSucceeded: Int
        /// POSTs to the revocation endpoint.
        public var revoke: Int
    }

    private static let client = HTTPClient()

    public init(baseURL: String, clientID: String, clientSecret: String, redirectURI: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
    }

    /// The peer named by `TOLLGATE_TEST_OAUTH_URL`, `_CLIENT_ID`, `_CLIENT_SECRET` and
    /// `_REDIRECT_URI`; nil when any is unset or empty.
    public static func fromEnvironment() -> OAuthPeer? {
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
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// What to say when the peer is missing.
    public static let missingMessage =
        "OAuth peer tests need TOLLGATE_TEST_OAUTH_URL, _CLIENT_ID, _CLIENT_SECRET and _REDIRECT_URI: run scripts/test, or `read -r TOLLGATE_TEST_OAUTH_URL TOLLGATE_TEST_OAUTH_CLIENT_ID TOLLGATE_TEST_OAUTH_CLIENT_SECRET TOLLGATE_TEST_OAUTH_REDIRECT_URI < <(scripts/peers/oauth start DIR)` and export them"

    /// GETs a full authorize URL logged in as `user` (header `X-Remote-User`), follows no redirect,
    /// and returns the `Location` of the peer's 302: the redirect URI with `code` and `state`, or
    /// with `error` (e.g. a `plain` PKCE method). Throws on any other answer (a 400 for an unknown
    /// client or a redirect URI that does not match).
    public func authorize(url: String, as user: String) throws -> String {
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
    public func post(_ url: String, form: [(String, String)], basicAuth: Bool = true) throws -> Response {
        var headers: HTTPClient.Headers = ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"]
        if basicAuth {
            let credentials = Self.formEncode(clientID) + ":" + Self.formEncode(clientSecret)
            headers.add("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString())
        }
        return try send(.init(method: .POST, url: url, headers: headers, body: Array(Self.formBody(form).utf8)))
    }

    /// All counts, or those of requests carrying `user`'s codes and tokens.
    public func allCounts(user: String? = nil) throws -> Counts {
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

    /// POSTs the peer saw: refresh-token grants, token requests of any grant type, revocations.
    public func counts(user: String? = nil) throws -> (refresh: Int, token: Int, revoke: Int) {
        let all = try allCounts(user: user)
        return (all.refresh, all.token, all.revoke)
    }

    /// Zeroes all counts, or `user`'s.
    public func resetCounts(user: String? = nil) throws {
        let response = try send(.init(method: .POST, url: baseURL + "/test/counts/reset" + Self.userQuery(user)))
        guard response.status == 200 else { throw OAuthPeerError("reset counts: HTTP \(response.status)") }
    }

    // MARK: Helpers for tests

    /// The decoded value of query parameter `name` in `url` (e.g. `code` in a Location).
    public static func queryItem(_ name: String, in url: String) -> String? {
        URLComponents(string: url)?.queryItems?.first { $0.name == name }?.value
    }

    /// `name=value&…`, percent-encoded for `application/x-www-form-urlencoded` and URL queries.
    public static func formBody(_ fields: [(String, String)]) -> String {
        fields.map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&")
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    public static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    private static func userQuery(_ user: String?) -> String {
        guard let user else { return "" }
        return "?user=" + formEncode(user)
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

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
