import Foundation
import TollgateCore
import TollgateHTTPServer

/// Bearer-key authentication and scope checks for endpoints that require a key.
struct Authentication: Sendable {
    let verifier: APIKeyVerifier

    /// The caller's key, or 401 when it is missing or unknown, or 403 when its scope is too small.
    func authenticate(_ request: HTTPRequest, requiring scope: APIKeyScope) throws -> APIKey {
        guard let header = request.headers["Authorization"] else {
            throw HTTPError.unauthorized("missing Authorization: Bearer <api key>")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw HTTPError.unauthorized("expected Authorization: Bearer <api key>")
        }
        guard let key = try verifier.verify(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw HTTPError.unauthorized("unknown or revoked API key")
        }
        guard key.scope.allows(scope) else {
            var error = HTTPError.forbidden("this API key has scope \(key.scope.rawValue); the operation needs \(scope.rawValue)")
            error.code = "insufficient_scope"
            throw error
        }
        return key
    }
}
