package import TollgateWire

/// A billing operation that cannot go ahead for a reason on Tollgate's side (Stripe's own errors
/// stay ``StripeError``s). Each code has its kind (``failure``; statuses in `docs/stripe-billing.md`);
/// the message is shown to the caller and never holds a secret.
package struct BillingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why, as an open set.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// `TOLLGATE_STRIPE_API_KEY` is not set (503).
        package static let stripeNotConfigured = Code("stripe_not_configured")
        /// The customer has no linked Stripe customer yet (409): check out first.
        package static let noStripeCustomer = Code("no_stripe_customer")
        /// The customer's subscription is not a Stripe subscription (409).
        package static let noStripeSubscription = Code("no_stripe_subscription")
        /// The plan's Price for that interval and currency is not in Stripe (409): run `tollgate plans push`.
        package static let priceNotInStripe = Code("price_not_in_stripe")
        /// The customer already has a live Stripe subscription (409): change it instead.
        package static let alreadySubscribed = Code("already_subscribed")

        package var description: String { rawValue }
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }

    package static let notConfigured = BillingError(.stripeNotConfigured, "Stripe is not configured (set TOLLGATE_STRIPE_API_KEY)")
}

extension BillingError: FailureConvertible {
    /// Every refusal, Stripe not configured included (it names what to set; monitoring must not
    /// read it as an outage): a conflict with the state (409).
    package var failure: Failure {
        Failure(.conflict, code: code.rawValue, message: message)
    }
}
