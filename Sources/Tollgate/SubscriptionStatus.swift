/// The state of a subscription, mirroring Stripe's `subscription.status`.
///
/// See <https://docs.stripe.com/api/subscriptions/object#subscription_object-status>.
/// Which of them grant access is decided by ``AccessPolicy``.
public enum SubscriptionStatus: String, Codable, Sendable, CaseIterable {
    /// In its free trial.
    case trialing
    /// Paid and current.
    case active
    /// The latest payment failed; access continues for the grace period.
    case pastDue = "past_due"
    /// The first payment has not succeeded yet.
    case incomplete
    /// The first payment never succeeded.
    case incompleteExpired = "incomplete_expired"
    /// Payments failed past Stripe's retries; the subscription stays open but unpaid.
    case unpaid
    /// Ended.
    case canceled
    /// Paused (for instance a trial ended without a payment method).
    case paused
}
