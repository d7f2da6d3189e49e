import Foundation
import TollgateEntitlements
import TollgateTestSupport

/// Tollgate's API as the SaaS calls it: a write key, over a real socket.
struct TollgateAPI {
    let port: Int
    let token: String
    /// The Stripe customer Tollgate links the Tollgate customer to, when the call is made.
    let linkedStripeCustomer: (String) throws -> String?
}

extension ScenarioDriver {
    /// An operation made through Tollgate's API, which calls Stripe. Stripe's current subscription
    /// of the customer must then have changed as asked — whatever Tollgate's own copy says while
    /// webhooks lag (issue 12: billing calls must act on Stripe's current subscription, not on a
    /// possibly stale local id). That is judged only while Tollgate links the customer to its live
    /// Stripe customer (without that link Tollgate cannot know which subscriptions are its own);
    /// a miss goes to ``billingMisses``. Returns the subscriptions the call changed, except those
    /// it canceled (localstripe sends their `customer.subscription.deleted` itself).
    func throughTollgate(_ operation: inout ScenarioOperation) throws -> [String] {
        let owner = operation.owner
        guard let tollgate, let live = account.liveSubscription(of: owner) else { return [] }
        let path = "/v1/customers/\(owner)/subscription/"
        let request: (path: String, body: String?, asked: String, done: (ScenarioAccount.Subscription) -> Bool)
        switch operation.kind {
        case .tollgateChangeQuantity:
            var quantity = Int.random(in: 1...12, using: &generator)
            if quantity == live.quantity { quantity = quantity % 12 + 1 }
            request = (path + "change", #"{"quantity":\#(quantity)}"#, "quantity \(quantity)", { $0.quantity == quantity })
        case .tollgateCancelAtPeriodEnd:
            request = (path + "cancel", #"{"at_period_end":true}"#, "cancel at period end", { $0.cancelAtPeriodEnd })
        case .tollgateResume:
            request = (path + "resume", nil, "resume", { !$0.cancelAtPeriodEnd })
        default:
            request = (path + "cancel", #"{"at_period_end":false}"#, "cancel now", { $0.status == "canceled" })
        }
        let before = account.subscriptions(of: owner)
        let linked = try tollgate.linkedStripeCustomer(owner)
        let response = try HTTPTestClient.request(
            port: tollgate.port, method: "POST", path: request.path,
            headers: [("Authorization", "Bearer \(tollgate.token)"), ("Content-Type", "application/json"),
                      ("Idempotency-Key", "scenario-\(seed)-\(operation.index)")],
            body: request.body.map { Array($0.utf8) } ?? [])
        for subscription in before { try refresh(subscription.id) }
        var changed: [String] = []
        var canceled: [String] = []
        for old in before {
            guard let new = account.subscriptions[old.id],
                  (new.status, new.quantity, new.cancelAtPeriodEnd, new.plan) != (old.status, old.quantity, old.cancelAtPeriodEnd, old.plan)
            else { continue }
            if new.hasEnded, !old.hasEnded { canceled.append(old.id) } else { changed.append(old.id) }
        }
        operation.stripeIDs += changed + canceled
        operation.detail = "asked \(request.asked) (Stripe's current is \(live.id)); Tollgate answered \(response.status)"
            + ((changed + canceled).isEmpty ? ", Stripe changed nothing" : ", Stripe changed \((changed + canceled).joined(separator: " "))")
        if let now = account.subscriptions[live.id], !request.done(now) {
            if linked == live.customer {
                billingMisses.append("#\(operation.index) \(operation.kind.rawValue) \(owner): \(operation.detail): \(response.text.prefix(300))")
                operation.detail += " — missed Stripe's current subscription"
            } else {
                operation.detail += " — not judged: Tollgate links \(linked ?? "no Stripe customer")"
            }
        }
        return changed
    }
}
