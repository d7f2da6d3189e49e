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
    /// Byte-level over the header's contiguous UTF-8: this runs on every authenticated request.
    static func bearerToken(_ header: String) -> String? {
        header.utf8.withContiguousStorageIfAvailable(bearerToken) ?? bearerToken(Array(header.utf8))
    }

    private static let scheme = Array("bearer".utf8)

    private static func bearerToken<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> String? where Bytes.Index == Int {
        let space = UInt8(ascii: " ")
        var start = bytes.startIndex + scheme.count
        guard bytes.count > scheme.count + 1, bytes[start] == space else { return nil }
        for (offset, letter) in scheme.enumerated() where bytes[bytes.startIndex + offset] | 0x20 != letter { return nil }
        while start < bytes.endIndex, bytes[start] == space { start += 1 }
        var end = start
        while end < bytes.endIndex, bytes[end] != space { end += 1 }
        guard end > start, bytes[end...].allSatisfy({ $0 == space }) else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
