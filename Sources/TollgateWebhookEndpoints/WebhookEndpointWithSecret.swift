/// A new endpoint, or a rotated one, with its signing secret: the only answer that shows it.
package struct WebhookEndpointWithSecret: Sendable, Encodable {
    package var endpoint: WebhookEndpoint
    package var secret: WebhookSecret

    package func encode(to encoder: any Encoder) throws {
        try endpoint.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(secret.revealed, forKey: .secret)
    }

    private enum CodingKeys: String, CodingKey { case secret }
}
