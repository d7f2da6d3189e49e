import Foundation

extension OAuthProviderFile {
    /// Applies the preset and defaults to one definition and validates every field.
    static func build(
        name: String, _ definition: OAuthProviderDefinition, environment: [String: String], defaultRedirectURI: String?
    ) throws(OAuthConfigurationError) -> OAuthProvider {
        func fail(_ field: String, _ message: String) -> OAuthConfigurationError {
            OAuthConfigurationError(provider: name, field: field, message: message)
        }
        var preset: OAuthPreset?
        if let presetName = definition.preset {
            guard let found = OAuthPreset.all[presetName] else {
                throw fail("preset", "unknown preset \"\(presetName)\"; known: \(OAuthPreset.all.keys.sorted().joined(separator: ", "))")
            }
            preset = found
        }
        guard let authorizeURL = definition.authorizeURL ?? preset?.authorizeURL else { throw fail("authorize_url", "is required (or a preset)") }
        guard let tokenURL = definition.tokenURL ?? preset?.tokenURL else { throw fail("token_url", "is required (or a preset)") }
        try checkEndpoint(authorizeURL, field: "authorize_url", fail: fail)
        try checkEndpoint(tokenURL, field: "token_url", fail: fail)
        let revocationURL = definition.revocationURL ?? preset?.revocationURL
        if let revocationURL { try checkEndpoint(revocationURL, field: "revocation_url", fail: fail) }

        guard let clientID = definition.clientID, !clientID.isEmpty else { throw fail("client_id", "is required") }
        let secret: String
        switch (definition.clientSecret, definition.clientSecretEnv) {
        case (let value?, nil):
            secret = value
        case (nil, let variable?):
            guard let value = environment[variable], !value.isEmpty else {
                throw fail("client_secret_env", "names \(variable), which is not set")
            }
            secret = value
        case (nil, nil):
            throw fail("client_secret", "is required (or client_secret_env naming a variable that holds it)")
        case (_?, _?):
            throw fail("client_secret", "give client_secret or client_secret_env, not both")
        }
        guard !secret.isEmpty else { throw fail("client_secret", "is empty") }

        let separator = definition.scopeSeparator ?? preset?.scopeSeparator ?? " "
        guard !separator.isEmpty else { throw fail("scope_separator", "must not be empty") }
        let scopes = definition.scopes ?? preset?.scopes ?? []
        for scope in scopes where scope.isEmpty || scope.contains(separator) || scope.contains(" ") {
            throw fail("scopes", "\"\(scope)\" is empty or contains the separator or a space")
        }
        var parameters = preset?.authorizeParameters ?? [:]
        for (key, value) in definition.authorizeParams ?? [:] {
            guard !reservedParameters.contains(key) else { throw fail("authorize_params", "\(key) is set by Tollgate and cannot be overridden") }
            parameters[key] = value
        }
        let method: OAuthProvider.ClientAuthentication
        if let text = definition.tokenAuthMethod {
            guard let parsed = OAuthProvider.ClientAuthentication(rawValue: text) else { throw fail("token_auth_method", "expected basic or form") }
            method = parsed
        } else {
            method = preset?.clientAuthentication ?? .basic
        }
        let margin = definition.refreshMarginSeconds ?? 60
        guard (0...86_400).contains(margin) else { throw fail("refresh_margin_seconds", "expected 0 to 86400") }
        guard let redirectURI = definition.redirectURI ?? defaultRedirectURI else {
            throw fail("redirect_uri", "is required when TOLLGATE_PUBLIC_URL is not set")
        }
        try checkURL(redirectURI, field: "redirect_uri", fail: fail)
        if let reconnect = definition.reconnectURL { try checkURL(reconnect, field: "reconnect_url", fail: fail) }
        return OAuthProvider(
            name: name, displayName: definition.displayName ?? preset?.displayName, authorizeURL: authorizeURL, tokenURL: tokenURL,
            revocationURL: revocationURL, clientID: clientID, clientSecret: OAuthSecret(secret), scopes: scopes, scopeSeparator: separator,
            authorizeParameters: parameters, clientAuthentication: method, refreshMarginSeconds: margin, redirectURI: redirectURI,
            reconnectURL: definition.reconnectURL, accountField: definition.accountField ?? preset?.accountField)
    }

    /// An endpoint Tollgate sends secrets to: `https://`, or `http://` on a loopback host only
    /// (RFC 6749 §3.1, §3.2 require TLS).
    static func checkEndpoint(
        _ url: String, field: String, fail: (String, String) -> OAuthConfigurationError
    ) throws(OAuthConfigurationError) {
        try checkURL(url, field: field, fail: fail)
        guard let components = URLComponents(string: url), components.fragment == nil else {
            throw fail(field, "must not have a fragment")
        }
        if components.scheme?.lowercased() == "http", !isLoopback(components.host ?? "") {
            throw fail(field, "must use https (http only for 127.0.0.1, ::1 or localhost)")
        }
    }

    /// An absolute `http(s)://host…` URL.
    static func checkURL(_ url: String, field: String, fail: (String, String) -> OAuthConfigurationError) throws(OAuthConfigurationError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", components.host?.isEmpty == false
        else { throw fail(field, "must be an absolute http(s) URL") }
    }

    static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
    }
}
