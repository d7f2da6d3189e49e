import Foundation

/// The OAuth 2.0 test peer (django-oauth-toolkit, `scripts/peers/oauth`) as `scripts/test` exports
/// it: `TOLLGATE_TEST_OAUTH_URL`, `…_CLIENT_ID`, `…_CLIENT_SECRET`, `…_REDIRECT_URI`.
///
/// Tests that need it are enabled when it is configured or when `CI=true` (then a missing peer
/// fails them instead of skipping them). Counts are read per user (each test logs in as its own
/// user); ``exclusively(_:)`` keeps these tests from loading the one-worker peer all at once.
public struct OAuthTestPeer: Sendable {
    public let baseURL: String
    public let port: Int
    public let clientID: String
    public let clientSecret: String
    public let redirectURI: String

    static let variables = ["TOLLGATE_TEST_OAUTH_URL", "TOLLGATE_TEST_OAUTH_CLIENT_ID", "TOLLGATE_TEST_OAUTH_CLIENT_SECRET",
                            "TOLLGATE_TEST_OAUTH_REDIRECT_URI"]

    /// True when the tests that need the peer should run: it is configured, or this is CI.
    public static var shouldRun: Bool {
        let environment = ProcessInfo.processInfo.environment
        return variables.allSatisfy { environment[$0]?.isEmpty == false } || environment["CI"] == "true"
    }

    /// The configured peer, or an error that says how to start one.
    public static func fromEnvironment() throws -> OAuthTestPeer {
        let environment = ProcessInfo.processInfo.environment
        let values = variables.map { environment[$0] ?? "" }
        guard values.allSatisfy({ !$0.isEmpty }), let port = URLComponents(string: values[0])?.port else {
            throw HTTPTestClientError(
                "the OAuth peer is not running: run scripts/test (it starts django-oauth-toolkit), or scripts/peers/oauth start DIR "
                    + "and export \(variables.joined(separator: ", "))")
        }
        return OAuthTestPeer(baseURL: values[0], port: port, clientID: values[1], clientSecret: values[2], redirectURI: values[3])
    }

    private static let gate = NSLock()

    /// Runs `body` while no other test talks to the peer.
    public static func exclusively<T>(_ body: () throws -> T) rethrows -> T {
        gate.lock()
        defer { gate.unlock() }
        return try body()
    }

    /// A providers file (`TOLLGATE_OAUTH_PROVIDERS`) with one provider per name, all this peer.
    public func providersJSON(names: [String], refreshMarginSeconds: Int = 2, tokenURL: String? = nil) -> String {
        let entries = names.map { name in
            """
            "\(name)": {"display_name": "Test OAuth \(name)", "authorize_url": "\(baseURL)/o/authorize/",
              "token_url": "\(tokenURL ?? baseURL + "/o/token/")", "revocation_url": "\(baseURL)/o/revoke_token/",
              "client_id": "\(clientID)", "client_secret": "\(clientSecret)", "scopes": ["read", "write"],
              "token_auth_method": "basic", "refresh_margin_seconds": \(refreshMarginSeconds), "redirect_uri": "\(redirectURI)"}
            """
        }
        return "{\"providers\": {\(entries.joined(separator: ",\n"))}}"
    }

    /// Logs in as `user` and follows the authorization URL once: the `Location` the peer answers
    /// (the redirect URI with `code` and `state`, or `error`), not followed.
    public func authorize(url: String, as user: String) throws -> String {
        guard url.hasPrefix(baseURL) else { throw HTTPTestClientError("\(url) is not this peer's") }
        let response = try HTTPTestClient.request(port: port, path: String(url.dropFirst(baseURL.count)), headers: [("X-Remote-User", user)])
        guard response.status == 302, let location = response.header("Location") else {
            throw HTTPTestClientError("authorize answered \(response.status): \(response.text.prefix(300))")
        }
        return location
    }

    /// The query parameters of a URL, decoded.
    public static func query(of url: String) -> [String: String] {
        var items: [String: String] = [:]
        for item in URLComponents(string: url)?.queryItems ?? [] { items[item.name] = item.value ?? "" }
        return items
    }

    /// `{"token", "authorization_code", "refresh", "refresh_ok", "revoke"}` seen since the last reset
    /// about `user`'s codes and tokens (so tests running at the same time do not count each other).
    public func counts(user: String) throws -> [String: Int] {
        let response = try HTTPTestClient.request(port: port, path: "/test/counts?user=\(Self.encode(user))")
        guard response.status == 200, let counts = try response.json() as? [String: Int] else {
            throw HTTPTestClientError("counts answered \(response.status)")
        }
        return counts
    }

    public func resetCounts(user: String) throws {
        _ = try HTTPTestClient.request(port: port, method: "POST", path: "/test/counts/reset?user=\(Self.encode(user))")
    }

    /// Whether the peer considers `token` active (RFC 7662 introspection with the client's credentials).
    public func isActive(_ token: String) throws -> Bool {
        let response = try post("/o/introspect/", form: "token=\(Self.encode(token))")
        return (try response.json()["active"] as? Bool) == true
    }

    /// A refresh grant sent straight to the peer (not through Tollgate): its status and body.
    public func refreshDirectly(_ refreshToken: String) throws -> TestResponse {
        try post("/o/token/", form: "grant_type=refresh_token&refresh_token=\(Self.encode(refreshToken))")
    }

    private func post(_ path: String, form: String) throws -> TestResponse {
        let basic = Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
        return try HTTPTestClient.request(
            port: port, method: "POST", path: path,
            headers: [("Authorization", "Basic \(basic)"), ("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8))
    }

    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}
