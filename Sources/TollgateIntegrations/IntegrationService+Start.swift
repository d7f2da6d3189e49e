package import Foundation
import Synchronization
import Tollgate
import TollgateCrypto
import TollgateEntitlements
import TollgateLogging
import TollgateOAuth
import TollgateStore

extension IntegrationService {
    /// Begins connecting `customer` to `provider`: checks the entitlement gate, stores a one-time
    /// state (bound to customer, provider and return URL, with the sealed PKCE verifier) and
    /// returns the authorization URL.
    ///
    /// `returnURL` must be one of `TOLLGATE_OAUTH_RETURN_URLS`, exactly; `scopes` (nil: the
    /// provider's) are what the authorization request asks for.
    package func start(
        customer externalID: String, provider name: String, returnURL: String? = nil, scopes: [String]? = nil, now: Date = Date()
    ) throws -> AuthorizationStart {
        let sealer = try configured()
        let provider = try provider(named: name)
        if let returnURL, !settings.returnURLs.contains(returnURL) {
            throw DomainError.invalid("return_url", "must be one of TOLLGATE_OAUTH_RETURN_URLS (compared exactly)")
        }
        for scope in scopes ?? [] where scope.isEmpty || scope.contains(" ") || scope.contains(provider.scopeSeparator) || scope.count > 200 {
            throw DomainError.invalid("scopes", "each scope is 1–200 characters without spaces or the provider's separator")
        }
        let customer = try database.withConnection { connection in
            guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
                throw DomainError.unknownCustomer(externalID)
            }
            return customer
        }
        try checkGate(customer: customer, provider: provider.name)
        let state = try SecureRandom.token(43)
        let pkce = try PKCE.generate()
        let stateHash = OAuthStateStore.hash(state)
        let sealedVerifier = try sealer.seal(pkce.verifier, context: TokenSealer.verifierContext(stateHash))
        let expiresAt = now.addingTimeInterval(TimeInterval(settings.stateTTLSeconds))
        let purgeDue = lastStatePurge.withLock { last -> Bool in
            guard now.timeIntervalSince(last) >= 60 else { return false }
            last = now
            return true
        }
        try database.transaction { connection in
            if purgeDue { try OAuthStateStore.purge(before: now.addingTimeInterval(-86_400), on: connection) }
            try OAuthStateStore.insert(
                stateHash: stateHash, customerID: customer.id, provider: provider.name, returnURL: returnURL, scopes: scopes,
                sealedVerifier: sealedVerifier, now: now, expiresAt: expiresAt, on: connection)
        }
        let request = AuthorizationRequest(provider: provider, state: state, codeChallenge: pkce.challenge, scopes: scopes)
        logger.info("oauth authorization started", ["provider": provider.name, "customer": externalID])
        return AuthorizationStart(
            authorizeURL: request.url, state: state, provider: provider.name, customer: externalID, redirectURI: provider.redirectURI,
            expiresAt: expiresAt)
    }

    /// The entitlement gate: the customer needs feature `integrations.<provider>` and/or room under
    /// the limit `integrations.connections` — whichever of the two the catalog defines (both must
    /// allow when both exist; a catalog with neither allows no connection). Reconnecting a
    /// provider already connected does not count against the limit.
    func checkGate(customer: Customer, provider: String) throws {
        let snapshot = try entitlements.snapshot(customer: customer.externalID)
        let perProvider = Self.feature(for: provider)
        var checked = false
        if let key = FeatureKey(rawValue: perProvider), snapshot.entitlements[key] != nil {
            checked = true
            let result = snapshot.check(key, quantity: 1)
            if !result.allowed {
                throw Self.denial(customer: customer, provider: provider, feature: perProvider, reason: result.reason ?? .featureNotInPlan)
            }
        }
        if let key = FeatureKey(rawValue: Self.connectionLimitFeature), snapshot.entitlements[key] != nil {
            checked = true
            let others = try database.withConnection { connection in
                try ConnectionStore.count(customerID: customer.id, excluding: provider, on: connection)
            }
            let result = snapshot.check(key, quantity: Int64(others + 1))
            if !result.allowed {
                throw Self.denial(
                    customer: customer, provider: provider, feature: Self.connectionLimitFeature, reason: result.reason ?? .limitExceeded)
            }
        }
        guard checked else {
            throw IntegrationError(
                .notEntitled,
                "the catalog defines neither \(perProvider) nor \(Self.connectionLimitFeature); connecting needs one of them",
                feature: perProvider, reason: .unknownFeature)
        }
    }

    private static func denial(customer: Customer, provider: String, feature: String, reason: DenialReason) -> IntegrationError {
        IntegrationError(
            .notEntitled, "customer \(customer.externalID) may not connect \(provider): \(reason.rawValue) (\(feature))",
            feature: feature, reason: reason)
    }
}
