package import TollgateWire

extension StoreError: FailureConvertible {
    /// A value the edge let through but the store cannot keep: the caller's fault, invalid (400
    /// `parameter_invalid`), never a 500. A transient failure (``isTransient``): unavailable (503
    /// `store_unavailable`, retry after a second). Anything else: internal (500). The description
    /// goes to the operator (``Failure/cause``), never to the caller.
    package var failure: Failure {
        if code == .invalidValue {
            return Failure(.invalid, code: "parameter_invalid", message: "a value in the request cannot be stored (\(message))", cause: description)
        }
        if isTransient {
            return Failure(.unavailable, code: "store_unavailable", message: "the store is unavailable; retry shortly", cause: description, retryAfter: 1)
        }
        return .internal(cause: description)
    }
}
