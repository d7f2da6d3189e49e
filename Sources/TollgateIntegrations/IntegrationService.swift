import Foundation
import Synchronization
import Tollgate
import TollgateCrypto
package import TollgateEntitlements
package import TollgateHTTPClient
package import TollgateLogging
import TollgateOAuth
package import TollgateStore
package import TollgateBase

/// Customers' connections to OAuth providers: start (with the entitlement gate), callback, fresh
/// tokens with single-flight refresh, disconnect, listing and re-encryption. Tokens are stored
/// sealed (``TokenSealer``); nothing here returns or logs one except ``freshToken(connectionID:now:)``.
///
/// Calls block (store, provider): call them from worker threads, never the concurrency pool.
package final class IntegrationService: Sendable {
    let database: any Database
    let settings: IntegrationSettings
    let sealer: TokenSealer?
    let client: OAuthTokenClient
    let entitlements: EntitlementService
    let locks = RefreshLocks()
    /// When `start` last purged old states (at most once a minute).
    let lastStatePurge = Mutex<Date>(.distantPast)
    let logger: Logger

    package init(
        database: any Database, settings: IntegrationSettings, entitlements: EntitlementService, http: HTTPClient = HTTPClient(),
        logger: Logger = .disabled, metrics: MetricsRegistry = MetricsRegistry()
    ) {
        self.database = database
        self.settings = settings
        self.sealer = settings.keyring.map(TokenSealer.init(keyring:))
        self.entitlements = entitlements
        self.logger = logger.labeled("integrations")
        self.client = OAuthTokenClient(http: http, logger: logger, metrics: metrics)
    }

    /// The limit feature on the number of connections a customer may hold.
    package static let connectionLimitFeature = "integrations.connections"

    /// The feature that allows connecting `provider`.
    package static func feature(for provider: String) -> String { "integrations.\(provider)" }

    /// The customer's connections, oldest first (at most one per provider: no pagination needed).
    package func list(customer externalID: String) throws -> [OAuthConnection] {
        try database.withConnection { connection in
            guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
                throw DomainError.unknownCustomer(externalID)
            }
            return try ConnectionStore.list(customerID: customer.id, on: connection).map(\.connection)
        }
    }

    /// One connection, or ``IntegrationError/Code/connectionNotFound``.
    package func show(connectionID: String) throws -> OAuthConnection {
        guard let stored = try database.withConnection({ connection in try ConnectionStore.find(id: connectionID, on: connection) }) else {
            throw IntegrationError(.connectionNotFound, "no connection \(connectionID)")
        }
        return stored.connection
    }

    func configured() throws(IntegrationError) -> TokenSealer {
        guard !settings.providers.isEmpty, let sealer else {
            throw IntegrationError(.notConfigured, "integrations are not configured: set TOLLGATE_OAUTH_PROVIDERS and TOLLGATE_ENCRYPTION_KEY")
        }
        return sealer
    }

    func provider(named name: String) throws(IntegrationError) -> OAuthProvider {
        guard let provider = settings.providers[name] else {
            let known = settings.providers.keys.sorted().joined(separator: ", ")
            throw IntegrationError(.unknownProvider, "no provider \(name) is configured (configured: \(known.isEmpty ? "none" : known))")
        }
        return provider
    }
}

extension IntegrationService {
    /// One page of connections, oldest first: the customer's (external id) or everyone's,
    /// optionally only those with `status` (operators: `tollgate connections list`).
    package func list(customer externalID: String?, status: ConnectionStatus?, page: PageRequest) throws -> Page<OAuthConnection> {
        try database.withConnection { connection in
            var customerID: String?
            if let externalID {
                guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
                    throw DomainError.unknownCustomer(externalID)
                }
                customerID = customer.id
            }
            let stored = try ConnectionStore.list(customerID: customerID, status: status, page: page, on: connection)
            return Page(items: stored.items.map(\.connection), hasMore: stored.hasMore)
        }
    }
}
