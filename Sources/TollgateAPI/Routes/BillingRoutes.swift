import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateBase

/// Stripe billing: the catalog push (admin), checkout, the portal and subscription changes (write).
///
/// Nothing here writes the local subscription: Stripe's webhook does, when it arrives (see
/// ``StripeBilling``). 409 `stripe_not_configured` without `TOLLGATE_STRIPE_API_KEY`; Stripe's
/// errors are `stripe_error` (400, 409 or 502: `StripeError.failure`).
///
/// A request's `Idempotency-Key` also keys the Stripe write it makes (``callerKey(_:_:)``), so a
/// repeat that Tollgate's own replay does not answer (the first attempt failed with a 5xx after
/// Stripe had acted, or its record expired) is still one Stripe operation.
enum BillingRoutes {
    /// The caller's idempotency key for ``StripeBilling``: the request's `Idempotency-Key`, scoped
    /// like Tollgate's own replay (``Idempotency``) to the API key that sent it; nil without one.
    static func callerKey(_ request: HTTPRequest, _ context: RequestContext) -> String? {
        guard let key = request.headers[Idempotency.header], !key.isEmpty else { return nil }
        return "api:\(context.apiKey?.id ?? "-"):\(key)"
    }

    static func endpoints(push: StripeCatalogPush, billing: StripeBilling) -> [Endpoint] {
        let stripeErrors = [409, 502, 503]
        return [
            Endpoint(.POST, "/v1/plans/push", scope: .admin, documentation: .init(
                "pushPlans",
                summary: "Push the catalog to Stripe: a Product per plan, Prices by lookup key (a changed amount makes a new Price and "
                    + "archives the old), Entitlements features attached to products. Idempotent: nothing changed, nothing written.",
                tag: "Billing",
                query: [.init("dry_run", "true: read Stripe and report, write nothing", schema: ["type": "boolean"])],
                responseSchema: "PlanPushReport", errors: stripeErrors)
            ) { request, _ in
                let dryRun: Bool
                switch request.queryValue("dry_run") {
                case nil, "false"?: dryRun = false
                case "true"?: dryRun = true
                default: throw DomainError.invalid("dry_run", "must be true or false")
                }
                return try .json(try push.push(dryRun: dryRun))
            },
            Endpoint(.POST, "/v1/customers/{external_id}/checkout", scope: .write, documentation: .init(
                "createCheckoutSession",
                summary: "A Stripe Checkout Session (mode subscription) for a plan: client_reference_id is the customer's external id, "
                    + "the trial is the plan's. The subscription appears locally when Stripe's webhook arrives.",
                tag: "Billing", requestSchema: "CheckoutRequest", responseSchema: "CheckoutSession", errors: stripeErrors)
            ) { request, context in
                try .json(try billing.checkout(
                    customer: try request.pathParameter("external_id"), try request.decodeJSON(CheckoutRequest.self),
                    idempotencyKey: callerKey(request, context)))
            },
            Endpoint(.POST, "/v1/customers/{external_id}/portal", scope: .write, documentation: .init(
                "createPortalSession", summary: "A Stripe billing-portal session; the customer must be linked to a Stripe customer (409 no_stripe_customer)",
                tag: "Billing", requestSchema: "PortalRequest", responseSchema: "PortalSession", errors: stripeErrors)
            ) { request, context in
                try .json(try billing.portal(
                    customer: try request.pathParameter("external_id"), returnURL: try request.decodeJSON(PortalRequest.self).returnURL,
                    idempotencyKey: callerKey(request, context)))
            },
            Endpoint(.POST, "/v1/customers/{external_id}/subscription/change", scope: .write, documentation: .init(
                "changeSubscription",
                summary: "Change the Stripe subscription's plan and/or quantity with a proration behaviour. Answers Stripe's accepted state; "
                    + "the local subscription follows with the webhook.",
                tag: "Billing", requestSchema: "PlanChangeRequest", successStatus: 202, responseSchema: "SubscriptionUpdate", errors: stripeErrors)
            ) { request, context in
                try .json(try billing.change(
                    customer: try request.pathParameter("external_id"), try request.decodeJSON(PlanChangeRequest.self),
                    idempotencyKey: callerKey(request, context)), status: 202)
            },
            Endpoint(.POST, "/v1/customers/{external_id}/subscription/cancel", scope: .write, documentation: .init(
                "cancelSubscription", summary: "Cancel the Stripe subscription now, or at the end of the period (at_period_end: true)",
                tag: "Billing", requestSchema: "CancelRequest", successStatus: 202, responseSchema: "SubscriptionUpdate", errors: stripeErrors)
            ) { request, context in
                let cancel = try request.decodeJSON(CancelRequest.self)
                return try .json(try billing.cancel(
                    customer: try request.pathParameter("external_id"), atPeriodEnd: cancel.atPeriodEnd,
                    idempotencyKey: callerKey(request, context)), status: 202)
            },
            Endpoint(.POST, "/v1/customers/{external_id}/subscription/resume", scope: .write, documentation: .init(
                "resumeSubscription", summary: "Undo a cancellation at period end (cancel_at_period_end=false)",
                tag: "Billing", successStatus: 202, responseSchema: "SubscriptionUpdate", errors: stripeErrors)
            ) { request, context in
                try .json(try billing.resume(customer: try request.pathParameter("external_id"), idempotencyKey: callerKey(request, context)), status: 202)
            },
        ]
    }
}
