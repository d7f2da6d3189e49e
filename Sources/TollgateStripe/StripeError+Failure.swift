package import TollgateWire

extension StripeError: FailureConvertible {
    /// A failed Stripe call, as `stripe_error` with Stripe's `type`, `code`, `param` and request id
    /// in `details` (never the key). The kind says whose fault it is:
    ///
    /// * invalid (400): Stripe refused the request's content (400 `invalid_request_error`, 402 `card_error`);
    /// * conflict (409): Stripe's state conflicts with the request or with Tollgate's (404
    ///   `resource_missing`: the local state names an object Stripe does not have; 409
    ///   `idempotency_error` or a lock);
    /// * upstream (502): Stripe failed or refused Tollgate itself (401/403: a bad or restricted key;
    ///   429; 5xx; no answer; an answer that is not Stripe's).
    package var failure: Failure {
        let kind: Failure.Kind = switch status {
        case 400?, 402?: .invalid
        case 404?, 409?: .conflict
        default: .upstream
        }
        let fields: [(String, String?)] = [
            ("stripe.status", status.map(String.init)), ("stripe.type", type), ("stripe.code", code),
            ("stripe.param", param), ("stripe.decline_code", declineCode), ("stripe.request_id", requestID),
        ]
        var details = fields.compactMap { field, value in value.map { Failure.Detail(field: field, issue: $0) } }
        if self.kind != .api { details.append(Failure.Detail(field: "stripe.kind", issue: self.kind.rawValue)) }
        return Failure(kind, code: "stripe_error", message: "Stripe: \(message)", details: details)
    }
}
