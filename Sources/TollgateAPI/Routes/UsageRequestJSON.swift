import Tollgate
import TollgateBase
import TollgateEntitlements
import TollgateHTTPServer

/// `POST /v1/usage` and `/v1/usage/consume` read the common body — a flat object of the four
/// fields, strings and whole numbers — through ``HTTPRequest/flatJSON(fields:)`` (`JSONDecoder`
/// plus the strict checks were a sixth of the endpoint's CPU); anything else, an invalid feature
/// key included, goes to ``HTTPRequest/decodeJSON(_:)``, which decides it and names what is wrong
/// as for any other endpoint. `UsageRequestJSONTests` holds the two equal on what the fast path reads.
enum UsageRequestJSON {
    static func decode(_ request: HTTPRequest) throws(HTTPError) -> UsageRequest {
        if let fast = fast(request) { return fast }
        return try request.decodeJSON(UsageRequest.self)
    }

    /// The request, when the body has the common shape; nil for anything else.
    static func fast(_ request: HTTPRequest) -> UsageRequest? {
        guard let members = request.flatJSON(fields: ["customer", "feature", "quantity", "idempotency_key"]),
              case .string(let customer)? = members["customer"], case .string(let text)? = members["feature"],
              let feature = FeatureKey(validating: text) else { return nil }
        var usage = UsageRequest(customer: customer, feature: feature)
        switch members["quantity"] {
        case nil: break
        case .integer(let quantity)?: usage.quantity = Int64(quantity)
        default: return nil
        }
        switch members["idempotency_key"] {
        case nil: break
        case .string(let key)?: usage.idempotencyKey = key
        default: return nil
        }
        return usage
    }
}
