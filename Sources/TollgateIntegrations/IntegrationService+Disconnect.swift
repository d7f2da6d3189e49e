package import Foundation
import TollgateEntitlements
import TollgateEvents
import TollgateBase
import TollgateLogging
import TollgateOAuth
import TollgateOutbox
import TollgateStore

extension IntegrationService {
    /// Revokes the connection's grant at the provider (RFC 7009: the refresh token, or the access
    /// token when there is none) when it has a revocation endpoint, then deletes the connection,
    /// records what revocation did (`oauth_disconnections`) and queues the `integration_disconnected`
    /// mail — in one transaction holding the row lock, so no refresh runs meanwhile.
    ///
    /// Revocation is best effort: a failure is recorded and reported, and the connection is
    /// deleted anyway (the customer asked for it to be gone).
    package func disconnect(connectionID: String, reason: String = "It was disconnected at your request", now: Date = Date()) throws -> Disconnection {
        let sealer = try configured()
        let result = try locks.withLock(connectionID) {
            try database.transaction { connection -> Disconnection? in
                guard let stored = try ConnectionStore.findLocked(id: connectionID, on: connection) else { return nil }
                let provider = settings.providers[stored.connection.provider]
                let (revocation, revocationError) = revoke(stored, provider: provider, sealer: sealer)
                try ConnectionStore.delete(id: connectionID, on: connection)
                try ConnectionStore.recordDisconnection(
                    stored, reason: reason, revocation: revocation, revocationError: revocationError, now: now, on: connection)
                try IntegrationEvents.append(
                    .integrationDisconnected, stored.connection,
                    extra: ["reason": .string(reason), "revocation": .string(revocation.rawValue)], on: connection, now: now)
                if let mail = DisconnectionMail.make(
                    stored, provider: provider, reason: reason, at: now, dedupeKey: "integration_disconnected:\(connectionID)") {
                    try Outbox.enqueue(mail, on: connection, now: now)
                }
                return Disconnection(connection: stored.connection, revocation: revocation, revocationError: revocationError)
            }
        }
        guard let result else { throw IntegrationError(.connectionNotFound, "no connection \(connectionID)") }
        entitlements.events?.appended.notify()
        logger.info("oauth disconnected", ["provider": result.connection.provider, "connection": connectionID, "revocation": result.revocation.rawValue])
        return result
    }

    /// What revoking did: `revoked`, `not_supported`, `skipped` (provider no longer configured) or
    /// `failed` with a safe message.
    private func revoke(_ stored: StoredConnection, provider: OAuthProvider?, sealer: TokenSealer) -> (RevocationOutcome, String?) {
        guard let provider else { return (.skipped, "provider \(stored.connection.provider) is no longer configured") }
        do {
            let id = stored.connection.id
            let revocation: OAuthTokenClient.Revocation
            if let sealedRefresh = stored.sealedRefreshToken {
                let token = try sealer.open(sealedRefresh, context: TokenSealer.refreshContext(id))
                revocation = try client.revoke(token, hint: .refreshToken, provider: provider)
            } else {
                let token = try sealer.open(stored.sealedAccessToken, context: TokenSealer.accessContext(id))
                revocation = try client.revoke(token, hint: .accessToken, provider: provider)
            }
            switch revocation {
            case .revoked: return (.revoked, nil)
            case .notSupported: return (.notSupported, nil)
            }
        } catch let error as OAuthError {
            logger.warning("oauth revocation failed", ["provider": provider.name, "connection": stored.connection.id, "error": error.description])
            return (.failed, error.message)
        } catch {
            return (.failed, String(describing: error))
        }
    }
}
