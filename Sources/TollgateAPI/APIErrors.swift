import TollgateCore
package import TollgateHTTPServer
package import TollgateLogging
package import TollgateWire

/// The one mapping from errors thrown below the API to HTTP errors: a switch over the kinds of
/// ``Failure``, which every error type declares where it is declared (`DomainError`,
/// `BillingError`, `IntegrationError`, `WebhookRejection`, `StripeError`, `StoreError`, …). The
/// CLI prints the same failures (code, message, details) for the same errors.
///
/// Client faults keep their message; anything unexpected becomes a 500 whose body says only
/// "internal error". Failures on Tollgate's side (internal, unavailable, upstream) are logged with
/// the request id and their cause.
package enum APIErrors {
    /// The status, code, message and details the API answers for `error`; what the client must not
    /// see (a 500's cause, a store failure) goes to `logger` instead.
    package static func httpError(for error: any Error, logger: Logger) -> HTTPError {
        if let error = error as? HTTPError { return error }
        let failure = Failure(error)
        let cause = failure.cause ?? String(describing: error)
        switch failure.kind {
        case .internal: logger.error("request failed", ["code": failure.code, "error": cause])
        case .unavailable, .upstream: logger.warning("request failed", ["code": failure.code, "error": cause])
        case .invalid, .forbidden, .notFound, .conflict: break
        }
        var answer = HTTPError(
            status: status(of: failure.kind), code: failure.code, message: failure.message,
            details: failure.details)
        if let seconds = failure.retryAfter { answer.headers.set("Retry-After", String(seconds)) }
        return answer
    }

    /// The status of each kind of failure.
    package static func status(of kind: Failure.Kind) -> Int {
        switch kind {
        case .invalid: 400
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .internal: 500
        case .upstream: 502
        case .unavailable: 503
        }
    }
}
