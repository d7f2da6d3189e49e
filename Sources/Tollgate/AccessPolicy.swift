#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Which subscriptions grant access to their plan's entitlements.
///
/// * `trialing` and `active` grant access. A subscription set to cancel at period end keeps
///   it only while `now` is before `currentPeriodEnd` (when that is known).
/// * `past_due` grants access during the grace period: while `now` is before
///   `pastDueSince + pastDueGracePeriod` (falling back to `currentPeriodStart`, then to `now`,
///   when the first failed payment is unknown). The cancel-at-period-end rule applies too.
/// * `incomplete`, `incomplete_expired`, `unpaid`, `canceled` and `paused` do not.
///
/// A customer whose subscription grants no access falls back to the default plan (see
/// ``Evaluator``). Every boundary is exclusive: access ends *at* the instant.
public struct AccessPolicy: Sendable, Hashable, Codable {
    /// How long a past-due subscription keeps access, in seconds. Default: 7 days.
    public var pastDueGracePeriod: TimeInterval

    /// Creates a policy.
    public init(pastDueGracePeriod: TimeInterval = 7 * 86_400) {
        self.pastDueGracePeriod = pastDueGracePeriod
    }

    /// Whether `subscription` grants access to its plan at `now`.
    public func grantsAccess(_ subscription: SubscriptionState, at now: Date) -> Bool {
        switch subscription.status {
        case .trialing, .active:
            return isBeforeCancellation(subscription, at: now)
        case .pastDue:
            let since = subscription.pastDueSince ?? subscription.currentPeriodStart ?? now
            return now < since.addingTimeInterval(pastDueGracePeriod)
                && isBeforeCancellation(subscription, at: now)
        case .incomplete, .incompleteExpired, .unpaid, .canceled, .paused:
            return false
        }
    }

    /// False once a subscription set to cancel at period end has reached the end of its period.
    private func isBeforeCancellation(_ subscription: SubscriptionState, at now: Date) -> Bool {
        guard subscription.cancelAtPeriodEnd, let end = subscription.currentPeriodEnd else { return true }
        return now < end
    }
}
