import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateBase

/// Buying credits through Stripe (docs/credits.md, "Purchases and top-ups"): a Checkout Session for
/// a credit pack, and the customer's automatic top-up settings (write; reading them: read).
///
/// The checkout writes nothing locally: the pack's credits are added when Stripe's webhook says the
/// session is paid. 409 `stripe_not_configured` without `TOLLGATE_STRIPE_API_KEY`; Stripe's errors
/// are `stripe_error`. A request's `Idempotency-Key` also keys the Stripe write
/// (``BillingRoutes/callerKey(_:_:)``).
enum CreditCheckoutRoutes {
    static func endpoints(billing: StripeBilling, credits: CreditStore) -> [Endpoint] {
        let topUps = CreditTopUps(credits: credits)
        return [
            Endpoint(.POST, "/v1/customers/{external_id}/credits/checkout", scope: .write, documentation: .init(
                "createCreditCheckoutSession",
                summary: "A Stripe Checkout Session (mode payment) for one credit pack of a pool; the card is saved for automatic top-ups. "
                    + "The pack's credits are added when Stripe's webhook says the session is paid, once.",
                tag: "Billing", requestSchema: "CreditCheckoutRequest", responseSchema: "CheckoutSession", errors: [409, 502, 503])
            ) { request, context in
                try .json(try billing.creditCheckout(
                    customer: try request.pathParameter("external_id"), try request.decodeJSON(CreditCheckoutRequest.self),
                    idempotencyKey: BillingRoutes.callerKey(request, context)))
            },
            Endpoint(.PUT, "/v1/customers/{external_id}/credits/top-up", scope: .write, documentation: .init(
                "setCreditTopUp",
                summary: "Set the customer's automatic top-up of a pool: below `threshold` available credits, charge `pack` to the saved card "
                    + "off-session, once per crossing. A new setting starts armed; changing one keeps its armed state.",
                tag: "Billing", requestSchema: "CreditTopUpRequest", responseSchema: "CreditTopUp")
            ) { request, _ in
                try .json(try topUps.set(customer: try request.pathParameter("external_id"), try request.decodeJSON(CreditTopUpRequest.self)))
            },
            Endpoint(.GET, "/v1/customers/{external_id}/credits/top-up", scope: .read, documentation: .init(
                "listCreditTopUps", summary: "The customer's automatic top-up settings, one per pool, with the last attempt",
                tag: "Billing", responseSchema: "CreditTopUpList")
            ) { request, _ in
                try .json(Page(items: try topUps.list(customer: try request.pathParameter("external_id")), hasMore: false))
            },
        ]
    }
}
