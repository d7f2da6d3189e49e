package import Tollgate
package import TollgateWire

/// A refusal of the integrations service; each code has its kind (``failure``; the statuses are
/// listed with ``IntegrationError/Code``). Messages never carry a token or secret.
package struct IntegrationError: Error, Sendable, Equatable, CustomStringConvertible {
    package struct Code: RawRepresentable, Hashable, Sendable {
        package let rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }

        /// `TOLLGATE_OAUTH_PROVIDERS` is unset (409).
        package static let notConfigured = Code(rawValue: "integrations_not_configured")
        /// No provider of that name (400).
        package static let unknownProvider = Code(rawValue: "unknown_provider")
        /// The entitlement gate refused (403); ``IntegrationError/reason`` and ``IntegrationError/feature`` say why.
        package static let notEntitled = Code(rawValue: "not_entitled")
        /// No such connection (404).
        package static let connectionNotFound = Code(rawValue: "connection_not_found")
        /// The connection is `refresh_failed`: reconnect (409).
        package static let refreshFailed = Code(rawValue: "connection_refresh_failed")
        /// The provider could not refresh now; retry later (503).
        package static let providerUnavailable = Code(rawValue: "provider_unavailable")
        /// The provider refused the refresh for a reason other than a dead grant (502).
        package static let providerError = Code(rawValue: "provider_error")
        /// A stored token cannot be opened with the configured keys (500-class operator error, 503).
        package static let keyUnavailable = Code(rawValue: "encryption_key_unavailable")
    }

    package var code: Code
    package var message: String
    /// For ``Code/notEntitled``: the feature checked and the denial reason.
    package var feature: String?
    package var reason: DenialReason?

    package init(_ code: Code, _ message: String, feature: String? = nil, reason: DenialReason? = nil) {
        self.code = code
        self.message = message
        self.feature = feature
        self.reason = reason
    }

    package var description: String { "\(code.rawValue): \(message)" }
}

extension IntegrationError: FailureConvertible {
    /// Unknown provider: invalid (400, naming `provider`); not entitled: forbidden (403, the feature
    /// and the denial reason in `details`); no connection: not found (404); refresh failed: a
    /// conflict (409, reconnect); not configured: a conflict with this instance's configuration
    /// (409, naming what to set — a caller's request, not an outage); the provider refused:
    /// upstream (502); provider or key unavailable: unavailable (503).
    package var failure: Failure {
        switch code {
        case .unknownProvider:
            Failure(.invalid, code: code.rawValue, message: message, details: [Failure.Detail(field: "provider", issue: message)])
        case .notEntitled:
            Failure(.forbidden, code: code.rawValue, message: message,
                    details: feature.flatMap { feature in reason.map { [Failure.Detail(field: feature, issue: $0.rawValue)] } } ?? [])
        case .connectionNotFound:
            Failure(.notFound, code: code.rawValue, message: message)
        case .refreshFailed, .notConfigured:
            Failure(.conflict, code: code.rawValue, message: message)
        case .providerError:
            Failure(.upstream, code: code.rawValue, message: message)
        default:
            Failure(.unavailable, code: code.rawValue, message: message)
        }
    }
}
