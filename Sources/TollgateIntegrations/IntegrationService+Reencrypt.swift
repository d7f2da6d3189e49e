import Foundation
import TollgateCrypto
import TollgateLogging
import TollgateStore

/// What `connections reencrypt` did.
package struct ReencryptReport: Sendable, Codable, Equatable {
    /// The key everything is sealed with now.
    package var currentKeyID: String
    /// Connections that were sealed under another key.
    package var examined: Int
    package var resealed: Int
    /// Connections whose secrets could not be opened with the configured keys: `id: reason`.
    package var failures: [String]
}

extension IntegrationService {
    /// Re-seals every connection's tokens that are sealed under a key other than the current one
    /// (the first in `TOLLGATE_ENCRYPTION_KEY`). Each connection in its own transaction under the
    /// same locks as a refresh. Once it reports no failures, old keys can be removed (after pending
    /// authorization states, sealed with them, have expired: `TOLLGATE_OAUTH_STATE_TTL_SECONDS`).
    package func reencrypt(progress: (Int, Int) -> Void = { _, _ in }) throws -> ReencryptReport {
        guard let sealer else {
            throw IntegrationError(.notConfigured, "TOLLGATE_ENCRYPTION_KEY is not set")
        }
        let current = sealer.keyring.currentKeyID
        let ids = try database.withConnection { connection in try ConnectionStore.sealedUnderOtherKeys(than: current, on: connection) }
        var report = ReencryptReport(currentKeyID: current, examined: ids.count, resealed: 0, failures: [])
        for (index, id) in ids.enumerated() {
            do {
                let done = try locks.withLock(id) {
                    try database.transaction { connection -> Bool in
                        guard let stored = try ConnectionStore.findLocked(id: id, on: connection),
                              stored.connection.keyID != current else { return false }
                        let access = try sealer.open(stored.sealedAccessToken, context: TokenSealer.accessContext(id))
                        let refresh = try stored.sealedRefreshToken.map { sealed throws(IntegrationError) in
                            try sealer.open(sealed, context: TokenSealer.refreshContext(id))
                        }
                        try ConnectionStore.resealed(
                            id: id, access: try sealer.seal(access, context: TokenSealer.accessContext(id)),
                            refresh: try refresh.map { secret throws(IntegrationError) in try sealer.seal(secret, context: TokenSealer.refreshContext(id)) },
                            keyID: current, on: connection)
                        return true
                    }
                }
                if done { report.resealed += 1 }
            } catch let error as IntegrationError {
                report.failures.append("\(id): \(error.message)")
            }
            progress(index + 1, ids.count)
        }
        logger.info("oauth tokens re-encrypted", ["key": current, "resealed": String(report.resealed), "failed": String(report.failures.count)])
        return report
    }
}
