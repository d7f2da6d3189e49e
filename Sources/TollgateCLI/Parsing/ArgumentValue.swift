import Foundation
import Tollgate
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateIntegrations
import TollgateOutbox
import TollgateWebhookEndpoints
import TollgateWire

/// A type the command line can give a value of: read from one word, described in help and in
/// the usage error for a word that is not one (`--limit must be a whole number; got x`).
protocol ArgumentValue {
    /// Nil when `argument` is not a value of this type.
    init?(argument: String)
    /// What a value must be, completing "--NAME must be …".
    static var expectation: String { get }
    /// The allowed values when they are a closed set (shown in help).
    static var choices: [String]? { get }
}

extension ArgumentValue {
    static var choices: [String]? { nil }
}

/// A closed set of names (a status, a scope): its raw values are the choices.
extension ArgumentValue where Self: RawRepresentable & CaseIterable, RawValue == String {
    init?(argument: String) { self.init(rawValue: argument) }
    static var choices: [String]? { allCases.map(\.rawValue) }
    static var expectation: String { "one of \(allCases.map(\.rawValue).joined(separator: ", "))" }
}

extension String: ArgumentValue {
    init?(argument: String) { self = argument }
    static var expectation: String { "text" }
}

extension Int: ArgumentValue {
    init?(argument: String) { self.init(argument) }
    static var expectation: String { "a whole number" }
}

extension Int64: ArgumentValue {
    init?(argument: String) { self.init(argument) }
    static var expectation: String { "a whole number" }
}

/// An RFC 3339 time, as the API reads instants (`2026-01-31T12:00:00Z`).
extension Date: ArgumentValue {
    init?(argument: String) {
        guard let date = WireJSON.parseInstant(argument) else { return nil }
        self = date
    }

    static var expectation: String { "an ISO 8601 time such as 2026-01-31T12:00:00Z" }
}

extension FeatureKey: ArgumentValue {
    init?(argument: String) { self.init(validating: argument) }
    static var expectation: String { "a feature key such as exports.daily" }
}

/// `true`, a whole number, or `unlimited`: what a grant gives.
extension EntitlementValue: ArgumentValue {
    init?(argument: String) {
        switch argument {
        case "true": self = .enabled
        case "unlimited": self = .unlimited
        default:
            guard let number = Int64(argument) else { return nil }
            self = .limit(number)
        }
    }

    static var expectation: String { "true, a whole number or unlimited" }
}

extension APIKeyScope: ArgumentValue {}
extension BillingInterval: ArgumentValue {}
extension ConnectionStatus: ArgumentValue {}
extension CreditCause: ArgumentValue {}
extension OutboxStatus: ArgumentValue {}
extension ProrationBehavior: ArgumentValue {}
extension StripeEventStatus: ArgumentValue {}
extension SubscriptionStatus: ArgumentValue {}
extension SuppressionReason: ArgumentValue {}
extension WebhookDeliveryStatus: ArgumentValue {}
