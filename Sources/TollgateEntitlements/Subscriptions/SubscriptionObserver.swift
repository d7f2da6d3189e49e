package import Foundation
package import Tollgate
package import TollgateStore

/// One write of a customer's subscription, as ``SubscriptionObserver`` is told it.
package struct SubscriptionWrite {
    package var customer: Customer
    /// The state before the write (nil: the customer had no subscription).
    package var previous: SubscriptionState?
    package var saved: Subscription
    /// The history entry the write appended.
    package var historyID: String
}

/// Told of every subscription write inside the write's own transaction, so that whatever it records
/// (the billing mails) commits or rolls back with the change. The composition root injects it; the
/// subscriptions code knows nothing of what listens.
package struct SubscriptionObserver: Sendable {
    let written: @Sendable (SubscriptionWrite, any SQLConnection, Date) throws -> Void

    package init(_ written: @escaping @Sendable (SubscriptionWrite, any SQLConnection, Date) throws -> Void) {
        self.written = written
    }

    /// Listens to nothing.
    package static let none = SubscriptionObserver { _, _, _ in }
}
