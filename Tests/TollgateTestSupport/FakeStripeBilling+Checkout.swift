import Foundation
import Synchronization
import TollgateCrypto
import TollgateHTTPServer

/// Checkout Sessions with state: created by `POST /v1/checkout/sessions` (either mode), completed
/// by the test as the customer would (``completeCheckout(_:paid:)``: paid at once, or pending a
/// delayed payment method until ``settleAsyncPayment(_:)``), their PaymentIntent's charge refunded
/// or disputed (``refund(paymentIntent:amount:)``), and each state sent as the signed event Stripe
/// would send (``checkoutSessionEvent(_:type:eventID:created:)``, ``chargeEvent(paymentIntent:type:eventID:created:)``,
/// ``disputeEvent(paymentIntent:eventID:created:)``, ``signed(_:secret:timestamp:)``). Shapes:
/// <https://docs.stripe.com/api/checkout/sessions/object>, <https://docs.stripe.com/api/charges/object>,
/// <https://docs.stripe.com/api/disputes/object>.
extension FakeStripeBilling {
    struct CheckoutSessionObject {
        var id: String; var mode: String; var status = "open"; var paymentStatus = "unpaid"
        var metadata: [String: String]; var clientReferenceID: String?; var customer: String?; var customerEmail: String?
        var customerCreation: String?; var successURL: String?; var cancelURL: String?
        var amountTotal: Int?; var currency: String?; var paymentIntent: String?; var setupFutureUsage: String?
        var paymentIntentMetadata: [String: String]; var created: Int
    }

    struct ChargeObject {
        var id: String; var paymentIntent: String; var customer: String?; var amount: Int; var currency: String; var amountRefunded = 0
    }

    static func checkoutSession(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        let mode = request["mode"] ?? ""
        guard ["payment", "subscription", "setup"].contains(mode) else {
            throw stripeError(400, "invalid_request_error", "parameter_missing", "Missing required param: mode.", param: "mode")
        }
        if mode == "payment" {
            guard request["line_items[0][price_data][unit_amount]"].flatMap(Int.init) != nil, request["line_items[0][price_data][currency]"] != nil,
                  request["line_items[0][price_data][product_data][name]"] != nil || request["line_items[0][price_data][product]"] != nil else {
                throw stripeError(400, "invalid_request_error", "parameter_missing", "Missing required param: line_items[0][price_data].", param: "line_items")
            }
            if request["customer"] != nil, request["customer_creation"] != nil {
                throw stripeError(400, "invalid_request_error", nil, "You may only specify one of these parameters: customer, customer_creation.")
            }
        }
        var intentMetadata: [String: String] = [:]
        for (key, value) in request.form where key.hasPrefix("payment_intent_data[metadata][") && key.hasSuffix("]") {
            intentMetadata[String(key.dropFirst(29).dropLast())] = value
        }
        let unitAmount = request["line_items[0][price_data][unit_amount]"].flatMap(Int.init)
        let quantity = request["line_items[0][quantity]"].flatMap(Int.init) ?? 1
        let session = CheckoutSessionObject(
            id: state.nextID("cs_test"), mode: mode, metadata: metadata(request), clientReferenceID: request["client_reference_id"],
            customer: request["customer"], customerEmail: request["customer_email"], customerCreation: request["customer_creation"],
            successURL: request["success_url"], cancelURL: request["cancel_url"], amountTotal: unitAmount.map { $0 * quantity },
            currency: request["line_items[0][price_data][currency]"], setupFutureUsage: request["payment_intent_data[setup_future_usage]"],
            paymentIntentMetadata: intentMetadata, created: 1_767_225_600 + state.counter)
        state.sessions[session.id] = session
        return json(session)
    }

    static func json(_ session: CheckoutSessionObject) -> [String: Any] {
        func nullable(_ value: Any?) -> Any { value ?? NSNull() }
        return [
            "id": session.id, "object": "checkout.session", "mode": session.mode, "status": session.status,
            "payment_status": session.paymentStatus, "url": session.status == "open" ? "https://checkout.stripe.com/c/pay/\(session.id)" : NSNull(),
            "metadata": session.metadata, "subscription": NSNull(), "livemode": false, "created": session.created,
            "client_reference_id": nullable(session.clientReferenceID), "customer": nullable(session.customer),
            "customer_email": nullable(session.customerEmail), "customer_creation": nullable(session.customerCreation),
            "success_url": nullable(session.successURL), "cancel_url": nullable(session.cancelURL),
            "amount_total": nullable(session.amountTotal), "amount_subtotal": nullable(session.amountTotal), "currency": nullable(session.currency),
            "payment_intent": nullable(session.paymentIntent),
        ]
    }

    /// What the fake holds for a session: its request's PaymentIntent metadata and `setup_future_usage`.
    package func sessionParameters(_ id: String) -> (paymentIntentMetadata: [String: String], setupFutureUsage: String?)? {
        state.withLock { state in state.sessions[id].map { ($0.paymentIntentMetadata, $0.setupFutureUsage) } }
    }

