package import Foundation

/// Whether a connection can still produce tokens.
package enum ConnectionStatus: String, Sendable, Codable, CaseIterable {
    /// Tokens are held and refreshed as needed.
    case active
    /// Refreshing failed for good (`invalid_grant`) or too many times in a row: the customer must
    /// reconnect. Fresh-token requests answer 409 `connection_refresh_failed`.
    case refreshFailed = "refresh_failed"
}

/// A customer's connection to a provider, as shown by the API and the CLI: never its tokens.
package struct OAuthConnection: Sendable, Codable, Equatable {
    /// `con_…`
    package var id: String
    /// The customer's external id.
    package var customer: String
    /// Tollgate's id of the customer (`cus_…`).
    package var customerID: String
    package var provider: String
    package var status: ConnectionStatus
    /// The scopes granted (as the provider reported them, or as asked for).
    package var scopes: [String]
    /// The account at the provider, when known (Slack's workspace name).
    package var account: String?
    /// When the access token held now expires; nil when the provider gave no lifetime.
    package var expiresAt: Date?
    /// Whether a refresh token is held.
    package var refreshable: Bool
    /// Failed refreshes in a row.
    package var failureCount: Int
    /// The last refresh failure, safe to show (no token, no secret).
    package var lastError: String?
    package var refreshedAt: Date?
    /// The id of the key the tokens are sealed with.
    package var keyID: String
    package var createdAt: Date
    package var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, customer, customerID = "customerId", provider, status, scopes, account, expiresAt, refreshable, failureCount,
             lastError, refreshedAt, keyID = "keyId", createdAt, updatedAt
    }
}

/// What `start` answers: where to send the person, and until when the state is good.
package struct AuthorizationStart: Sendable, Codable, Equatable {
    /// The provider's authorization URL with `state` and the PKCE challenge: redirect the browser here.
    package var authorizeURL: String
    package var state: String
    package var provider: String
    package var customer: String
    /// The redirect URI sent to the provider (the callback that must be registered there).
    package var redirectURI: String
    package var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case authorizeURL = "authorizeUrl", state, provider, customer, redirectURI = "redirectUri", expiresAt
    }
}

/// A valid access token, as the fresh-token endpoint returns it.
package struct FreshToken: Sendable, Codable, Equatable {
    package var connectionID: String
    package var provider: String
    package var accessToken: String
    package var tokenType: String
    package var expiresAt: Date?
    package var scopes: [String]
    /// True when this call refreshed the token at the provider.
    package var refreshed: Bool

    enum CodingKeys: String, CodingKey {
        case connectionID = "connectionId", provider, accessToken, tokenType, expiresAt, scopes, refreshed
    }
}

/// What revoking a connection's grant at the provider did when it was disconnected; the
/// connection is deleted in every case.
package enum RevocationOutcome: String, Sendable, Codable, CaseIterable {
    /// The provider answered 200 (RFC 7009 §2.2: also for tokens it did not know).
    case revoked
    /// The provider refused or could not be reached (the reason in `revocation_error`).
    case failed
    /// The provider has no revocation endpoint.
    case notSupported = "not_supported"
    /// The provider is no longer configured.
    case skipped
}

/// What a disconnect did.
package struct Disconnection: Sendable, Codable, Equatable {
    package var connection: OAuthConnection
    package var revocation: RevocationOutcome
    /// Why revocation failed, safe to show.
    package var revocationError: String?
}
