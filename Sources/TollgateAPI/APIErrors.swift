import TollgateCore
import TollgateHTTPServer
import TollgateLogging
import TollgateStore
import TollgateStripe

/// The one mapping from errors thrown below the API to HTTP errors.
///
/// Client faults keep their message; anything unexpected becomes a 500 whose body says only
/// "internal error" while the log line (with the request id) carries the safe description.
/// The CLI reuses it, so `tollgate … --json` reports the same codes as the API.
public enum APIErrors {
    /// The status, code, message and details the API answers for `error`; what the client must not
    /// see (a 500's cause, a transient store failure) goes to `logger` instead.
    public static func httpError(for error: any Error, logger: Logger) -> HTTPError {
        switch error {
        case let error as HTTPError:
            return error
        case let error as DomainError:
            switch error {
            case .invalid(let field, let message):
                return .badRequest("\(field): \(message)", code: "invalid_request", details: [.init(field: field, issue: message)])
            case .notFound(let what):
                return .notFound("\(what) not found")
            case .conflict(let message):
                return .conflict(message)
            case .unknownCustomer, .unknownFeature:
                let code = if case .unknownCustomer = error { "unknown_customer" } else { "unknown_feature" }
                return .notFound(error.description, code: code)
            }
        case let error as WebhookRejection:
            switch error.kind {
            case .invalidSignature: return .badRequest(error.message, code: "invalid_signature")
            case .invalidEvent: return .badRequest(error.message, code: "invalid_event")
            case .notConfigured:
                var unavailable = HTTPError.unavailable(error.message)
                unavailable.code = "webhooks_not_configured"
                return unavailable
            }
        case let error as BillingError:
            switch error.code {
            case .stripeNotConfigured:
                var unavailable = HTTPError.unavailable(error.message)
                unavailable.code = error.code.rawValue
                return unavailable
            default:
                return .conflict(error.message, code: error.code.rawValue)
            }
        case let error as IntegrationError:
            return integrationError(error, logger: logger)
        case let error as StripeError:
            return stripeError(error, logger: logger)
        case let error as StoreError where error.code == .invalidValue:
            // Input the edge let through but the store cannot keep: the caller's fault, never a 500.
            logger.info("store refused a value", ["error": error.description])
            return .badRequest("a value in the request cannot be stored (\(error.message))", code: "parameter_invalid")
        case let error as StoreError where error.isTransient:
            logger.warning("store unavailable", ["error": error.description])
            var unavailable = HTTPError.unavailable("the store is unavailable; retry shortly")
            unavailable.code = "store_unavailable"
            unavailable.headers.set("Retry-After", "1")
            return unavailable
        default:
            logger.error("unhandled error", ["error": String(describing: error)])
            return .internalError
        }
    }
}

extension APIErrors {
    /// A failed Stripe call, as `stripe_error` with Stripe's `type`, `code`, `param` and request id
    /// in `details` (``StripeError`` never holds the key). The status says whose fault it is:
    ///
    /// * 400: Stripe refused the request's content (400 `invalid_request_error`, 402 `card_error`);
    /// * 409: Stripe's state conflicts with the request or with Tollgate's (404 `resource_missing`:
    ///   the local state names an object Stripe does not have; 409 `idempotency_error` or a lock);
    /// * 502: Stripe failed or refused Tollgate itself (401/403: a bad or restricted key; 429;
    ///   5xx; no answer; an answer that is not Stripe's).
    static func stripeError(_ error: StripeError, logger: Logger) -> HTTPError {
        let status: Int = switch error.status {
        case 400?, 402?: 400
        case 404?, 409?: 409
        default: 502
        }
        if status == 502 {
            logger.warning("stripe call failed", ["error": error.description])
        } else {
            logger.info("stripe refused the request", ["error": error.description])
        }
        let fields: [(String, String?)] = [
            ("stripe.status", error.status.map(String.init)), ("stripe.type", error.type), ("stripe.code", error.code),
            ("stripe.param", error.param), ("stripe.decline_code", error.declineCode), ("stripe.request_id", error.requestID),
        ]
        var details = fields.compactMap { field, value in value.map { HTTPError.Detail(field: field, issue: $0) } }
        if error.kind != .api { details.append(HTTPError.Detail(field: "stripe.kind", issue: error.kind.rawValue)) }
        return HTTPError(status: status, code: "stripe_error", message: "Stripe: \(error.message)", details: details)
    }
}

extension APIErrors {
    /// Integration refusals: 503 not configured / provider unavailable / key unavailable, 400 unknown
    /// provider, 403 not entitled (the feature and the reason code in `details`), 404 no connection,
    /// 409 refresh failed (reconnect), 502 the provider refused.
    static func integrationError(_ error: IntegrationError, logger: Logger) -> HTTPError {
        switch error.code {
        case .unknownProvider:
            return .badRequest(error.message, code: error.code.rawValue, details: [.init(field: "provider", issue: error.message)])
        case .notEntitled:
            var denied = HTTPError.forbidden(error.message)
            denied.code = error.code.rawValue
            if let feature = error.feature, let reason = error.reason { denied.details = [.init(field: feature, issue: reason.rawValue)] }
            return denied
        case .connectionNotFound:
            return .notFound(error.message, code: error.code.rawValue)
        case .refreshFailed:
            return .conflict(error.message, code: error.code.rawValue)
        case .providerError:
            return HTTPError(status: 502, code: error.code.rawValue, message: error.message)
        default:
            if error.code == .keyUnavailable { logger.error("integration key unavailable", ["error": error.description]) }
            var unavailable = HTTPError.unavailable(error.message)
            unavailable.code = error.code.rawValue
            return unavailable
        }
    }
}
