import Foundation
package import Tollgate
import TollgateEntitlements
import TollgateStripe
import TollgateBase

/// `POST /v1/customers/{external_id}/checkout`.
package struct CheckoutRequest: Sendable, Codable, Equatable {
    package var plan: String
    /// Default: the plan's monthly price, else its yearly one.
    package var interval: BillingInterval?
    /// Needed only when the plan has prices in several currencies.
    package var currency: String?
    /// Seats; default 1.
    package var quantity: Int?
    package var successURL: String
    package var cancelURL: String

    enum CodingKeys: String, CodingKey {
        case plan, interval, currency, quantity, successURL = "successUrl", cancelURL = "cancelUrl"
    }

    package init(plan: String, interval: BillingInterval? = nil, currency: String? = nil, quantity: Int? = nil, successURL: String, cancelURL: String) {
        self.plan = plan
        self.interval = interval
        self.currency = currency
        self.quantity = quantity
        self.successURL = successURL
        self.cancelURL = cancelURL
    }

    func validate() throws(DomainError) {
        if let quantity, quantity < 1 || quantity > 1_000_000 { throw .invalid("quantity", "must be from 1 to 1000000") }
        try StripeBilling.validateURL(successURL, field: "success_url")
        try StripeBilling.validateURL(cancelURL, field: "cancel_url")
    }
}

/// A Checkout Session to send the customer to.
package struct CheckoutSession: Sendable, Codable, Equatable {
    /// `cs_…`
    package var id: String
    /// Stripe's hosted checkout page.
    package var url: String
}

/// `POST /v1/customers/{external_id}/portal`.
package struct PortalRequest: Sendable, Codable, Equatable {
    package var returnURL: String

    enum CodingKeys: String, CodingKey { case returnURL = "returnUrl" }

    package init(returnURL: String) { self.returnURL = returnURL }
}

/// A billing-portal session to send the customer to.
package struct PortalSession: Sendable, Codable, Equatable {
    /// `bps_…`
    package var id: String?
    package var url: String
}

/// How Stripe bills a mid-period change (<https://docs.stripe.com/billing/subscriptions/prorations>).
package enum ProrationBehavior: String, Sendable, Codable, CaseIterable {
    /// Credit and charge the difference on the next invoice (Stripe's default).
    case createProrations = "create_prorations"
    /// No proration (`none`; not spelled `.none`, which an optional would take for nil).
    case noProration = "none"
    /// Prorate and invoice at once.
    case alwaysInvoice = "always_invoice"
}

/// `POST /v1/customers/{external_id}/subscription/change`: a new plan, a new quantity, or both.
package struct PlanChangeRequest: Sendable, Codable, Equatable {
    package var plan: String?
    /// Default: the current price's interval.
    package var interval: BillingInterval?
    package var quantity: Int?
    /// Omitted: not sent, so Stripe applies its default, `create_prorations`.
    package var prorationBehavior: ProrationBehavior?

    package init(plan: String? = nil, interval: BillingInterval? = nil, quantity: Int? = nil, prorationBehavior: ProrationBehavior? = nil) {
        self.plan = plan
        self.interval = interval
        self.quantity = quantity
        self.prorationBehavior = prorationBehavior
    }

    func validate() throws(DomainError) {
        guard plan != nil || quantity != nil else { throw .invalid("plan", "give a plan, a quantity, or both") }
        if let quantity, quantity < 1 || quantity > 1_000_000 { throw .invalid("quantity", "must be from 1 to 1000000") }
        if interval != nil, plan == nil { throw .invalid("interval", "only with a plan") }
    }
}

/// `POST /v1/customers/{external_id}/subscription/cancel`.
package struct CancelRequest: Sendable, Codable, Equatable {
    /// True: keep access until the period ends (`cancel_at_period_end`); false: cancel now.
    package var atPeriodEnd: Bool

    package init(atPeriodEnd: Bool) { self.atPeriodEnd = atPeriodEnd }
}

/// Stripe's subscription after a change it accepted. The local subscription follows when the
/// webhook arrives (``localState`` says so).
package struct SubscriptionUpdate: Sendable, Codable, Equatable {
    package var stripeSubscriptionID: String
    package var status: String
    /// The first item's price lookup key (`tollgate:<plan>:<interval>:<currency>`), if any.
    package var lookupKey: String?
    package var quantity: Int?
    package var cancelAtPeriodEnd: Bool
    /// Always `pending_webhook`: nothing was written locally.
    package var localState = "pending_webhook"

    enum CodingKeys: String, CodingKey {
        case stripeSubscriptionID = "stripeSubscriptionId", status, lookupKey, quantity, cancelAtPeriodEnd, localState
    }

    init(_ subscription: StripeObject) {
        let item = subscription["items"]?["data"]?[0]
        stripeSubscriptionID = subscription.id ?? ""
        status = subscription["status"]?.string ?? "unknown"
        lookupKey = item?["price"]?["lookup_key"]?.string
        quantity = item?["quantity"]?.int ?? subscription["quantity"]?.int
        cancelAtPeriodEnd = subscription["cancel_at_period_end"]?.bool ?? false
    }
}
