import Foundation
import TollgateEntitlements
import TollgateStore
import TollgateStripe
import TollgateBase

/// Credit purchases and top-ups paid through Stripe (docs/credits.md, "Purchases and top-ups").
///
/// None of these is ordered by the applier's guard: each is exactly once by itself. A payment adds
/// one block whose reference is the Checkout Session (a pack) or the PaymentIntent (a top-up), and a
/// second delivery finds it (``CreditPurchases/record(_:on:now:)``); a refund or dispute takes back
/// what is left of it once, and one that arrives before its payment is remembered and applied when
/// the payment lands.
extension StripeEventHandlers {
    /// `checkout.session.completed`: a subscription session links the customer (``checkoutCompleted(_:_:)``);
    /// a payment session for a credit pack links it too and, when paid, adds the pack's credits.
    static func checkoutSessionCompleted(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        guard event.object["mode"]?.string == "payment", event.object["metadata"]?[CreditPaymentMetadata.pool]?.string != nil else {
            return try checkoutCompleted(event, context)
        }
        var effect = StripeEventEffect()
        if event.object["client_reference_id"]?.string != nil, StripeSubscriptionMirror.stripeCustomerID(of: event.object) != nil {
            effect = try checkoutCompleted(event, context)
        }
        let purchase = try creditCheckoutPaid(event, context)
        return StripeEventEffect(
            customers: Array(Set(effect.customers + purchase.customers)).sorted(),
            note: [effect.note, purchase.note].compactMap { $0 }.joined(separator: "; "))
    }

    /// `checkout.session.completed` and `checkout.session.async_payment_succeeded` of a credit pack's
    /// session: once `payment_status` is `paid`, a `purchase` block of the pack's credits (the pack
    /// as the catalog holds it now), referenced by the session id and expiring `expires_after_days`
    /// after the session's `created`. An unpaid session (a delayed payment method) adds nothing; its
    /// `async_payment_succeeded` does.
    static func creditCheckoutPaid(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        let session = event.object
        guard let sessionID = event.objectID, let (customer, pool, packKey) = creditMetadata(session["metadata"], fallbackCustomer: session["client_reference_id"]?.string)
        else { return StripeEventEffect(note: "not a credit pack session") }
        guard session["payment_status"]?.string == "paid" else {
            return StripeEventEffect(note: "payment \(session["payment_status"]?.string ?? "unknown"); credits are added when it is paid")
        }
        guard let pack = try CreditPurchases.pack(pool: pool, key: packKey, on: context.connection) else {
            // Retried, then failed and replayable: the customer paid, so the catalog must be put right.
            throw DomainError.invalid("pack", "no pack \(packKey) of pool \(pool) in the catalog for paid session \(sessionID)")
        }
        let created = session["created"]?.date ?? event.createdDate
        let purchase = CreditPurchase(
            customer: customer, pool: pool, pack: pack, source: .purchase, reference: sessionID, paymentIntent: session["payment_intent"]?.id,
            amount: Int64(session["amount_total"]?.int ?? Int(pack.unitAmount)), currency: session["currency"]?.string ?? pack.currency,
            expiresAt: pack.expiresAfterDays.map { created.addingTimeInterval(Double($0) * 86_400) })
        return try record(purchase, context)
    }

    /// `payment_intent.succeeded` of a top-up (`metadata[tollgate_credit_source]=top_up`): a `top_up`
    /// block of the pack's credits referenced by the PaymentIntent id (the worker adds the same block
    /// when Stripe answers `succeeded` at once; one of them adds it).
    static func topUpSucceeded(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        let intent = event.object
        guard let intentID = event.objectID, intent["metadata"]?[CreditPaymentMetadata.source]?.string == CreditSource.topUp.rawValue,
              let (customer, pool, packKey) = creditMetadata(intent["metadata"], fallbackCustomer: nil)
        else { return StripeEventEffect(note: "not a credit top-up") }
        guard intent["status"]?.string.map({ $0 == "succeeded" }) ?? true else {
            return StripeEventEffect(note: "the PaymentIntent is \(intent["status"]?.string ?? "?")")
        }
        guard let pack = try CreditPurchases.pack(pool: pool, key: packKey, on: context.connection) else {
            throw DomainError.invalid("pack", "no pack \(packKey) of pool \(pool) in the catalog for paid top-up \(intentID)")
        }
        let created = intent["created"]?.date ?? event.createdDate
        let purchase = CreditPurchase(
            customer: customer, pool: pool, pack: pack, source: .topUp, reference: intentID, paymentIntent: intentID,
            amount: Int64(intent["amount_received"]?.int ?? intent["amount"]?.int ?? Int(pack.unitAmount)),
            currency: intent["currency"]?.string ?? pack.currency,
            expiresAt: pack.expiresAfterDays.map { created.addingTimeInterval(Double($0) * 86_400) })
        _ = try CreditTopUps.recordOutcome(paymentIntent: intentID, status: "succeeded", error: nil, on: context.connection, now: context.now)
        return try record(purchase, context)
    }

