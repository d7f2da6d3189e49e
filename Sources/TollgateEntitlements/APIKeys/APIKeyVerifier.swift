import Foundation
import TollgateCrypto
import TollgateStore
import TollgateBase

/// Checks presented bearer keys against the store, caching verified records briefly so an
/// authenticated request does not cost a store read each time.
///
/// The cache holds the stored hash, not the key: every request still hashes the presented key
/// and compares in constant time. A key revoked elsewhere stops working within `cacheTTL`.
package final class APIKeyVerifier: Sendable {
    private struct Entry: Sendable {
        var key: APIKey
        var secretHash: [UInt8]
        var expires: ContinuousClock.Instant
    }

    private let repository: APIKeyRepository
    private let cacheTTL: Duration
    private let cache = ReadWriteLock<[String: Entry]>([:])

    package init(repository: APIKeyRepository, cacheTTL: Duration) {
        self.repository = repository
        self.cacheTTL = cacheTTL
    }

    /// The key's record when `presented` is a valid, unrevoked key; nil otherwise.
    /// Throws only when the store fails.
    package func verify(_ presented: String) throws -> APIKey? {
        guard let token = APIKeyToken(parsing: presented) else { return nil }
        let now = ContinuousClock.now
        let entry: Entry
        if let cached = cache.read({ $0[token.id] }), cached.expires > now {
            entry = cached
        } else {
            guard let credential = try repository.credential(id: token.id),
                  let hash = Hex.decode(credential.secretHash) else {
                cache.write { _ = $0.removeValue(forKey: token.id) }
                return nil
            }
            entry = Entry(key: credential.key, secretHash: hash, expires: now + cacheTTL)
            if cacheTTL > .zero {
                cache.write { $0[token.id] = entry }
            }
            if ConstantTime.equals(SHA256.digest(token.value), hash), !credential.key.isRevoked {
                try? repository.markUsed(id: token.id, at: Date())
            }
        }
        guard ConstantTime.equals(SHA256.digest(token.value), entry.secretHash), !entry.key.isRevoked else { return nil }
        return entry.key
    }
}
