public import Tollgate
package import TollgateWire

/// A refusal of the integrations service; each code has its kind (``failure``; the statuses are
/// listed with ``IntegrationError/Code``). Messages never carry a token or secret.
public struct IntegrationError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// `TOLLGATE_OAUTH_PROVIDERS` is unset (503).
        public static let notConfigured = Code(rawValue: "integrations_not_configured")
        /// No provider of that name (400).
        public static let unknownProvider = Code(rawValue: "unknown_provider")
        /// The entitlement gate refused (403); ``IntegrationError/reason`` and ``IntegrationError/feature`` say why.
        public static let notEntitled = Code(rawValue: "not_entitled")
        /// No such connection (404).
        public static let connectionNotFound = Code(rawValue: "connection_not_found")
        /// The connection is `refresh_failed`: reconnect (409).
        public static let refreshFailed = Code(rawValue: "connection_refresh_failed")
        /// The provider could not refresh now; retry later (503).
        public static let providerUnavailable = Code(rawValue: "provider_unavailable")
        /// The provider refused the refresh for a reason other than a dead grant (502).
        public static let providerError = Code(rawValue: "provider_error")
        /// A stored token cannot be opened with the configured keys (500-class operator error, 503).
        public static let keyUnavailable = Code(rawValue: "encryption_key_unavailable")
    }

    public var code: Code
    public var message: String
    /// For ``Code/notEntitled``: the feature checked and the denial reason.
    public var feature: String?
    public var reason: DenialReason?

    public init(_ code: Code, _ message: String, feature: String? = nil, reason: DenialReason? = nil) {
        self.code = code
        self.message = message
        self.feature = feature
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension IntegrationError: FailureConvertible {
    /// Unknown provider: invalid (400, naming `provider`); not entitled: forbidden (403, the feature
    /// and the denial reason in `details`); no connection: not found (404); refresh failed: a
    /// conflict (409, reconnect); the provider refused: upstream (502); not configured, provider or
    /// key unavailable: unavailable (503).
    package var failure: Failure {
        switch code {
        case .unknownProvider:
            Failure(.invalid, code: code.rawValue, message: message, details: [Failure.Detail(field: "provider", issue: message)])
        case .notEntitled:
            Failure(.forbidden, code: code.rawValue, message: message,
                    details: feature.flatMap { feature in reason.map { [Failure.Detail(field: feature, issue: $0.rawValue)] } } ?? [])
        case .connectionNotFound:
            Failure(.notFound, code: code.rawValue, message: message)
        case .refreshFailed:
            Failure(.conflict, code: code.rawValue, message: message)
        case .providerError:
            Failure(.upstream, code: code.rawValue, message: message)
        default:
            Failure(.unavailable, code: code.rawValue, message: message)
        }
    }
}
