import Foundation
import Tollgate
import TollgateEntitlements
import TollgateStripe
import TollgateBase

/// `POST /v1/customers/{external_id}/credits/checkout`.
package struct CreditCheckoutRequest: Sendable, Codable, Equatable {
    /// The credit pool (`credit_pools[].key`).
    package var pool: String
    /// The pack of the pool (`packs[].key`).
    package var pack: String
    package var successURL: String
    package var cancelURL: String

    enum CodingKeys: String, CodingKey { case pool, pack, successURL = "successUrl", cancelURL = "cancelUrl" }

    package init(pool: String, pack: String, successURL: String, cancelURL: String) {
        self.pool = pool
        self.pack = pack
        self.successURL = successURL
        self.cancelURL = cancelURL
    }
}

/// The metadata that names a credit payment, on Checkout Sessions and PaymentIntents alike.
package enum CreditPaymentMetadata {
    package static let customer = "tollgate_customer"
    package static let pool = "tollgate_credit_pool"
    package static let pack = "tollgate_credit_pack"
    /// On PaymentIntents only: `purchase` (Checkout) or `top_up` (the top-up worker).
    package static let source = "tollgate_credit_source"

    static func form(customer: String, pool: String, pack: String, source: CreditSource? = nil) -> StripeForm {
        var form: StripeForm = [Self.customer: .string(customer), Self.pool: .string(pool), Self.pack: .string(pack)]
        if let source { form[Self.source] = .string(source.rawValue) }
        return form
    }
}

extension StripeBilling {
    /// A Checkout Session in mode `payment` for one credit pack
    /// (<https://docs.stripe.com/api/checkout/sessions/create>): one line item with `price_data` in
    /// the pack's currency and amount (product name from the pool and the pack), quantity 1;
    /// `metadata[tollgate_customer|tollgate_credit_pool|tollgate_credit_pack]` on the session and on
    /// its PaymentIntent, and `payment_intent_data[setup_future_usage]=off_session` so the card is
    /// saved to the Stripe customer for automatic top-ups.
    ///
    /// The Stripe customer: the linked one (`customer`); else `customer_email` with
    /// `customer_creation=always`, and `client_reference_id` links the new Stripe customer when the
    /// session completes (as subscription checkout does). The credits are added only when Stripe
    /// says the session is paid (``StripeEventHandlers``); nothing is written here.
    package func creditCheckout(customer externalID: String, _ request: CreditCheckoutRequest, idempotencyKey: String? = nil) throws -> CheckoutSession {
        guard let stripe else { throw BillingError.notConfigured }
        try Self.validateURL(request.successURL, field: "success_url")
        try Self.validateURL(request.cancelURL, field: "cancel_url")
        let customer = try customers.get(externalID: externalID)
        let current = try catalog.load()
        guard let pool = current.creditPool(request.pool) else { throw DomainError.invalid("pool", "no credit pool \(request.pool) in the catalog") }
        guard let pack = pool.packs.first(where: { $0.key == request.pack }) else {
            throw DomainError.invalid("pack", "pool \(pool.key) has no pack \(request.pack)")
        }
        let metadata = CreditPaymentMetadata.form(customer: externalID, pool: pool.key, pack: pack.key)
        var form: StripeForm = [
            "mode": "payment", "client_reference_id": .string(externalID),
            "line_items": [[
                "price_data": [
                    "currency": .string(pack.currency), "unit_amount": .integer(Int(pack.unitAmount)),
                    "product_data": ["name": .string("\(pool.name): \(pack.credits) credits (\(pack.key))")],
                ],
                "quantity": 1,
            ]],
            "success_url": .string(request.successURL), "cancel_url": .string(request.cancelURL),
            "metadata": .object(metadata),
            "payment_intent_data": [
                "setup_future_usage": "off_session",
                "metadata": .object(CreditPaymentMetadata.form(customer: externalID, pool: pool.key, pack: pack.key, source: .purchase)),
            ],
        ]
        if let linked = customer.stripeCustomerID {
            form[Self.customerParameter(linked)] = .string(linked)
        } else {
            form["customer_creation"] = "always"
            if let email = customer.email { form["customer_email"] = .string(email) }
        }
        let session = try stripe.post(
            "/v1/checkout/sessions", form,
            operation: try Self.operation("credits.checkout", customer: externalID, callerKey: idempotencyKey))
        guard let id = session.id, let url = session["url"]?.string else {
            throw StripeError(kind: .invalidResponse, message: "the checkout session has no id or url")
        }
        return CheckoutSession(id: id, url: url)
    }
}
