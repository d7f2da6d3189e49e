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

/// Read back from the API's JSON (the CLI's remote mode): the endpoint's fields and `secret`.
extension WebhookEndpointWithSecret: Decodable {
    package init(from decoder: any Decoder) throws {
        endpoint = try WebhookEndpoint(from: decoder)
        let text = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .secret)
        guard let secret = WebhookSecret(text) else {
            throw DecodingError.dataCorruptedError(forKey: .secret, in: try decoder.container(keyedBy: CodingKeys.self), debugDescription: "not a whsec_ secret")
        }
        self.secret = secret
    }
}
