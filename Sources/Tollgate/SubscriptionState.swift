#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A customer's current subscription: its plan and state.
public struct SubscriptionState: Codable, Sendable, Hashable {
    /// The key of the subscribed plan.
    public var planKey: String
    /// Its status.
    public var status: SubscriptionStatus
    /// The quantity, such as a number of seats.
    public var quantity: Int
    /// The start of the current billing period, when known.
    public var currentPeriodStart: Date?
    /// The end of the current billing period (exclusive), when known.
    public var currentPeriodEnd: Date?
    /// Whether the subscription ends at the end of the current period.
    public var cancelAtPeriodEnd: Bool
    /// The end of the trial, when there is one.
    public var trialEnd: Date?
    /// When the subscription became past due (the first failed payment); starts the grace clock.
    public var pastDueSince: Date?

    /// Creates a subscription state.
    public init(
        planKey: String,
        status: SubscriptionStatus,
        quantity: Int = 1,
        currentPeriodStart: Date? = nil,
        currentPeriodEnd: Date? = nil,
        cancelAtPeriodEnd: Bool = false,
        trialEnd: Date? = nil,
        pastDueSince: Date? = nil
    ) {
        self.planKey = planKey
        self.status = status
        self.quantity = quantity
        self.currentPeriodStart = currentPeriodStart
        self.currentPeriodEnd = currentPeriodEnd
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.trialEnd = trialEnd
        self.pastDueSince = pastDueSince
    }
}
