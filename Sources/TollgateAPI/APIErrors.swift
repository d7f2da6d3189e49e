import TollgateCore
import TollgateHTTPServer
import TollgateLogging
import TollgateStore

/// The one mapping from errors thrown below the API to HTTP errors.
///
/// Client faults keep their message; anything unexpected becomes a 500 whose body says only
/// "internal error" while the log line (with the request id) carries the safe description.
enum APIErrors {
    static func httpError(for error: any Error, logger: Logger) -> HTTPError {
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

extension StoreError {
    /// Failures a retry may cure: the caller gets a 503 with `Retry-After`.
    var isTransient: Bool {
        [.connectionLost, .connectionFailed, .poolTimeout, .busy, .serializationFailure, .closed].contains(code)
    }
}
