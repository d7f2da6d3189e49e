package import Foundation
import TollgateBase
package import TollgateEntitlements
package import TollgateLogging
package import TollgateStore
package import TollgateStripe

/// Automatic top-ups (docs/credits.md, "Purchases and top-ups"): every `interval`, the top-ups
/// whose available credits fell below their threshold while armed are disarmed
/// (``CreditTopUps/due(now:)``: at most one charge per crossing, across instances) and charged
/// off-session; the ones back at or above their threshold are armed again.
///
/// **The charge.** `POST /v1/payment_intents` (<https://docs.stripe.com/api/payment_intents/create>)
/// with the pack's `amount` and `currency`, the linked Stripe `customer`, its saved card
/// (`invoice_settings.default_payment_method`, else the first card listed by
/// `GET /v1/payment_methods?customer=…&type=card` — Checkout's `setup_future_usage` saved it),
/// `off_session=true`, `confirm=true` and the credit metadata (`tollgate_credit_source=top_up`),
/// keyed by (operation, customer, pool, crossing), so a repeat of one crossing is one charge.
/// `succeeded` adds the `top_up` block at once (referenced by the PaymentIntent id; the
/// `payment_intent.succeeded` webhook adds the same block, so one of them does); `processing` waits
/// for that webhook. A refusal (a declined card, authentication required, no saved card) is
/// recorded on the setting (`last_status`, `last_error`) and logged without secrets — never retried:
/// the top-up stays disarmed until the balance is seen at or above the threshold again.
///
/// Stripe calls block: they run on the worker's own thread.
package final class CreditTopUpWorker: BackgroundService {
    /// How one charge ended.
    package struct Attempt: Sendable, Equatable {
        package var customer: String
        package var pool: String
        package var crossing: Int64
        package var status: String
        package var paymentIntent: String?
        package var error: String?
    }

    private let database: any Database
    private let topUps: CreditTopUps
    private let stripe: StripeClient?
    private let logger: Logger
    private let didChange: @Sendable (String) -> Void
    private let threads: BackgroundThreads

    package init(
        database: any Database, topUps: CreditTopUps, stripe: StripeClient?, interval: Duration = .seconds(30), logger: Logger,
        didChange: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.database = database
        self.topUps = topUps
        self.stripe = stripe
        self.logger = logger
        self.didChange = didChange
        threads = BackgroundThreads(name: "credit-top-up", count: 1, pollInterval: interval)
    }

    /// One pass: re-arms, disarms and charges what is due; returns the charges made.
    @discardableResult
    package func runOnce(now: Date = Date()) throws -> [Attempt] {
        try topUps.due(now: now).map { charge in
            let attempt = self.charge(charge, now: now)
            try topUps.recordAttempt(charge, status: attempt.status, error: attempt.error, paymentIntent: attempt.paymentIntent, now: now)
            var metadata = ["customer": charge.customer, "pool": charge.pool, "pack": charge.pack.key, "crossing": String(charge.crossing),
                            "status": attempt.status]
            if let intent = attempt.paymentIntent { metadata["payment_intent"] = intent }
            if let error = attempt.error {
                metadata["error"] = error
                logger.warning("credit top-up not charged", metadata)
            } else {
                logger.info("credit top-up charged", metadata)
            }
            return attempt
        }
    }

    package func start() {
        threads.start { [self] _ in
            do {
                return try !runOnce().isEmpty
            } catch {
                logger.warning("credit top-up: store unavailable", ["error": String(describing: error)])
                return false
            }
        }
    }

    package func stop(timeout: Duration) {
        threads.stop(timeout: timeout)
    }

    // MARK: Charging

    private func charge(_ charge: CreditTopUpCharge, now: Date) -> Attempt {
        var attempt = Attempt(customer: charge.customer, pool: charge.pool, crossing: charge.crossing, status: "failed")
        guard let stripe else {
            attempt.error = "Stripe is not configured (TOLLGATE_STRIPE_API_KEY)"
            return attempt
        }
        guard let stripeCustomer = charge.stripeCustomerID else {
            attempt.error = "the customer is not linked to a Stripe customer; buy a pack through checkout first"
            return attempt
        }
        do {
            guard let method = try savedPaymentMethod(of: stripeCustomer, stripe: stripe) else {
                attempt.error = "the Stripe customer has no saved card"
                return attempt
            }
            let metadata = CreditPaymentMetadata.form(customer: charge.customer, pool: charge.pool, pack: charge.pack.key, source: .topUp)
            let intent = try stripe.post("/v1/payment_intents", [
                "amount": .integer(Int(charge.pack.unitAmount)), "currency": .string(charge.pack.currency),
                StripeBilling.customerParameter(stripeCustomer): .string(stripeCustomer), "payment_method": .string(method),
                "off_session": true, "confirm": true, "metadata": .object(metadata),
            ], operation: try StripeBilling.operation("credits.top_up", customer: charge.customer, callerKey: "\(charge.pool):\(charge.crossing)"))
            attempt.paymentIntent = intent.id
            let status = intent["status"]?.string ?? "unknown"
            switch status {
            case "succeeded":
                try addBlock(charge, intent: intent, now: now)
                attempt.status = "succeeded"
            case "processing":
                attempt.status = "processing"
            case "requires_action":
                attempt.status = "requires_action"
                attempt.error = "the card needs the customer's authentication"
            default:
                attempt.error = intent["last_payment_error"]?["message"]?.string ?? "the PaymentIntent is \(status)"
            }
        } catch let error as StripeError {
            attempt.paymentIntent = nil
            attempt.status = error.code == "authentication_required" ? "requires_action" : "failed"
            attempt.error = [error.code, error.declineCode, error.message].compactMap { $0 }.joined(separator: ": ")
        } catch {
            attempt.error = String(describing: error)
        }
        return attempt
    }

    /// The Stripe customer's default card, else its first saved card; nil when it has none.
    private func savedPaymentMethod(of stripeCustomer: String, stripe: StripeClient) throws -> String? {
        if stripeCustomer.hasPrefix("cus_"), let customer = try stripe.find("/v1/customers/" + StripeClient.pathSegment(stripeCustomer)),
           let method = customer["invoice_settings"]?["default_payment_method"]?.id {
            return method
        }
        let listed = try stripe.get("/v1/payment_methods", [StripeBilling.customerParameter(stripeCustomer): .string(stripeCustomer), "type": "card"])
        return listed["data"]?[0]?.id
    }

    private func addBlock(_ charge: CreditTopUpCharge, intent: StripeObject, now: Date) throws {
        guard let id = intent.id else { throw StripeError(kind: .invalidResponse, message: "the PaymentIntent has no id") }
        let created = intent["created"]?.date ?? now
        let purchase = CreditPurchase(
            customer: charge.customer, pool: charge.pool, pack: charge.pack, source: .topUp, reference: id, paymentIntent: id,
            amount: Int64(intent["amount_received"]?.int ?? Int(charge.pack.unitAmount)), currency: intent["currency"]?.string ?? charge.pack.currency,
            expiresAt: charge.pack.expiresAfterDays.map { created.addingTimeInterval(Double($0) * 86_400) })
        let outcome = try database.transaction { connection in try CreditPurchases.record(purchase, on: connection, now: now) }
        if case .duplicate = outcome { return }
        didChange(charge.customer)
    }
}
