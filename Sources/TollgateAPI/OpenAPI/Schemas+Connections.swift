import TollgateCore
import TollgateIntegrations
import TollgateBase

/// JSON Schemas of the connection (OAuth) bodies.
extension Schemas {
    static var connections: [String: JSONValue] {
        [
            "OAuthCallbackResult": object(required: ["outcome", "message"], [
                "outcome": cases(CallbackOutcome.Result.self),
                "message": string("What happened, for the person in the browser."),
                "provider": nullable(string("The provider's name, when the state was known.")),
                "customer": nullable(string("The customer's external id, when the state was known.")),
                "connection_id": nullable(string("The connection made, when connected.")),
            ]),
            "ConnectionStartRequest": object(required: ["provider"], [
                "provider": string("A configured provider's name (TOLLGATE_OAUTH_PROVIDERS), e.g. `github`."),
                "return_url": string("Where the browser goes after the callback, with ?outcome=…; must be listed in TOLLGATE_OAUTH_RETURN_URLS (exact match)."),
                "scopes": ["type": "array", "items": ["type": "string"], "description": "Scopes to ask for; default: the provider's configured scopes."],
            ]),
            "ConnectionStart": object(required: ["authorize_url", "state", "provider", "customer", "redirect_uri", "expires_at"], [
                "authorize_url": string("The provider's authorization URL (state, PKCE S256 challenge): redirect the browser here."),
                "state": string("The one-time state, bound to the customer, provider and return URL."),
                "provider": string("The provider's name."),
                "customer": string("The customer's external id."),
                "redirect_uri": string("The callback registered at the provider."),
                "expires_at": dateTime(),
            ]),
            "Connection": object(
                required: ["id", "customer", "customer_id", "provider", "status", "scopes", "refreshable", "failure_count", "key_id",
                           "created_at", "updated_at"], [
                    "id": string("`con_…`"),
                    "customer": string("The customer's external id."),
                    "customer_id": string("Tollgate's id of the customer (`cus_…`)."),
                    "provider": string("The provider's name."),
                    "status": cases(ConnectionStatus.self),
                    "scopes": ["type": "array", "items": ["type": "string"]],
                    "account": nullable(string("The account at the provider, when known.")),
                    "expires_at": nullable(dateTime()),
                    "refreshable": ["type": "boolean", "description": "Whether a refresh token is held."],
                    "failure_count": ["type": "integer", "description": "Failed refreshes in a row."],
                    "last_error": nullable(string("The last refresh failure.")),
                    "refreshed_at": nullable(dateTime()),
                    "key_id": string("The id of the encryption key the tokens are sealed with."),
                    "created_at": dateTime(),
                    "updated_at": dateTime(),
                ]),
            "ConnectionList": list(of: "Connection"),
            "ConnectionToken": object(required: ["connection_id", "provider", "access_token", "token_type", "scopes", "refreshed"], [
                "connection_id": string("`con_…`"),
                "provider": string("The provider's name."),
                "access_token": string("A valid access token. A credential: do not log or store it."),
                "token_type": string("Usually `Bearer`."),
                "expires_at": nullable(dateTime()),
                "scopes": ["type": "array", "items": ["type": "string"]],
                "refreshed": ["type": "boolean", "description": "True when this call refreshed the token."],
            ]),
            "Disconnection": object(required: ["connection", "revocation"], [
                "connection": OpenAPIDocument.ref("Connection"),
                "revocation": merged(cases(RevocationOutcome.self), [
                    "description": "What revocation at the provider did (RFC 7009); the connection is deleted in every case."]),
                "revocation_error": nullable(string("Why revocation failed.")),
            ]),
        ]
    }
}
