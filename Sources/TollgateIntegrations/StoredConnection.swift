import Foundation
import TollgateStore

/// A connection row with its sealed secrets and the customer's contact (for the mail).
/// Internal: the sealed values never leave the integrations service.
struct StoredConnection: Sendable {
    var connection: OAuthConnection
    var sealedAccessToken: String
    var sealedRefreshToken: String?
    var tokenType: String
    var returnURL: String?
    var customerEmail: String?
    var customerName: String?

    static let selectSQL = """
        SELECT c.id, c.customer_id, c.provider, c.status, c.access_token, c.refresh_token, c.key_id, c.token_type, c.expires_at,
               c.scopes, c.account, c.return_url, c.failure_count, c.last_error, c.refreshed_at, c.created_at, c.updated_at,
               cu.external_id, cu.email, cu.name
        FROM oauth_connections c JOIN customers cu ON cu.id = c.customer_id
        """

    init(row: Row) throws {
        let statusText: String = try row.get("status")
        guard let status = ConnectionStatus(rawValue: statusText) else {
            throw StoreError(.decoding, "oauth_connections.status: unknown value")
        }
        let scopes: String = try row.get("scopes")
        let refresh: String? = try row.get("refresh_token")
        connection = OAuthConnection(
            id: try row.get("id"), customer: try row.get("external_id"), customerID: try row.get("customer_id"),
            provider: try row.get("provider"), status: status, scopes: scopes.split(separator: " ").map(String.init),
            account: try row.get("account"), expiresAt: try row.get("expires_at"), refreshable: refresh != nil,
            failureCount: try row.get("failure_count"), lastError: try row.get("last_error"), refreshedAt: try row.get("refreshed_at"),
            keyID: try row.get("key_id"), createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"))
        sealedAccessToken = try row.get("access_token")
        sealedRefreshToken = refresh
        tokenType = try row.get("token_type")
        returnURL = try row.get("return_url")
        customerEmail = try row.get("email")
        customerName = try row.get("name")
    }
}
