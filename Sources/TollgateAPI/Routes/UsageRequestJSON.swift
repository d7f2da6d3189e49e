import Tollgate
import TollgateBase
import TollgateEntitlements
import TollgateHTTPServer

/// `POST /v1/usage` and `/v1/usage/consume` read the common body — a flat object of the four
/// fields, strings and whole numbers — through ``HTTPRequest/flatJSON(fields:)`` (`JSONDecoder`
/// plus the strict checks were a sixth of the endpoint's CPU); anything else, an invalid feature
/// key included, goes to ``HTTPRequest/decodeJSON(_:)``, which decides it and names what is wrong
/// as for any other endpoint; the batch endpoint reads its events the same way.
/// `UsageRequestJSONTests` holds the two paths equal on what the fast one reads.
enum UsageRequestJSON {
    static func decode(_ request: HTTPRequest) throws(HTTPError) -> UsageRequest {
        if let fast = fast(request) { return fast }
        return try request.decodeJSON(UsageRequest.self)
    }

    /// The request, when the body has the common shape; nil for anything else.
    static func fast(_ request: HTTPRequest) -> UsageRequest? {
        guard let event = request.flatJSON(fields: names).flatMap(event), let feature = FeatureKey(validating: event.feature) else { return nil }
        return UsageRequest(customer: event.customer, feature: feature, quantity: event.quantity ?? 1, idempotencyKey: event.idempotencyKey)
    }

    /// `POST /v1/usage/batch`'s body: `{"events": [event, …]}` with every event of the common shape
    /// read directly (the strict decoder was half the endpoint's CPU on 100-event bodies); any other
    /// body goes to the strict decoder. (A batch event's feature key is checked per event later, so
    /// that a bad one refuses only its event.)
    static func decodeBatch(_ request: HTTPRequest) throws(HTTPError) -> UsageBatchRequest {
        if let fast = fastBatch(request) { return fast }
        return try request.decodeJSON(UsageBatchRequest.self)
    }

    /// The batch, when the body has the common shape; nil for anything else.
    static func fastBatch(_ request: HTTPRequest) -> UsageBatchRequest? {
        guard let objects = request.objects(in: "events") else { return nil }
        var events: [UsageBatchEvent] = []
        events.reserveCapacity(objects.count)
        for members in objects {
            guard let event = HTTPRequest.flat(members, fields: names).flatMap(event) else { return nil }
            events.append(event)
        }
        return UsageBatchRequest(events: events)
    }

    private static let names: Set<String> = ["customer", "feature", "quantity", "idempotency_key"]

    /// One event's fields from a flat object: strings where strings go, an integer quantity.
    private static func event(_ members: [String: JSONValue]) -> UsageBatchEvent? {
        guard case .string(let customer)? = members["customer"], case .string(let feature)? = members["feature"] else { return nil }
        var event = UsageBatchEvent(customer: customer, feature: feature)
        switch members["quantity"] {
        case nil: break
        case .integer(let quantity)?: event.quantity = Int64(quantity)
        default: return nil
        }
        switch members["idempotency_key"] {
        case nil: break
        case .string(let key)?: event.idempotencyKey = key
        default: return nil
        }
        return event
    }
}
