import Foundation
import TollgateCrypto
package import TollgateHTTPClient
package import TollgateLogging
package import TollgateBase

/// The client side of a provider's token endpoint (RFC 6749 §4.1.3, §6) and revocation endpoint
/// (RFC 7009), over the project's libcurl ``HTTPClient``.
///
/// Calls block the calling thread. Every request has its own timeouts; nothing is retried here
/// (a code can be used once; a refresh token may rotate): callers decide. Logs name the provider,
/// the grant type and the status, never a secret.
package final class OAuthTokenClient: Sendable {
    package struct Timeouts: Sendable, Equatable {
        package var connect: Duration
        package var total: Duration
        package init(connect: Duration = .seconds(5), total: Duration = .seconds(10)) {
            self.connect = connect
            self.total = total
        }
    }

    /// What a revocation did (the service records it as its own `RevocationOutcome`).
    package enum Revocation: Sendable {
        /// The provider answered 200 (RFC 7009 §2.2: also for tokens it did not know).
        case revoked
        /// The provider has no revocation endpoint.
        case notSupported
    }

    /// RFC 7009 §2.1 `token_type_hint`.
    package enum TokenTypeHint: String, Sendable {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
    }

    private let http: HTTPClient
    private let logger: Logger
    package let timeouts: Timeouts
    /// `tollgate_oauth_token_refreshes_total{provider,outcome}`.
    private let refreshes: CounterFamily

    /// Refreshes are counted in `metrics`.
    package init(http: HTTPClient, timeouts: Timeouts = Timeouts(), logger: Logger = .disabled, metrics: MetricsRegistry = MetricsRegistry()) {
        self.http = http
        self.timeouts = timeouts
        self.logger = logger.labeled("oauth")
        refreshes = metrics.counter(
            "tollgate_oauth_token_refreshes_total",
            help: "OAuth access-token refreshes this instance asked providers for, by provider and outcome: refreshed, or the "
                + "failure's code (invalid_grant, transport, server_error, http_status, ...)",
            labels: ["provider", "outcome"])
    }

    /// Exchanges an authorization code and its PKCE verifier for tokens.
    package func exchange(code: OAuthSecret, verifier: OAuthSecret, provider: OAuthProvider) throws(OAuthError) -> OAuthTokens {
        let form = [
            ("grant_type", "authorization_code"), ("code", code.value), ("redirect_uri", provider.redirectURI),
            ("code_verifier", verifier.value),
        ]
        return try tokenRequest(form, grantType: "authorization_code", provider: provider, secrets: [code, verifier])
    }

    /// Trades a refresh token for a new access token (and, with rotation, a new refresh token).
    package func refresh(_ refreshToken: OAuthSecret, provider: OAuthProvider) throws(OAuthError) -> OAuthTokens {
        do {
            let tokens = try tokenRequest(
                [("grant_type", "refresh_token"), ("refresh_token", refreshToken.value)], grantType: "refresh_token",
                provider: provider, secrets: [refreshToken])
            refreshes.increment(provider.name, "refreshed")
            return tokens
        } catch {
            refreshes.increment(provider.name, error.code.rawValue)
            throw error
        }
    }

    /// Revokes `token` (RFC 7009 §2.1). Throws when the provider answers anything but 200.
    package func revoke(_ token: OAuthSecret, hint: TokenTypeHint, provider: OAuthProvider) throws(OAuthError) -> Revocation {
        guard let url = provider.revocationURL else { return .notSupported }
        let response = try send(url: url, form: [("token", token.value), ("token_type_hint", hint.rawValue)], provider: provider)
        logger.debug("token revocation", ["provider": provider.name, "status": String(response.status)])
        guard response.status == 200 else {
            if let fields = TokenResponseParser.decodeBody(response),
               let failure = TokenResponseParser.error(in: fields, status: response.status, provider: provider, secrets: [token]) {
                throw failure
            }
            throw OAuthError(
                code: .httpStatus, message: "\(provider.name) revocation endpoint answered HTTP \(response.status)",
                status: response.status, isTransient: response.status >= 500 || response.status == 429)
        }
        // Slack answers 200 with {"ok": false, …} on failure.
        if let fields = TokenResponseParser.decodeBody(response),
           let failure = TokenResponseParser.error(in: fields, status: 200, provider: provider, secrets: [token]) {
            throw failure
        }
        return .revoked
    }

    private func tokenRequest(
        _ form: [(String, String)], grantType: String, provider: OAuthProvider, secrets: [OAuthSecret]
    ) throws(OAuthError) -> OAuthTokens {
        let response = try send(url: provider.tokenURL, form: form, provider: provider)
        logger.debug("token request", ["provider": provider.name, "grant_type": grantType, "status": String(response.status)])
        return try TokenResponseParser.parse(response, provider: provider, secrets: secrets + [provider.clientSecret])
    }

    /// POSTs `form` with the client's authentication.
    private func send(url: String, form: [(String, String)], provider: OAuthProvider) throws(OAuthError) -> HTTPClient.Response {
        var form = form
        var headers: HTTPClient.Headers = ["Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"]
        switch provider.clientAuthentication {
        case .basic:
            // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and encoded.
            let pair = FormURLEncoding.percentEncode(provider.clientID) + ":" + FormURLEncoding.percentEncode(provider.clientSecret.value)
            headers.add("Authorization", "Basic " + Base64.encode(Array(pair.utf8)))
        case .form:
            form += [("client_id", provider.clientID), ("client_secret", provider.clientSecret.value)]
        }
        let request = HTTPClient.Request(
            method: .POST, url: url, headers: headers, body: Array(FormURLEncoding.encode(form).utf8),
            connectTimeout: timeouts.connect, timeout: timeouts.total)
        do {
            return try http.perform(request)
        } catch {
            logger.debug("oauth request failed", ["provider": provider.name, "error": error.description])
            throw OAuthError(
                code: .transport, message: "\(provider.name) could not be reached: \(error.code)", status: nil,
                isTransient: error.isTransient || error.code == .tls || error.code == .other)
        }
    }
}
