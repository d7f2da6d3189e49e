import Foundation
import TollgateHTTPClient

/// Reads a token endpoint's answer: an RFC 6749 §5.1 success, a §5.2 error, GitHub's variants
/// (form-encoded bodies; errors with status 200) and Slack's (`"ok": false` with status 200).
enum TokenResponseParser {
    /// Provider-specific error codes mapped to RFC 6749's, so callers branch on one set.
    static let aliases: [String: OAuthError.Code] = [
        // GitHub
        "bad_verification_code": .invalidGrant, "bad_refresh_token": .invalidGrant,
        "incorrect_client_credentials": .invalidClient, "redirect_uri_mismatch": .invalidRequest,
        // Slack
        "invalid_code": .invalidGrant, "code_already_used": .invalidGrant, "invalid_refresh_token": .invalidGrant,
        "token_revoked": .invalidGrant, "token_expired": .invalidGrant, "invalid_grant_type": .unsupportedGrantType,
        "bad_client_secret": .invalidClient, "invalid_client_id": .invalidClient, "ratelimited": .temporarilyUnavailable,
    ]

    /// `secrets` are the values the request carried: removed from any text the provider sends back.
    static func parse(
        _ response: HTTPClient.Response, provider: OAuthProvider, secrets: [OAuthSecret]
    ) throws(OAuthError) -> OAuthTokens {
        let fields = decodeBody(response)
        let statusIsTransient = response.status >= 500 || response.status == 429
        if let fields, let failure = error(in: fields, status: response.status, provider: provider, secrets: secrets) {
            throw failure
        }
        guard (200..<300).contains(response.status) else {
            throw OAuthError(
                code: .httpStatus, message: "\(provider.name) token endpoint answered HTTP \(response.status)",
                status: response.status, isTransient: statusIsTransient)
        }
        guard let fields, let access = fields["access_token"] as? String, !access.isEmpty else {
            throw OAuthError(
                code: .invalidResponse, message: "\(provider.name) token endpoint answered without an access_token",
                status: response.status, isTransient: false)
        }
        let refresh = (fields["refresh_token"] as? String).flatMap { $0.isEmpty ? nil : OAuthSecret($0) }
        return OAuthTokens(
            accessToken: OAuthSecret(access), tokenType: fields["token_type"] as? String ?? "Bearer", refreshToken: refresh,
            expiresIn: integer(fields["expires_in"]), scope: fields["scope"] as? String,
            account: provider.accountField.flatMap { lookup($0, in: fields) })
    }

    /// The body as an object: JSON, or `application/x-www-form-urlencoded` (GitHub without
    /// `Accept: application/json`). Nil when it is neither.
    static func decodeBody(_ response: HTTPClient.Response) -> [String: Any]? {
        let contentType = response.headers["Content-Type"]?.lowercased() ?? ""
        if contentType.contains("application/x-www-form-urlencoded") {
            var fields: [String: Any] = [:]
            for (name, value) in FormURLEncoding.decode(response.text) { fields[name] = value }
            return fields
        }
        return (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
    }

    static func error(in fields: [String: Any], status: Int, provider: OAuthProvider, secrets: [OAuthSecret]) -> OAuthError? {
        let slackFailure = (fields["ok"] as? Bool) == false
        guard let raw = fields["error"] as? String ?? (slackFailure ? "server_error" : nil) else { return nil }
        let code = aliases[raw] ?? OAuthError.Code(rawValue: raw)
        var message = "\(provider.name) refused the request: \(raw)"
        if let description = fields["error_description"] as? String, !description.isEmpty {
            message += " (\(scrub(description, secrets: secrets)))"
        }
        let transient = status >= 500 || status == 429 || code == .serverError || code == .temporarilyUnavailable
        return OAuthError(code: code, message: message, status: status, isTransient: transient)
    }

    /// `text` without any of `secrets`, and at most 200 characters.
    static func scrub(_ text: String, secrets: [OAuthSecret]) -> String {
        var result = text
        for secret in secrets where secret.value.count >= 4 {
            result = result.replacingOccurrences(of: secret.value, with: "****")
        }
        return result.count > 200 ? String(result.prefix(200)) + "…" : result
    }

    static func integer(_ value: Any?) -> Int? {
        switch value {
        case let number as Int: number
        case let number as Double where number.isFinite && number >= 0 && number < 1e12: Int(number)
        case let text as String: Int(text)
        default: nil
        }
    }

    /// A string at a dotted path (`team.name`).
    static func lookup(_ path: String, in fields: [String: Any]) -> String? {
        var current: Any? = fields
        for key in path.split(separator: ".") {
            current = (current as? [String: Any])?[String(key)]
        }
        return current as? String
    }
}
