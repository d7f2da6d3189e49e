/// One provider as written in the providers file: every field optional here; ``OAuthProviderFile``
/// applies the preset and the defaults and validates the result.
struct OAuthProviderDefinition: Decodable, Sendable {
    var preset: String?
    var displayName: String?
    var authorizeURL: String?
    var tokenURL: String?
    var revocationURL: String?
    var clientID: String?
    var clientSecret: String?
    var clientSecretEnv: String?
    var scopes: [String]?
    var scopeSeparator: String?
    var authorizeParams: [String: String]?
    var tokenAuthMethod: String?
    var refreshMarginSeconds: Int?
    var redirectURI: String?
    var reconnectURL: String?
    var accountField: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case preset
        case displayName = "display_name"
        case authorizeURL = "authorize_url"
        case tokenURL = "token_url"
        case revocationURL = "revocation_url"
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case clientSecretEnv = "client_secret_env"
        case scopes
        case scopeSeparator = "scope_separator"
        case authorizeParams = "authorize_params"
        case tokenAuthMethod = "token_auth_method"
        case refreshMarginSeconds = "refresh_margin_seconds"
        case redirectURI = "redirect_uri"
        case reconnectURL = "reconnect_url"
        case accountField = "account_field"
    }

    static let fieldNames = Set(CodingKeys.allCases.map(\.rawValue))
}
