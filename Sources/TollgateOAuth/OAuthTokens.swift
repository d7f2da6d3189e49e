import Foundation

/// A successful token response (RFC 6749 §5.1).
package struct OAuthTokens: Sendable, Equatable {
    package var accessToken: OAuthSecret
    /// `Bearer` for every provider Tollgate knows; kept as sent.
    package var tokenType: String
    /// Absent when the provider issued none (then the one held before stays in use).
    package var refreshToken: OAuthSecret?
    /// Seconds the access token lives, when the provider says.
    package var expiresIn: Int?
    /// The granted scopes, when the provider says (§5.1: only when they differ from the request).
    package var scope: String?
    /// The account label read from ``OAuthProvider/accountField``, when configured and present.
    package var account: String?

    package init(
        accessToken: OAuthSecret, tokenType: String = "Bearer", refreshToken: OAuthSecret? = nil, expiresIn: Int? = nil,
        scope: String? = nil, account: String? = nil
    ) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.scope = scope
        self.account = account
    }

    /// `scope` split on spaces and commas (providers use either).
    package var scopes: [String]? {
        scope.map { $0.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) }
    }
}