    /// The customer completes the session's payment page: a Stripe customer is created when the
    /// session has none (`customer_creation=always`), a PaymentIntent and its charge are made, and
    /// the payment is `paid` at once, or (`paid: false`, a delayed payment method) `unpaid` until
    /// ``settleAsyncPayment(_:)``. Returns the PaymentIntent id.
    @discardableResult
    package func completeCheckout(_ id: String, paid: Bool = true) throws -> String {
        try state.withLock { state in
            guard var session = state.sessions[id] else { throw HTTPTestClientError("no checkout session \(id) in the fake") }
            guard session.status == "open" else { throw HTTPTestClientError("checkout session \(id) is \(session.status)") }
            if session.customer == nil { session.customer = state.nextID("cus") }
            session.status = "complete"
            session.paymentStatus = paid ? "paid" : "unpaid"
            if session.mode == "payment" {
                let intent = state.nextID("pi")
                session.paymentIntent = intent
                state.charges[intent] = ChargeObject(
                    id: state.nextID("ch"), paymentIntent: intent, customer: session.customer, amount: session.amountTotal ?? 0,
                    currency: session.currency ?? "usd")
            }
            state.sessions[id] = session
            return session.paymentIntent ?? ""
        }
    }

    /// The delayed payment of a completed session succeeds (`checkout.session.async_payment_succeeded`).
    package func settleAsyncPayment(_ id: String) throws {
        try state.withLock { state in
            guard state.sessions[id]?.status == "complete" else { throw HTTPTestClientError("checkout session \(id) is not complete") }
            state.sessions[id]?.paymentStatus = "paid"
        }
    }

    /// Refunds `amount` (default: all that is left) of the PaymentIntent's charge.
    package func refund(paymentIntent: String, amount: Int? = nil) throws {
        try state.withLock { state in
            guard let charge = state.charges[paymentIntent] else { throw HTTPTestClientError("no charge of \(paymentIntent) in the fake") }
            state.charges[paymentIntent]?.amountRefunded = min(charge.amount, charge.amountRefunded + (amount ?? charge.amount))
        }
    }

    /// The session as Stripe would send it, in an event of `type` (`checkout.session.completed`,
    /// `checkout.session.async_payment_succeeded`).
    package func checkoutSessionEvent(_ id: String, type: String = "checkout.session.completed", eventID: String, created: Int) throws -> [UInt8] {
        let object: [String: Any] = try state.withLock { state in
            guard let session = state.sessions[id] else { throw HTTPTestClientError("no checkout session \(id) in the fake") }
            return Self.json(session)
        }
        return try Self.event(object, type: type, eventID: eventID, created: created)
    }

    /// The PaymentIntent's charge as it stands, in an event of `type` (`charge.refunded`).
    package func chargeEvent(paymentIntent: String, type: String = "charge.refunded", eventID: String, created: Int) throws -> [UInt8] {
        let object: [String: Any] = try state.withLock { state in
            guard let charge = state.charges[paymentIntent] else { throw HTTPTestClientError("no charge of \(paymentIntent) in the fake") }
            return Self.json(charge)
        }
        return try Self.event(object, type: type, eventID: eventID, created: created)
    }

    /// `charge.dispute.created` for the PaymentIntent's charge (reason `fraudulent`, the whole amount).
    package func disputeEvent(paymentIntent: String, eventID: String, created: Int) throws -> [UInt8] {
        let object: [String: Any] = try state.withLock { state in
            guard let charge = state.charges[paymentIntent] else { throw HTTPTestClientError("no charge of \(paymentIntent) in the fake") }
            return [
                "id": state.nextID("du"), "object": "dispute", "amount": charge.amount, "currency": charge.currency, "charge": charge.id,
                "payment_intent": paymentIntent, "reason": "fraudulent", "status": "needs_response", "livemode": false, "created": created,
                "metadata": [String: String](),
            ]
        }
        return try Self.event(object, type: "charge.dispute.created", eventID: eventID, created: created)
    }

    static func json(_ charge: ChargeObject) -> [String: Any] {
        [
            "id": charge.id, "object": "charge", "amount": charge.amount, "amount_captured": charge.amount, "amount_refunded": charge.amountRefunded,
            "refunded": charge.amountRefunded >= charge.amount, "captured": true, "currency": charge.currency, "customer": charge.customer ?? NSNull(),
            "payment_intent": charge.paymentIntent, "paid": true, "status": "succeeded", "livemode": false, "created": 1_767_225_600,
            "metadata": [String: String](),
        ]
    }

    static func event(_ object: [String: Any], type: String, eventID: String, created: Int) throws -> [UInt8] {
        let event: [String: Any] = [
            "id": eventID, "object": "event", "type": type, "created": created, "api_version": "2025-03-31.basil", "livemode": false,
            "data": ["object": object],
        ]
        return Array(try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
    }

    /// A `Stripe-Signature` header for `payload` signed with `secret` at `timestamp` (now by default):
    /// `t=…,v1=<hex HMAC-SHA256 of "t.payload">` (<https://docs.stripe.com/webhooks#verify-manually>).
    package static func signed(_ payload: [UInt8], secret: String, timestamp: Int = Int(Date().timeIntervalSince1970)) -> String {
        let mac = HMACSHA256.authenticationCode(for: Array("\(timestamp).".utf8) + payload, key: Array(secret.utf8))
        return "t=\(timestamp),v1=\(Hex.encode(mac))"
    }
}
