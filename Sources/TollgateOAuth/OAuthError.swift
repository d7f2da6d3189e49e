/// A failed call to a provider's token or revocation endpoint, or an error the provider sent to
/// the redirect URI.
///
/// ``code`` is the RFC 6749 §5.2 / §4.1.2.1 error code when the provider sent one (`invalid_grant`,
/// `access_denied`, …), or one of Tollgate's own (`transport`, `invalid_response`, `http_status`).
/// The description never holds a client secret, code, verifier or token: Tollgate never puts them
/// there, and the provider's `error_description` is cleaned of the values the request carried.
package struct OAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An open set of codes; providers may send codes not listed here.
    package struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }

        /// The grant (code or refresh token) is invalid, expired, revoked or used (RFC 6749 §5.2).
        package static let invalidGrant = Code(rawValue: "invalid_grant")
        /// The person or the provider refused the authorization request (§4.1.2.1).
        package static let accessDenied = Code(rawValue: "access_denied")
        /// Client authentication failed: Tollgate's client id or secret is wrong.
        package static let invalidClient = Code(rawValue: "invalid_client")
        package static let invalidRequest = Code(rawValue: "invalid_request")
        package static let unauthorizedClient = Code(rawValue: "unauthorized_client")
        package static let unsupportedGrantType = Code(rawValue: "unsupported_grant_type")
        package static let invalidScope = Code(rawValue: "invalid_scope")
        package static let serverError = Code(rawValue: "server_error")
        package static let temporarilyUnavailable = Code(rawValue: "temporarily_unavailable")
        /// No HTTP answer (connect failure, timeout, broken connection, TLS).
        package static let transport = Code(rawValue: "transport")
        /// An answer that is not an RFC 6749 token response (not JSON, no `access_token`).
        package static let invalidResponse = Code(rawValue: "invalid_response")
        /// An error status without an RFC 6749 error body.
        package static let httpStatus = Code(rawValue: "http_status")

        package var description: String { rawValue }
    }

    package var code: Code
    /// What went wrong, safe to log and to show.
    package var message: String
    /// The HTTP status, when there was an answer.
    package var status: Int?
    /// True when trying again later may work: no answer (connect failure, timeout), 5xx, 429,
    /// `server_error`, `temporarily_unavailable`.
    package var isTransient: Bool

    package init(code: Code, message: String, status: Int? = nil, isTransient: Bool) {
        self.code = code
        self.message = message
        self.status = status
        self.isTransient = isTransient
    }

    /// True when the grant itself is dead (`invalid_grant`): the connection cannot be refreshed
    /// again and must be reconnected.
    package var grantIsDead: Bool { code == .invalidGrant }

    package var description: String {
        var text = "\(code.rawValue): \(message)"
        if let status { text += " (HTTP \(status))" }
        return text
    }
}