    /// `payment_intent.payment_failed` of a top-up: the failure (Stripe's `last_payment_error`) on
    /// the setting whose last charge it is (one that went `processing` and then failed). Nothing
    /// is retried: the crossing rule re-arms the setting once the balance is back at its threshold.
    static func topUpFailed(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        let intent = event.object
        guard let intentID = event.objectID, intent["metadata"]?[CreditPaymentMetadata.source]?.string == CreditSource.topUp.rawValue else {
            return StripeEventEffect(note: "not a credit top-up")
        }
        let error = [intent["last_payment_error"]?["code"]?.string, intent["last_payment_error"]?["message"]?.string].compactMap { $0 }
            .joined(separator: ": ")
        let changed = try CreditTopUps.recordOutcome(
            paymentIntent: intentID, status: "failed", error: error.isEmpty ? "the payment failed" : error, on: context.connection, now: context.now)
        return StripeEventEffect(note: changed ? "recorded the failure on the top-up setting" : "no top-up setting's last charge")
    }

    /// `charge.refunded`: a full refund (`refunded`, or `amount_refunded` ≥ `amount`) takes back
    /// what is left of the block the charge's PaymentIntent paid for; a partial refund is recorded
    /// and takes nothing (docs/credits.md says why).
    static func chargeRefunded(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        let charge = event.object
        guard let intent = charge["payment_intent"]?.id else { return StripeEventEffect(note: "the charge has no payment_intent") }
        let refunded = Int64(charge["amount_refunded"]?.int ?? 0)
        let full = charge["refunded"]?.bool == true || (charge["amount"]?.int).map { refunded >= Int64($0) } ?? false
        let reversal = try CreditPurchases.reverse(
            paymentIntent: intent, cause: .refund, amountRefunded: refunded, fullyRefunded: full, on: context.connection, now: context.now)
        return effect(of: reversal)
    }

    /// `charge.dispute.created`: takes back what is left of the block the disputed PaymentIntent paid for.
    static func disputeCreated(_ event: WebhookEvent, _ context: StripeEventContext) throws -> StripeEventEffect {
        guard let intent = event.object["payment_intent"]?.id else { return StripeEventEffect(note: "the dispute has no payment_intent") }
        return effect(of: try CreditPurchases.reverse(paymentIntent: intent, cause: .dispute, on: context.connection, now: context.now))
    }

    // MARK: Helpers

    /// The customer, pool and pack a credit payment's metadata names.
    static func creditMetadata(_ metadata: StripeObject?, fallbackCustomer: String?) -> (String, String, String)? {
        guard let pool = metadata?[CreditPaymentMetadata.pool]?.string, let pack = metadata?[CreditPaymentMetadata.pack]?.string,
              let customer = metadata?[CreditPaymentMetadata.customer]?.string ?? fallbackCustomer else { return nil }
        return (customer, pool, pack)
    }

    private static func record(_ purchase: CreditPurchase, _ context: StripeEventContext) throws -> StripeEventEffect {
        switch try CreditPurchases.record(purchase, on: context.connection, now: context.now) {
        case .added(let block):
            return StripeEventEffect(customers: [purchase.customer], note: "added \(block.amount) credits to \(purchase.pool) (\(block.id))")
        case .duplicate(let block):
            return StripeEventEffect(note: "already added (\(block.id))")
        case .reversed(let block, let taken):
            return StripeEventEffect(customers: [purchase.customer], note: "added \(block.id) and took back \(taken): the payment was refunded or disputed first")
        case .expired:
            return StripeEventEffect(note: "the pack's credits expired before the payment was applied; nothing added")
        }
    }

    private static func effect(of reversal: CreditPurchases.Reversal) -> StripeEventEffect {
        StripeEventEffect(
            customers: reversal.taken > 0 ? reversal.customer.map { [$0] } ?? [] : [],
            note: reversal.note ?? "took back \(reversal.taken) credits")
    }
}
