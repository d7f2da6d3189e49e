package import Foundation
package import Tollgate

/// Which of a customer's Stripe subscriptions is the customer's current subscription — the one
/// whose state the `subscriptions` row holds and entitlements are computed from. The rule, applied
/// over all of the customer's Stripe subscriptions as last mirrored (`stripe_subscriptions`)
/// whenever one of them is written:
///
/// 1. **Status**: a status that grants access (`active`, `trialing`, `past_due` — Stripe is still
///    collecting; the grace clock limits access, not the choice) ranks above an open status that
///    does not (`incomplete`, `unpaid`, `paused`), which ranks above an ended one (`canceled`,
///    `incomplete_expired`).
/// 2. **Most recently created** in Stripe (the subscription's `created`, else its `start_date`;
///    `created` because `start_date` may be backdated, and a replacement is always created after
///    the subscription it replaces). `tollgate stripe sync` picks a customer's live subscription by
///    `created` too.
/// 3. The greater Stripe id, so that the choice never depends on the order events arrived in.
///
/// A subscription that ranks lower never replaces the current one: its state is still recorded
/// (`stripe_subscriptions`, and the event's note), and it becomes current if the one above it
/// ends. The rule depends only on each subscription's newest state, which the ordering guard makes
/// independent of the order of delivery; so is the outcome. Tollgate's own subscriptions (set
/// through the API or CLI, no Stripe id) are not candidates: the next Stripe write puts the
/// customer back on the subscription this rule picks.
package enum StripeSubscriptionPrecedence {
    /// One of a customer's Stripe subscriptions, as far as the rule is concerned.
    package struct Candidate: Equatable {
        package var stripeSubscriptionID: String
        var status: SubscriptionStatus
        /// The subscription's `created` in Stripe (else its `start_date`).
        package var startedAt: Date

        package init(stripeSubscriptionID: String, status: SubscriptionStatus, startedAt: Date) {
            self.stripeSubscriptionID = stripeSubscriptionID
            self.status = status
            self.startedAt = startedAt
        }
    }

    /// 2: grants access; 1: open, no access; 0: ended.
    package static func rank(_ status: SubscriptionStatus) -> Int {
        switch status {
        case .active, .trialing, .pastDue: 2
        case .incomplete, .unpaid, .paused: 1
        case .canceled, .incompleteExpired: 0
        }
    }

    /// Whether `candidate` ranks above `other`.
    static func outranks(_ candidate: Candidate, _ other: Candidate) -> Bool {
        (rank(candidate.status), candidate.startedAt, candidate.stripeSubscriptionID)
            > (rank(other.status), other.startedAt, other.stripeSubscriptionID)
    }

    /// The candidate that is the customer's current subscription; nil when there is none.
    package static func current(of candidates: [Candidate]) -> Candidate? {
        candidates.reduce(nil) { best, candidate in
            guard let best else { return candidate }
            return outranks(candidate, best) ? candidate : best
        }
    }
}
