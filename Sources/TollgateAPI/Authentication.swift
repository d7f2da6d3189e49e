import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer

/// Bearer-key authentication and scope checks for endpoints that require a key.
struct Authentication: Sendable {
    let verifier: APIKeyVerifier

    /// The caller's key, or 401 when it is missing or unknown, or 403 when its scope is too small.
    func authenticate(_ request: HTTPRequest, requiring scope: APIKeyScope) throws -> APIKey {
        guard let header = request.headers["Authorization"] else {
            throw HTTPError.unauthorized("missing Authorization: Bearer <api key>")
        }
        guard let presented = Self.bearerToken(header) else {
            throw HTTPError.unauthorized("expected Authorization: Bearer <api key>")
        }
        guard let key = try verifier.verify(presented) else {
            throw HTTPError.unauthorized("unknown or revoked API key")
        }
        guard key.scope.allows(scope) else {
            var error = HTTPError.forbidden("this API key has scope \(key.scope.rawValue); the operation needs \(scope.rawValue)")
            error.code = "insufficient_scope"
            throw error
        }
        return key
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, spaces around the token ignored).
    /// Byte-level: this runs on every authenticated request.
    static func bearerToken(_ header: String) -> String? {
        let bytes = header.utf8
        let scheme = "bearer".utf8
        guard bytes.count > scheme.count + 1,
              zip(bytes.prefix(scheme.count), scheme).allSatisfy({ $0 | 0x20 == $1 }),
              bytes.dropFirst(scheme.count).first == UInt8(ascii: " ")
        else { return nil }
        let token = bytes.dropFirst(scheme.count).drop { $0 == UInt8(ascii: " ") }
        let trimmed = token.prefix { $0 != UInt8(ascii: " ") }
        guard !trimmed.isEmpty, trimmed.count == token.count || token.dropFirst(trimmed.count).allSatisfy({ $0 == UInt8(ascii: " ") })
        else { return nil }
        return String(decoding: trimmed, as: UTF8.self)
    }
}
