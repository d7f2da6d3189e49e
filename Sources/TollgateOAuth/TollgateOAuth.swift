/// OAuth 2.0 client side for third-party integrations: provider configuration and presets
/// (``OAuthProviderFile``, ``OAuthPreset``), PKCE S256 (``PKCE``, RFC 7636), the authorization
/// request (``AuthorizationRequest``), the token endpoint and revocation (``OAuthTokenClient``,
/// RFC 6749, RFC 7009) over libcurl. Storage, encryption and single-flight refresh live in
/// `TollgateIntegrations`.
package enum TollgateOAuth {}
