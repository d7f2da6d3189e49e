/// Why a check is denied, or why a feature is unavailable: a code safe to show and to branch on.
///
/// An open set: new codes may be added without breaking callers. Encodes as a plain string.
public struct DenialReason: RawRepresentable, Hashable, Sendable {
    /// The code, such as `limit_exceeded`.
    public let rawValue: String

    /// Creates a reason from its code.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The customer's plan does not include the feature.
    public static let featureNotInPlan = DenialReason(rawValue: "feature_not_in_plan")
    /// The check would go over the limit or the remaining quota.
    public static let limitExceeded = DenialReason(rawValue: "limit_exceeded")
    /// The customer has no subscription that grants access, and the default plan lacks the feature.
    public static let noActiveSubscription = DenialReason(rawValue: "no_active_subscription")
    /// The service does not know the customer.
    public static let unknownCustomer = DenialReason(rawValue: "unknown_customer")
    /// The catalog has no such feature.
    public static let unknownFeature = DenialReason(rawValue: "unknown_feature")
    /// The feature is priced in credits and the customer's balance does not cover the use.
    public static let insufficientCredits = DenialReason(rawValue: "insufficient_credits")
    /// A check for a member (`member=`): the member holds no seat of the feature (docs/seats.md).
    public static let notAssigned = DenialReason(rawValue: "not_assigned")
    /// The quantity asked for is less than 1.
    public static let invalidQuantity = DenialReason(rawValue: "invalid_quantity")
}

extension DenialReason: CustomStringConvertible {
    /// The code.
    public var description: String { rawValue }
}

extension DenialReason: Codable {
    /// Decodes the code from a string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(rawValue: try container.decode(String.self))
    }

    /// Encodes the code as a string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
