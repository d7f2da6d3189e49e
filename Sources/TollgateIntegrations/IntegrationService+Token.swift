package import Foundation
import TollgateEntitlements
import TollgateEvents
import TollgateBase
import TollgateLogging
import TollgateOAuth
import TollgateOutbox
import TollgateStore

extension IntegrationService {
    /// A valid access token for the connection, refreshed first when it expires within the
    /// provider's margin.
    ///
    /// Refresh is single-flight per connection: threads of this process queue on an in-process
    /// lock, and the one that goes on takes the row's lock in the store (`SELECT … FOR UPDATE` on
    /// PostgreSQL, the `BEGIN IMMEDIATE` write lock on SQLite), so other instances wait too. After
    /// taking it, the credentials are read again: whoever waited finds the token a predecessor
    /// refreshed and uses it. The provider's answer is written in the same transaction: a rotated
    /// refresh token replaces the old one at once; no refresh token keeps the old one.
    ///
    /// Failures: `invalid_grant` marks the connection `refresh_failed` at once; other failures count,
    /// and `TOLLGATE_OAUTH_MAX_REFRESH_FAILURES` in a row mark it. Marking queues the
    /// `integration_disconnected` mail in that transaction.
    package func freshToken(connectionID: String, now: @escaping @Sendable () -> Date = { Date() }) throws -> FreshToken {
        let sealer = try configured()
        guard let stored = try database.withConnection({ connection in try ConnectionStore.find(id: connectionID, on: connection) }) else {
            throw IntegrationError(.connectionNotFound, "no connection \(connectionID)")
        }
        let provider = try provider(named: stored.connection.provider)
        if let token = try usable(stored, provider: provider, sealer: sealer, now: now()) { return token }
        let outcome = try locks.withLock(connectionID) {
            try database.transaction { connection in
                try refreshLocked(connectionID: connectionID, provider: provider, sealer: sealer, now: now, on: connection)
            }
        }
        switch outcome {
        case .token(let token):
            return token
        case .failure(let error):
            throw error
        }
    }

    enum RefreshOutcome {
        case token(FreshToken)
        /// Thrown after the transaction commits (so the failure count and mail are kept).
        case failure(IntegrationError)
    }

    /// The held token when it needs no refresh; nil when it does. Throws for a failed connection.
    func usable(_ stored: StoredConnection, provider: OAuthProvider, sealer: TokenSealer, now: Date) throws -> FreshToken? {
        guard stored.connection.status == .active else {
            throw IntegrationError(
                .refreshFailed, "connection \(stored.connection.id) is refresh_failed (\(stored.connection.lastError ?? "refresh failed")); reconnect it")
        }
        if let expiresAt = stored.connection.expiresAt, expiresAt.timeIntervalSince(now) <= TimeInterval(provider.refreshMarginSeconds) {
            // Within the margin: refresh when possible; without a refresh token, use it until it expires.
            guard stored.sealedRefreshToken == nil, expiresAt > now else { return nil }
        }
        return FreshToken(
            connectionID: stored.connection.id, provider: stored.connection.provider,
            accessToken: try sealer.open(stored.sealedAccessToken, context: TokenSealer.accessContext(stored.connection.id)).value,
            tokenType: stored.tokenType, expiresAt: stored.connection.expiresAt, scopes: stored.connection.scopes, refreshed: false)
    }

    /// Under the row lock: read again, and refresh only if still needed.
    private func refreshLocked(
        connectionID: String, provider: OAuthProvider, sealer: TokenSealer, now clock: () -> Date, on connection: any SQLConnection
    ) throws -> RefreshOutcome {
        guard let stored = try ConnectionStore.findLocked(id: connectionID, on: connection) else {
            return .failure(IntegrationError(.connectionNotFound, "no connection \(connectionID)"))
        }
        let now = clock()
        do {
            if let token = try usable(stored, provider: provider, sealer: sealer, now: now) { return .token(token) }
        } catch let error as IntegrationError {
            return .failure(error)
        }
        guard let sealedRefresh = stored.sealedRefreshToken else {
            try markFailed(stored, provider: provider, message: "the access token expired and the provider issued no refresh token", now: now, on: connection)
            return .failure(IntegrationError(.refreshFailed, "connection \(connectionID) expired and cannot be refreshed; reconnect it"))
        }
        let refreshToken = try sealer.open(sealedRefresh, context: TokenSealer.refreshContext(connectionID))
        let tokens: OAuthTokens
        do {
            tokens = try client.refresh(refreshToken, provider: provider)
        } catch {
            return .failure(try recordFailure(error, stored: stored, provider: provider, now: now, on: connection))
        }
        // No refresh token in the answer: keep the old one (re-sealed with the access token's key).
        let sealed = try seal(
            tokens, refresh: tokens.refreshToken ?? refreshToken, id: connectionID, sealer: sealer,
            scopes: tokens.scopes ?? stored.connection.scopes, now: now)
        try ConnectionStore.refreshed(id: connectionID, tokens: sealed, now: now, on: connection)
        logger.info("oauth token refreshed", [
            "provider": provider.name, "connection": connectionID, "rotated": tokens.refreshToken == nil ? "false" : "true",
        ])
        return .token(FreshToken(
            connectionID: connectionID, provider: provider.name, accessToken: tokens.accessToken.value, tokenType: tokens.tokenType,
            expiresAt: sealed.expiresAt, scopes: sealed.scopes, refreshed: true))
    }

    /// Counts a failed refresh; marks the connection failed (and queues the mail) for a dead grant
    /// or once the failures reach the maximum. Returns the error for the caller.
    private func recordFailure(
        _ error: OAuthError, stored: StoredConnection, provider: OAuthProvider, now: Date, on connection: any SQLConnection
    ) throws -> IntegrationError {
        let id = stored.connection.id
        let markNow = error.grantIsDead || stored.connection.failureCount + 1 >= settings.maxRefreshFailures
        logger.warning("oauth refresh failed", [
            "provider": provider.name, "connection": id, "error": error.description, "marked_failed": String(markNow),
        ])
        if markNow {
            try markFailed(stored, provider: provider, message: error.message, now: now, on: connection)
            return IntegrationError(.refreshFailed, "refreshing connection \(id) failed (\(error.code.rawValue)); reconnect it")
        }
        try ConnectionStore.refreshFailed(id: id, message: error.message, failed: false, now: now, on: connection)
        return error.isTransient
            ? IntegrationError(.providerUnavailable, "\(provider.displayName) could not refresh the token now (\(error.code.rawValue)); retry later")
            : IntegrationError(.providerError, "\(provider.displayName) refused the refresh (\(error.code.rawValue))")
    }

    /// Marks `refresh_failed` and queues the `integration_disconnected` mail, in the caller's transaction.
    func markFailed(_ stored: StoredConnection, provider: OAuthProvider, message: String, now: Date, on connection: any SQLConnection) throws {
        try ConnectionStore.refreshFailed(id: stored.connection.id, message: message, failed: true, now: now, on: connection)
        if let failed = try ConnectionStore.find(id: stored.connection.id, on: connection) {
            try IntegrationEvents.append(.integrationRefreshFailed, failed.connection, extra: ["error": .string(message)], on: connection, now: now)
        }
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        if let mail = DisconnectionMail.make(
            stored, provider: provider, reason: "Tollgate could no longer refresh its access (\(message))", at: now,
            dedupeKey: "integration_refresh_failed:\(stored.connection.id):\(millis)") {
            try Outbox.enqueue(mail, on: connection, now: now)
        }
    }
}
