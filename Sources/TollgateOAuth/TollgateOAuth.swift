/// OAuth 2.0 client side for third-party integrations: provider configuration and presets, PKCE
/// (RFC 7636), the token endpoint (code exchange, refresh) and revocation (RFC 7009) over libcurl.
/// Storage, encryption and single-flight refresh live in `TollgateCore/Integrations`.
public enum TollgateOAuth {}
