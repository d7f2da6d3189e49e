import Foundation
import Tollgate
import TollgateCore
import TollgateEntitlements

/// One field on which Tollgate and Stripe disagree for one customer.
struct Disagreement: CustomStringConvertible {
    let customer: String
    let field: String
    let tollgate: String
    let stripe: String
    /// The class it most likely belongs to (issue 12's list), to group a run's disagreements.
    let kind: String

    var description: String { "\(customer) \(field): Tollgate \(tollgate), Stripe \(stripe) [\(kind)]" }
}

/// Tollgate's state for every customer against ``StripeTruth``: the current subscription (plan,
/// status, quantity, cancel-at-period-end, Stripe subscription id, grace clock), the Stripe
/// customer link, the email, and the entitlement check answering from the right plan.
struct ScenarioComparison {
    let disagreements: [Disagreement]
    let customers: Int

    /// The share of customers that agree on every field, in percent.
    var agreement: Double {
        customers == 0 ? 100 : 100 * Double(customers - Set(disagreements.map(\.customer)).count) / Double(customers)
    }

    /// Boolean features whose answers tell the example catalog's plans apart: free has neither,
    /// pro the first, enterprise both.
    static let probes: [FeatureKey] = ["integrations.github", "sso"]

    static func compare(_ truth: StripeTruth, account: ScenarioAccount, services: Services, catalog: Catalog, now: Date = Date()) throws -> ScenarioComparison {
        var found: [Disagreement] = []
        for expected in truth.customers {
            let owner = expected.owner
            func disagree(_ field: String, _ tollgate: String, _ stripe: String, _ kind: String) {
                found.append(Disagreement(customer: owner, field: field, tollgate: tollgate, stripe: stripe, kind: kind))
            }
            let olderSubscriptions = Set(account.subscriptions(of: owner).map(\.id)).subtracting([expected.subscription?.id].compactMap { $0 })

            let local = try services.subscriptions.current(customer: owner)
            switch (local, expected.subscription) {
            case (nil, nil):
                break
            case (let local, let stripe?) where expected.ownerForgotten:
                // Stripe can no longer tell whose it is (see StripeTruth.Customer.ownerForgotten):
                // no subscription, or an ended one, is right; a live one is a cancellation never applied.
                if let local, !["canceled", "incomplete_expired"].contains(local.state.status.rawValue) {
                    disagree("status", "\(local.state.status.rawValue) (\(local.stripeSubscriptionID ?? "no Stripe id"))",
                             "\(stripe.status) (\(stripe.id); every subscription of the customer has ended)", "a cancellation that never applied")
                }
            case (let local?, nil):
                disagree("subscription", describe(local), "none", "a subscription Stripe never had for this customer")
            case (nil, let stripe?):
                disagree("subscription", "none", describe(stripe), "a Stripe subscription never mirrored")
            case (let local?, let stripe?):
                if local.stripeSubscriptionID != stripe.id {
                    let kind = local.stripeSubscriptionID.map(olderSubscriptions.contains) == true
                        ? "another of the customer's subscriptions is current" : "a subscription Stripe does not have for this customer"
                    disagree("stripe_subscription_id", local.stripeSubscriptionID ?? "none", stripe.id, kind)
                }
                let kind = local.stripeSubscriptionID == stripe.id ? "stale state of the current subscription" : "fields of the wrong subscription"
                if local.state.planKey != stripe.planKey { disagree("plan", local.state.planKey, stripe.planKey, kind) }
                if local.state.status.rawValue != stripe.status { disagree("status", local.state.status.rawValue, stripe.status, kind) }
                if local.state.quantity != stripe.quantity { disagree("quantity", String(local.state.quantity), String(stripe.quantity), kind) }
                if local.state.cancelAtPeriodEnd != stripe.cancelAtPeriodEnd {
                    disagree("cancel_at_period_end", String(local.state.cancelAtPeriodEnd), String(stripe.cancelAtPeriodEnd), kind)
                }
                // The grace clock runs exactly while Stripe is still collecting a failed payment
                // (past_due), and is stopped while the subscription is paid up (active, trialing).
                let running = local.state.pastDueSince != nil
                if local.stripeSubscriptionID == stripe.id, ["past_due", "active", "trialing"].contains(stripe.status),
                   running != (stripe.status == "past_due") {
                    disagree("grace_clock", running ? "running" : "stopped", "\(stripe.status == "past_due" ? "running" : "stopped") (\(stripe.status))",
                             "the grace clock disagrees with the payment state")
                }
            }

            let customer = try services.customers.get(externalID: owner)
            if customer.stripeCustomerID != expected.stripeCustomer {
                let kind = switch (customer.stripeCustomerID, expected.stripeCustomer) {
                case (let linked?, _) where truth.deletedCustomers.contains(linked): "linked to a Stripe customer Stripe deleted"
                case (nil, _?): "not linked to its Stripe customer"
                default: "linked to another Stripe customer"
                }
                disagree("stripe_customer_id", customer.stripeCustomerID ?? "none", expected.stripeCustomer ?? "none", kind)
            }
            if expected.stripeCustomer != nil, customer.email != expected.email {
                disagree("email", customer.email ?? "none", expected.email ?? "none", "the customer's email drifted")
            }

            // Computed at `now` (never the cached snapshot), so the answer is the store's.
            let plan = catalog.plan(expected.entitledPlan)
            let answers = try probes.map { try services.entitlements.check(customer: owner, feature: $0, quantity: 1, now: now).allowed }
            let wanted = probes.map { plan?.entitlements[$0] != nil }
            if answers != wanted {
                func text(_ allowed: [Bool]) -> String {
                    zip(probes, allowed).map { "\($0.rawValue) \($1 ? "allowed" : "denied")" }.joined(separator: ", ")
                }
                disagree("entitlement", text(answers), "\(text(wanted)) (\(expected.entitledPlan))", "the check answers from the wrong plan")
            }
        }
        return ScenarioComparison(disagreements: found, customers: truth.customers.count)
    }

    static func describe(_ subscription: Subscription) -> String {
        let state = subscription.state
        return "\(subscription.stripeSubscriptionID ?? "(no Stripe id)") \(state.planKey) \(state.status.rawValue) ×\(state.quantity)"
            + (state.cancelAtPeriodEnd ? " cancel-at-period-end" : "")
    }

    static func describe(_ subscription: StripeTruth.Subscription) -> String {
        "\(subscription.id) \(subscription.planKey) \(subscription.status) ×\(subscription.quantity)"
            + (subscription.cancelAtPeriodEnd ? " cancel-at-period-end" : "")
    }
}
