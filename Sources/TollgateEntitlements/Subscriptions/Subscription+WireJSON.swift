import Foundation
package import Tollgate
import TollgateBase
import TollgateWire

/// Subscriptions as event data, written directly: the applier writes one or two per Stripe event,
/// and through `JSONEncoder` they were a sixth of its CPU. The bytes are `WireJSON`'s (sorted
/// snake-case keys, instants to the second); `SubscriptionWireJSONTests` holds the two to the same
/// bytes over random values.
extension Subscription {
    /// This subscription as `WireJSON.encoder()` encodes it (absent values as `null`).
    package var wireJSON: String {
        var out = "{\"cancel_at_period_end\":\(state.cancelAtPeriodEnd),\"created_at\":\"\(WireJSON.instant(createdAt))\""
        out += ",\"current_period_end\":" + Self.instant(state.currentPeriodEnd)
        out += ",\"current_period_start\":" + Self.instant(state.currentPeriodStart)
        out += ",\"customer\":" + JSONString.quoted(customer)
        out += ",\"id\":" + JSONString.quoted(id)
        out += ",\"past_due_since\":" + Self.instant(state.pastDueSince)
        out += ",\"plan\":" + JSONString.quoted(state.planKey)
        out += ",\"quantity\":\(state.quantity),\"status\":" + JSONString.quoted(state.status.rawValue)
        out += ",\"stripe_subscription_id\":" + (stripeSubscriptionID.map(JSONString.quoted) ?? "null")
        out += ",\"trial_end\":" + Self.instant(state.trialEnd)
        return out + ",\"updated_at\":\"\(WireJSON.instant(updatedAt))\"}"
    }

    static func instant(_ date: Date?) -> String {
        date.map { "\"\(WireJSON.instant($0))\"" } ?? "null"
    }
}

extension SubscriptionState {
    /// This state as `WireJSON.encoder()` encodes it (absent values left out).
    package var wireJSON: String {
        var out = "{\"cancel_at_period_end\":\(cancelAtPeriodEnd)"
        if let currentPeriodEnd { out += ",\"current_period_end\":\"\(WireJSON.instant(currentPeriodEnd))\"" }
        if let currentPeriodStart { out += ",\"current_period_start\":\"\(WireJSON.instant(currentPeriodStart))\"" }
        if let pastDueSince { out += ",\"past_due_since\":\"\(WireJSON.instant(pastDueSince))\"" }
        out += ",\"plan_key\":" + JSONString.quoted(planKey)
        out += ",\"quantity\":\(quantity),\"status\":" + JSONString.quoted(status.rawValue)
        if let trialEnd { out += ",\"trial_end\":\"\(WireJSON.instant(trialEnd))\"" }
        return out + "}"
    }
}
