import Foundation

/// Reads and validates the providers file named by `TOLLGATE_OAUTH_PROVIDERS`:
///
/// ```json
/// {"providers": {
///    "github": {"preset": "github", "client_id": "Iv1.abc", "client_secret_env": "GITHUB_CLIENT_SECRET"},
///    "acme":   {"authorize_url": "https://id.acme.test/authorize", "token_url": "https://id.acme.test/token",
///               "client_id": "tollgate", "client_secret": "…", "scopes": ["read"], "token_auth_method": "form"}
/// }}
/// ```
///
/// Errors name the provider and the field (``OAuthConfigurationError``); unknown fields are errors
/// (a typo must not silently drop a setting).
package enum OAuthProviderFile {
    /// Parameters of the authorization request that Tollgate sets itself; `authorize_params` may not.
    static let reservedParameters: Set<String> = [
        "response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method",
    ]

    /// Parses `json`. `environment` resolves `client_secret_env`; `defaultRedirectURI` (from
    /// `TOLLGATE_PUBLIC_URL`) is used by providers that set no `redirect_uri`.
    package static func parse(
        _ json: [UInt8], environment: [String: String], defaultRedirectURI: String?
    ) throws(OAuthConfigurationError) -> [String: OAuthProvider] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw OAuthConfigurationError(message: "not a JSON object")
        }
        if let unknown = root.keys.first(where: { $0 != "providers" }) {
            throw OAuthConfigurationError(field: unknown, message: "unknown field; the file holds {\"providers\": {NAME: {…}}}")
        }
        guard let entries = root["providers"] as? [String: Any] else {
            throw OAuthConfigurationError(field: "providers", message: "must be an object of providers by name")
        }
        var providers: [String: OAuthProvider] = [:]
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard isValidName(name) else {
                throw OAuthConfigurationError(provider: name, message: "names are 1–40 characters of a–z, 0–9 and _ (they name the feature integrations.<name>)")
            }
            guard let fields = entry as? [String: Any] else {
                throw OAuthConfigurationError(provider: name, message: "must be an object")
            }
            if let unknown = fields.keys.sorted().first(where: { !OAuthProviderDefinition.fieldNames.contains($0) }) {
                throw OAuthConfigurationError(provider: name, field: unknown, message: "unknown field")
            }
            let definition: OAuthProviderDefinition
            do {
                let data = try JSONSerialization.data(withJSONObject: fields)
                definition = try JSONDecoder().decode(OAuthProviderDefinition.self, from: data)
            } catch let error as DecodingError {
                throw OAuthConfigurationError(provider: name, field: fieldName(of: error), message: "has the wrong type")
            } catch {
                throw OAuthConfigurationError(provider: name, message: "cannot be read")
            }
            providers[name] = try build(name: name, definition, environment: environment, defaultRedirectURI: defaultRedirectURI)
        }
        return providers
    }

    /// Reads the file at `path` and parses it.
    package static func load(
        path: String, environment: [String: String], defaultRedirectURI: String?
    ) throws(OAuthConfigurationError) -> [String: OAuthProvider] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OAuthConfigurationError(message: "cannot read \(path)")
        }
        return try parse(Array(data), environment: environment, defaultRedirectURI: defaultRedirectURI)
    }

    static func isValidName(_ name: String) -> Bool {
        (1...40).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }
    }

    private static func fieldName(of error: DecodingError) -> String? {
        let path: [any CodingKey] = switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            context.codingPath
        @unknown default: []
        }
        return path.first?.stringValue
    }
}
