package import Foundation
import TollgateEvents
import TollgateBase
import TollgateCrypto
import TollgateEntitlements
import TollgateLogging
import TollgateOAuth
import TollgateStore

extension IntegrationService {
    /// Completes an authorization from the callback's query (`state`, and `code` or `error`).
    ///
    /// The state is consumed once (one conditional UPDATE), then checked for expiry; the code is
    /// exchanged with the stored PKCE verifier and the tokens are sealed into the customer's
    /// connection for this provider (created, or replaced on a reconnect). Every outcome is a
    /// ``CallbackOutcome``; only a store failure before the state is read throws.
    package func callback(query: [String: String], now: Date = Date()) throws -> CallbackOutcome {
        let sealer: TokenSealer
        do {
            sealer = try configured()
        } catch {
            return CallbackOutcome(.serverError, error.message)
        }
        guard let state = query["state"], !state.isEmpty, state.count <= 512 else {
            return CallbackOutcome(.invalidCallback, "the callback has no state")
        }
        let stateHash = OAuthStateStore.hash(state)
        let consumed = try database.transaction { connection in try OAuthStateStore.consume(stateHash: stateHash, now: now, on: connection) }
        let pending: OAuthStateStore.Pending
        switch consumed {
        case .unknown:
            return CallbackOutcome(.stateUnknown, "this authorization is unknown; start connecting again")
        case .replayed(let returnURL):
            return CallbackOutcome(.stateReplayed, "this authorization was already completed or abandoned; start connecting again", returnURL: returnURL)
        case .pending(let found):
            pending = found
        }
        do {
            return try complete(pending, stateHash: stateHash, query: query, sealer: sealer, now: now)
        } catch {
            logger.error("oauth callback failed", ["provider": pending.provider, "error": String(describing: error)])
            return CallbackOutcome(.serverError, "connecting failed inside Tollgate; try again", provider: pending.provider,
                                   returnURL: pending.returnURL)
        }
    }

    private func complete(
        _ pending: OAuthStateStore.Pending, stateHash: String, query: [String: String], sealer: TokenSealer, now: Date
    ) throws -> CallbackOutcome {
        let returnURL = pending.returnURL
        func outcome(_ result: CallbackOutcome.Result, _ message: String, customer: String? = nil, connectionID: String? = nil) -> CallbackOutcome {
            CallbackOutcome(result, message, provider: pending.provider, customer: customer, connectionID: connectionID, returnURL: returnURL)
        }
        guard let provider = settings.providers[pending.provider] else {
            return outcome(.providerError, "provider \(pending.provider) is no longer configured")
        }
        guard now < pending.expiresAt else {
            return outcome(.stateExpired, "this authorization expired; start connecting again")
        }
        if let error = query["error"] {
            logger.info("oauth authorization refused", ["provider": provider.name, "error": String(error.prefix(64))])
            return error == "access_denied"
                ? outcome(.accessDenied, "access was denied at \(provider.displayName)")
                : outcome(.providerError, "\(provider.displayName) answered \(String(error.prefix(64)))")
        }
        guard let code = query["code"], !code.isEmpty else {
            return outcome(.invalidCallback, "the callback has neither a code nor an error")
        }
        guard let customer = try database.withConnection({ connection in try CustomerRepository.find(id: pending.customerID, on: connection) }) else {
            return outcome(.serverError, "the customer no longer exists")
        }
        do {
            try checkGate(customer: customer, provider: provider.name)
        } catch let error as IntegrationError where error.code == .notEntitled {
            return outcome(.notEntitled, error.message, customer: customer.externalID)
        }
        let verifier = try sealer.open(pending.sealedVerifier, context: TokenSealer.verifierContext(stateHash))
        let tokens: OAuthTokens
        do {
            tokens = try client.exchange(code: OAuthSecret(code), verifier: verifier, provider: provider)
        } catch {
            logger.warning("oauth code exchange failed", ["provider": provider.name, "error": error.description])
            let result: CallbackOutcome.Result = error.code == .invalidGrant ? .invalidGrant : (error.isTransient ? .providerUnavailable : .providerError)
            return outcome(result, error.message, customer: customer.externalID)
        }
        let connectionID = try store(tokens, customer: customer, provider: provider, pending: pending, sealer: sealer, now: now)
        logger.info("oauth connected", ["provider": provider.name, "customer": customer.externalID, "connection": connectionID])
        return outcome(.connected, "connected to \(provider.displayName)", customer: customer.externalID, connectionID: connectionID)
    }

    /// Seals the tokens into the customer's connection for the provider; returns its id.
    private func store(
        _ tokens: OAuthTokens, customer: Customer, provider: OAuthProvider, pending: OAuthStateStore.Pending, sealer: TokenSealer, now: Date
    ) throws -> String {
        func attempt() throws -> String {
            try database.transaction { connection in
                let existing = try ConnectionStore.find(customerID: customer.id, provider: provider.name, on: connection)
                if let existing { _ = try ConnectionStore.lock(id: existing.connection.id, on: connection) }
                let id = try existing?.connection.id ?? "con_" + SecureRandom.token(20)
                let sealed = try seal(tokens, refresh: tokens.refreshToken, id: id, sealer: sealer, scopes: tokens.scopes ?? pending.scopes ?? provider.scopes, now: now)
                if existing != nil {
                    try ConnectionStore.replace(id: id, tokens: sealed, account: tokens.account, returnURL: pending.returnURL, now: now, on: connection)
                } else {
                    try ConnectionStore.insert(
                        id: id, customerID: customer.id, provider: provider.name, tokens: sealed, account: tokens.account,
                        returnURL: pending.returnURL, now: now, on: connection)
                }
                if let stored = try ConnectionStore.find(id: id, on: connection) {
                    try IntegrationEvents.append(.integrationConnected, stored.connection, on: connection, now: now)
                }
                return id
            }
        }
        defer { entitlements.events?.appended.notify() }
        do {
            return try attempt()
        } catch let error as StoreError where error.code == .uniqueViolation {
            // A concurrent callback for the same customer and provider inserted first: replace its tokens.
            return try attempt()
        }
    }

    /// The sealed form of `tokens` for connection `id` under the current key.
    func seal(_ tokens: OAuthTokens, refresh: OAuthSecret?, id: String, sealer: TokenSealer, scopes: [String], now: Date) throws -> ConnectionStore.Tokens {
        ConnectionStore.Tokens(
            access: try sealer.seal(tokens.accessToken, context: TokenSealer.accessContext(id)),
            refresh: try refresh.map { secret throws(IntegrationError) in try sealer.seal(secret, context: TokenSealer.refreshContext(id)) },
            keyID: sealer.keyring.currentKeyID, tokenType: tokens.tokenType,
            expiresAt: tokens.expiresIn.map { now.addingTimeInterval(TimeInterval($0)) }, scopes: scopes)
    }
}
