import TollgateStripe

extension WebhookEvent.Value {
    /// The same JSON as a Stripe API answer, so an object fetched from the API goes through the
    /// code that applies webhook payloads.
    init(_ object: StripeObject) {
        switch object {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .integer(Int64(value))
        case .double(let value): self = .number(value)
        case .string(let value): self = .string(value)
        case .array(let items): self = .array(items.map(WebhookEvent.Value.init))
        case .object(let members): self = .object(members.mapValues(WebhookEvent.Value.init))
        }
    }
}
